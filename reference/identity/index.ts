// Public exports of reference/identity.
export * from './multibase.js';
export * from './did-key.js';
export * from './canonical-json.js';
export * from './did-document.js';
export * from './cid-store.js';
export * from './keystore.js';
export * from './identity.js';
export * from './software-store.js';
export * from '../device/tpm/index.js';
export { Pkcs11KeyStore, PKCS11_APPLICATION, type Pkcs11KeyStoreOptions, type ExtractionAudit } from './pkcs11-store.js';
export { createPkcs11Kek, type Pkcs11Kek, type Pkcs11KekOptions } from '../device/pkcs11/kek.js';
export { SOFTHSM_LIBRARY, ckrName, type TokenOptions } from '../device/pkcs11/token.js';
