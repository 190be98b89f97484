// The TPM 2.0 client (own marshalling over swtpm's socket), the TPM key store and the TPM KEK.
export { decodeRc, tpmError, type DecodedRc } from './rc.js';
export { connectTpm, type TpmAddress, type TpmTransport } from './transport.js';
export { TpmClient, pcrSelection, sealedTemplate, aesTemplate, hmacTemplate, type TpmAuth } from './client.js';
export { TpmKeyStore, type TpmKeyStoreOptions } from '../../identity/tpm-store.js';
export { TpmKek, createTpmKek, loadTpmKek } from './kek.js';
export { acquireTpm, type TpmLease } from './shared.js';
export { commandEncrypted, kdfa, kdfe, objectName, startSaltedSession, unsealEncrypted, type SaltedSession } from './encrypted-session.js';
