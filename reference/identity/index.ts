// In-repository exports of reference/identity (the public ones are listed in api/).
export {
  base58btcEncode, base58btcDecode, multibaseBase58btc, decodeMultibaseBase58btc, varintEncode,
  varintDecode,
} from './multibase.js';
export {
  publicKeyMultibase, encodeDidKey, decodePublicKeyMultibase, decodeDidKey, splitDidUrl,
  type DidKeyType, MULTICODEC, type DecodedDidKey,
} from './did-key.js';
export {
  jcs, canonicalJson, canonicalJsonBytes,
} from './canonical-json.js';
export {
  unsignedDidDocument, proofSigningInput, buildDidDocument, validateDidDocument, parseDidDocument,
  DID_CONTEXT, MULTIKEY_CONTEXT, PROOF_CRYPTOSUITE, type VerificationMethod, type DidProof,
  type DidDocument, type ValidatedDidDocument, MAX_DID_DOCUMENT_BYTES,
} from './did-document.js';
export {
  computeCid, parseCid, publishDidDocument, publishIdentity, resolvePublishedDocument, CID_VERSION,
  CODEC_JSON, MULTIHASH_SHA2_256, type ContentStore, DirectoryContentStore,
} from './cid-store.js';
export {
  type KeyStoreKind, type IdentityPublicKeys, type KeyStore, HANDLE_RE,
} from './keystore.js';
export {
  createIdentity, openIdentity, checkHandle, type AgentIdentity, StoredIdentity,
} from './identity.js';
export {
  type SoftwareKeyStoreOptions, SCRYPT_DEFAULT_LOGN, SoftwareKeyStore,
} from './software-store.js';
export {
  decodeRc, tpmError, type DecodedRc, connectTpm, type TpmAddress, type TpmTransport, TpmClient,
  pcrSelection, sealedTemplate, aesTemplate, hmacTemplate, type TpmAuth, TpmKeyStore,
  type TpmKeyStoreOptions, TpmKek, createTpmKek, loadTpmKek, acquireTpm, type TpmLease,
  commandEncrypted, kdfa, kdfe, objectName, startSaltedSession, unsealEncrypted, type SaltedSession,
} from '../device/tpm/index.js';
export { Pkcs11KeyStore, PKCS11_APPLICATION, type Pkcs11KeyStoreOptions, type ExtractionAudit } from './pkcs11-store.js';
export { createPkcs11Kek, type Pkcs11Kek, type Pkcs11KekOptions } from '../device/pkcs11/kek.js';
export { SOFTHSM_LIBRARY, type TokenOptions } from '../device/pkcs11/options.js';
