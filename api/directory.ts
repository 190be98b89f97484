/** `agentsec/directory`: the client of the prekey directory and mailbox service (`agentsec directory serve`). */
export { DirectoryClient, agentSigner, type DirectoryClientOptions, type DirectorySigner, type InboxMessage } from '../services/directory/client.js';
export { publishToDirectory, type PublishOptions } from '../services/directory/publish.js';
