// Public exports of reference/envelope: the format, seal/open/rewrap, KEK providers, rotation, caching.
export * from './format.js';
export * from './kek.js';
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
export * from './cache.js';
export { LocalKekRing, DEFAULT_GRACE_MS, RING_FILE_FORMAT, RING_FILE_VERSION, type LocalKekRingOptions } from './kek/local-ring.js';
export { AwsKmsKek, mapKmsError, VERSION_CONTEXT_KEY, type AwsKmsKekOptions, type AwsKmsKekState } from './kek/aws-kms.js';
export * from './rotation.js';
export { SlotKekRing, type KekSlotBackend, type SlotRingOptions } from './kek/slot-ring.js';
export { openPkcs11KekRing, pkcs11Backend, type Pkcs11KekRingOptions } from './kek/pkcs11.js';
export { openTpmKekRing, tpmBackend, type TpmKekRingOptions } from './kek/tpm.js';
