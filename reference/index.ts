/**
 * The in-repository entry of the reference: everything the harness, the adapter, vectors, benchmarks
 * and tests use, internals included. The package's public API is api/ (the `exports` map), not this.
 */
export {
  isErrorKind, fail, needs, ERROR_KINDS, type ErrorKind, AgentsecError,
} from './errors.js';
export {
  abytes, concatBytes, equalBytes, isAllZero, wipe, toHex, fromHex, u16be, u32be, u64be, utf8,
} from './bytes.js';
export { writeFileAtomicSync } from './atomic-file.js';
export {
  registerProviderFactory, getProvider, type AeadName, type HashName, type KemName, AEAD_NAMES,
  HASH_NAMES, KEM_NAMES, HASH_LENGTHS, KEM_LENGTHS, type KeyPair, type KemKeyPair, type X25519,
  type Ed25519, type Aead, type Kem, type CryptoProvider, createNobleProvider, createNodeProvider,
  nodeHasNativeMlKem, deterministicRandomForTestingOnly, type ProviderName, PROVIDER_NAMES,
  PrivateKeyHandle, type PrivateKeyInput, type KeyCurve, isPrivateKeyHandle,
} from './crypto/index.js';
export {
  defaultSecurityConfig, parseSecurityConfig, SECURITY_CONFIG_SCHEMA, type KeyStorage,
  type KmsProvider, type Pkcs11Settings, type SecurityConfig, type TpmSettings, loadSecurityConfig,
} from './config/index.js';
export {
  NoiseChannel, createNoiseChannel, type NoiseChannelOptions, type NoiseFallbackOptions,
  type NoisePhase, parseProtocolName, CIPHER_NAMES, DH_NAMES, KEM_ALG_NAMES, NOISE_HASH_NAMES,
  type NoiseProtocol, type CipherName, type NoiseHashName, type DhName, type KemAlgName, BASE_PATTERNS,
  BASE_PATTERN_NAMES, ONE_WAY, buildPattern, describePattern, type HandshakePattern, type Token,
  MAX_MESSAGE_LEN, MAX_PLAINTEXT_LEN, type Direction, MAX_NONCE, encodeNonce, encodeFrame,
  FrameDecoder, FramedStream, handshakeOver, NoiseExplicitNonceChannel, EXPLICIT_NONCE_LEN,
  MAX_EXPLICIT_PLAINTEXT_LEN, type PersistentNoiseOptions, NonceReservation, NONCE_RESERVE,
  type PersistLimit, REPLAY_WINDOW, EMPTY_REPLAY_WINDOW, checkReplay, acceptNonce, type ReplayWindow,
  MemoryNoiseStateStore, FileNoiseStateStore, type NoiseStateStore, encodeTransportBody,
  decodeTransportBody, type TransportFraming, type TransportSnapshot,
} from './noise/index.js';
export {
  SessionAgent, agentOptionsFromConfig, type AgentOptions, type AgentRuntime, type AgentState,
  type PeerSessions, type SessionEntry, type PrekeyStatus, exportAgent, importAgent, encodeAgentBody,
  decodeAgentBody, encodeRatchetState, decodeRatchetState, decodeBundle, encodeBundle, signBundle,
  bundleSignedMessages, prekeySignedMessage, BUNDLE_VERSION, PQ_KIND, type Bundle, type PqKind,
  softwareIdentity, keyStoreIdentity, PreparedIdentity, type SessionIdentity,
  type AsyncSessionIdentity, type SessionKeyStore, decodeInitial, encodeInitial, encodeInitialPrefix,
  isInitial, type InitialMessage, type InitialPrefix, MAX_SKIP, MAX_SKIPPED_KEYS, MAX_OLD_CHAINS,
  MAX_PREVIOUS_SESSIONS, MAX_REMEMBERED_BASE_KEYS, DEFAULT_ONE_TIME_PREKEYS, MAX_CHAIN_MESSAGES,
  SIGNED_PREKEY_GRACE_MS, MAX_PREVIOUS_SIGNED_PREKEYS, MAX_STORED_ONE_TIME_PREKEYS, type RatchetLimits,
  DEFAULT_RATCHET_LIMITS, sealRecord, openRecord, RECORD_VERSION, MIN_RECORD_VERSION, RECORD_TYPE,
  type RecordType, selectHandshake, type Selection, type SelectorInput, type HandshakeChoice,
  FileRecordStore, AgentStore, MemoryWatermarkStore, FileWatermarkStore, type Watermark, type WatermarkStore,
  X3DH_INFO, PQXDH_INFO, handshakeKdf, associatedData, type HandshakeKind, initAlice, initBob,
  ratchetEncrypt, ratchetDecrypt, skipSending, type RatchetState, type DecryptResult, kdfChain,
  messageKeys, kdfRoot, decodeMessage, encodeHeader, HEADER_LENGTH,
} from './session/index.js';
export {
  base58btcEncode, base58btcDecode, multibaseBase58btc, decodeMultibaseBase58btc, varintEncode,
  varintDecode, publicKeyMultibase, encodeDidKey, decodePublicKeyMultibase, decodeDidKey, splitDidUrl,
  type DidKeyType, MULTICODEC, type DecodedDidKey, jcs, canonicalJson, canonicalJsonBytes,
  unsignedDidDocument, proofSigningInput, buildDidDocument, validateDidDocument, parseDidDocument,
  DID_CONTEXT, MULTIKEY_CONTEXT, PROOF_CRYPTOSUITE, type VerificationMethod, type DidProof,
  type DidDocument, type ValidatedDidDocument, MAX_DID_DOCUMENT_BYTES, computeCid, parseCid,
  publishDidDocument, publishIdentity, resolvePublishedDocument, CID_VERSION, CODEC_JSON,
  MULTIHASH_SHA2_256, type ContentStore, DirectoryContentStore, type KeyStoreKind,
  type IdentityPublicKeys, type KeyStore, HANDLE_RE, createIdentity, openIdentity, checkHandle,
  type AgentIdentity, StoredIdentity, type SoftwareKeyStoreOptions, SCRYPT_DEFAULT_LOGN,
  SoftwareKeyStore, decodeRc, tpmError, type DecodedRc, connectTpm, type TpmAddress, type TpmTransport,
  TpmClient, pcrSelection, sealedTemplate, aesTemplate, hmacTemplate, type TpmAuth, TpmKeyStore,
  type TpmKeyStoreOptions, TpmKek, createTpmKek, loadTpmKek, acquireTpm, type TpmLease,
  commandEncrypted, kdfa, kdfe, objectName, startSaltedSession, unsealEncrypted, type SaltedSession,
  Pkcs11KeyStore, PKCS11_APPLICATION, type Pkcs11KeyStoreOptions, type ExtractionAudit,
  createPkcs11Kek, type Pkcs11Kek, type Pkcs11KekOptions, SOFTHSM_LIBRARY, type TokenOptions,
} from './identity/index.js';
export {
  canonicalContext, payloadAad, encodeEnvelope, decodeEnvelope, ENVELOPE_VERSION,
  SUITE_AES256GCM_HKDF_SHA256, SALT_LENGTH, CONTEXT_DIGEST_LENGTH, COMMIT_LENGTH, NONCE_LENGTH,
  TAG_LENGTH, MAX_KEK_ID_LENGTH, MAX_WRAPPED_LENGTH, RESERVED_CONTEXT_PREFIX, type Envelope,
  type EncryptionContext, retiredError, wrongKekError, unwrapFailed, checkVersionArg, kekBindingAad,
  type WrappedKey, type KekVersionState, type KekVersionInfo, type KekProvider, type Clock,
  systemClock, sealEnvelope, openEnvelope, rewrapEnvelope, inspectEnvelope, envelopePayloadBytes,
  sealEnvelopes, DATA_KEY_LENGTH, MAX_PLAINTEXT_LENGTH, CONTEXT_BINDING_KEY, type EnvelopeOptions,
  type SealManyOptions, type CachePolicy, type DataKeyLease, CACHE_MAX_MESSAGES_LIMIT,
  CACHE_MAX_AGE_LIMIT_MS, DataKeyCache, LocalKekRing, DEFAULT_GRACE_MS, RING_FILE_FORMAT,
  RING_FILE_VERSION, type LocalKekRingOptions, AwsKmsKek, mapKmsError, VERSION_CONTEXT_KEY,
  type AwsKmsKekOptions, type AwsKmsKekState, scanForRewrap, retireDue, type StoredEnvelope,
  type ScanFinding, SlotKekRing, type KekSlotBackend, type SlotRingOptions, openPkcs11KekRing,
  pkcs11Backend, type Pkcs11KekRingOptions, openTpmKekRing, tpmBackend, type TpmKekRingOptions,
} from './envelope/index.js';
export {
  scrubValue, redactString, normalizeFieldName, makeScrubPolicy, isStrippedField, isSecretField,
  DEFAULT_SCRUB_POLICY, ROUTING_FIELDS, METADATA_FIELDS, SCRUB_LIMITS, type Scrubbed, type ScrubPolicy,
  scrubAttributes, type Attributes, type AttributeValue, createSampler, SAMPLER_MAX_NAMES,
  type Sampler, createScrubbingLogger, scrubPolicyFrom, pruneExpired, type LogLevel, type LogRecord,
  type LogSink, type LoggerStats, type ScrubbingLogger, type ScrubbingLoggerOptions, createSecretBook,
  LEAK_WINDOW, type Leak, type LeakForm, type SecretBook,
} from './observability/index.js';
