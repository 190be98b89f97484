export { startKmsServer, type KmsServer, type KmsServerOptions, type KmsCounters } from './server.js';
export { Faults, Hold, type FaultSpec } from './faults.js';
export { KmsError, type KmsErrorType } from './errors.js';
export { strictContextAad, localstackContextAad, parseBlob, sealBlob, type KmsMode } from './blob.js';
export { startAzureVault, type AzureVault, type AzureVaultOptions } from './azure.js';
export { startGcpKms, type GcpKms, type GcpKmsOptions } from './gcp.js';
export { makeLoopbackTls, type LoopbackTls } from './tls.js';
