// Token helpers the device tests use to look inside the token.
export { createPkcs11Kek } from '../identity/pkcs11-kek.js';
export { findObjects, openTokenSession } from '../identity/pkcs11-token.js';
