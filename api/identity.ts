/** `agentsec/identity`: agent identities (did:key, DID documents, content-addressed publication) and key stores. */
export { createIdentity, openIdentity, type AgentIdentity, StoredIdentity } from '../reference/identity/identity.js';
export { encodeDidKey, decodeDidKey, publicKeyMultibase, decodePublicKeyMultibase, type DidKeyType, type DecodedDidKey } from '../reference/identity/did-key.js';
export { buildDidDocument, parseDidDocument, validateDidDocument, type DidDocument, type ValidatedDidDocument, type VerificationMethod, type DidProof } from '../reference/identity/did-document.js';
export { computeCid, parseCid, publishDidDocument, publishIdentity, resolvePublishedDocument, DirectoryContentStore, type ContentStore } from '../reference/identity/cid-store.js';
export type { KeyStore, KeyStoreKind, IdentityPublicKeys } from '../reference/identity/keystore.js';
export { SoftwareKeyStore, type SoftwareKeyStoreOptions } from '../reference/identity/software-store.js';
export { TpmKeyStore, type TpmKeyStoreOptions } from '../reference/identity/tpm-store.js';
export { Pkcs11KeyStore, type Pkcs11KeyStoreOptions, type ExtractionAudit } from '../reference/identity/pkcs11-store.js';
