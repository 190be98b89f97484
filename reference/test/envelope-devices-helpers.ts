// Token helpers the device tests use to look inside the token.
export { createPkcs11Kek } from '../device/pkcs11/kek.js';
export { findObjects, openTokenSession } from '../device/pkcs11/token.js';
