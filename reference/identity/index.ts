// Public exports of reference/identity.
export * from './multibase.js';
export * from './did-key.js';
export * from './canonical-json.js';
export * from './did-document.js';
export * from './cid-store.js';
export * from './keystore.js';
export * from './identity.js';
export * from './software-store.js';
export * from './tpm/index.js';
