// In-repository exports of reference/envelope (the public ones are listed in api/): the format, seal/open/rewrap, KEK providers, rotation, caching.
export {
  canonicalContext, payloadAad, encodeEnvelope, decodeEnvelope, ENVELOPE_VERSION,
  SUITE_AES256GCM_HKDF_SHA256, SALT_LENGTH, CONTEXT_DIGEST_LENGTH, COMMIT_LENGTH, NONCE_LENGTH,
  TAG_LENGTH, MAX_KEK_ID_LENGTH, MAX_WRAPPED_LENGTH, RESERVED_CONTEXT_PREFIX, type Envelope,
  type EncryptionContext,
} from './format.js';
export {
  retiredError, wrongKekError, unwrapFailed, checkVersionArg, kekBindingAad, type WrappedKey,
  type KekVersionState, type KekVersionInfo, type KekProvider, type Clock, systemClock,
} from './kek.js';
// Envelope operations under unambiguous names at the public entry.
export {
  seal as sealEnvelope,
  open as openEnvelope,
  rewrap as rewrapEnvelope,
  inspect as inspectEnvelope,
  payloadBytes as envelopePayloadBytes,
  sealMany as sealEnvelopes,
  DATA_KEY_LENGTH,
  MAX_PLAINTEXT_LENGTH,
  CONTEXT_BINDING_KEY,
  type EnvelopeOptions,
  type SealManyOptions,
} from './envelope.js';
export {
  type CachePolicy, type DataKeyLease, CACHE_MAX_MESSAGES_LIMIT, CACHE_MAX_AGE_LIMIT_MS, DataKeyCache,
} from './cache.js';
export { LocalKekRing, DEFAULT_GRACE_MS, RING_FILE_FORMAT, RING_FILE_VERSION, type LocalKekRingOptions } from './kek/local-ring.js';
export { AwsKmsKek, mapKmsError, VERSION_CONTEXT_KEY, type AwsKmsKekOptions, type AwsKmsKekState } from './kek/aws-kms.js';
export {
  scanForRewrap, retireDue, type StoredEnvelope, type ScanFinding,
} from './rotation.js';
export { SlotKekRing, type KekSlotBackend, type SlotRingOptions } from './kek/slot-ring.js';
export { openPkcs11KekRing, pkcs11Backend, type Pkcs11KekRingOptions } from './kek/pkcs11.js';
export { openTpmKekRing, tpmBackend, type TpmKekRingOptions } from './kek/tpm.js';
export { AzureKeyVaultKek, mapAzureError, AZURE_VERSION_TAG, type AzureKeyVaultKekOptions, type AzureWrapAlgorithm, type AzureTokenCredential } from './kek/azure-key-vault.js';
export { GcpKmsKek, mapGcpError, type GcpKmsKekOptions } from './kek/gcp-kms.js';
