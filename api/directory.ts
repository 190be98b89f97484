/** `agentsec/directory`: the client of the prekey directory service (`agentsec directory serve`). */
export { DirectoryClient } from '../services/directory/client.js';
export { publishToDirectory, type PublishOptions } from '../services/directory/publish.js';
