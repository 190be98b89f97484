/** `agentsec/envelope`: envelope encryption under a KEK (local ring, AWS KMS, Azure Key Vault, GCP Cloud KMS, PKCS#11, TPM), rotation, data-key cache. */
export {
  seal as sealEnvelope,
  open as openEnvelope,
  rewrap as rewrapEnvelope,
  inspect as inspectEnvelope,
  payloadBytes as envelopePayloadBytes,
  sealMany as sealEnvelopes,
  DATA_KEY_LENGTH,
  MAX_PLAINTEXT_LENGTH,
  type EnvelopeOptions,
  type SealManyOptions,
} from '../reference/envelope/envelope.js';
export { decodeEnvelope, ENVELOPE_VERSION, type Envelope, type EncryptionContext } from '../reference/envelope/format.js';
export { systemClock, type KekProvider, type WrappedKey, type KekVersionState, type KekVersionInfo, type Clock } from '../reference/envelope/kek.js';
export { DataKeyCache, type CachePolicy, type DataKeyLease } from '../reference/envelope/cache.js';
export { scanForRewrap, retireDue, type StoredEnvelope, type ScanFinding } from '../reference/envelope/rotation.js';
export { LocalKekRing, DEFAULT_GRACE_MS, type LocalKekRingOptions } from '../reference/envelope/kek/local-ring.js';
export { AwsKmsKek, type AwsKmsKekOptions, type AwsKmsKekState } from '../reference/envelope/kek/aws-kms.js';
export { AzureKeyVaultKek, AZURE_VERSION_TAG, type AzureKeyVaultKekOptions, type AzureWrapAlgorithm, type AzureTokenCredential } from '../reference/envelope/kek/azure-key-vault.js';
export { GcpKmsKek, type GcpKmsKekOptions } from '../reference/envelope/kek/gcp-kms.js';
export { SlotKekRing, type KekSlotBackend, type SlotRingOptions } from '../reference/envelope/kek/slot-ring.js';
export { openPkcs11KekRing, pkcs11Backend, type Pkcs11KekRingOptions } from '../reference/envelope/kek/pkcs11.js';
export { openTpmKekRing, tpmBackend, type TpmKekRingOptions } from '../reference/envelope/kek/tpm.js';
