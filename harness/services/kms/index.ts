export { startKmsServer, type KmsServer, type KmsServerOptions, type KmsCounters } from './server.js';
export { Faults, Hold, type FaultSpec } from './faults.js';
export { KmsError, type KmsErrorType } from './errors.js';
export { strictContextAad, localstackContextAad, parseBlob, sealBlob, type KmsMode } from './blob.js';
