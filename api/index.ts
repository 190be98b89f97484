/**
 * `agentsec`: errors, crypto providers, configuration and the scrubbing logger. The protocols are
 * at their own subpaths: agentsec/noise, agentsec/session, agentsec/envelope, agentsec/identity,
 * agentsec/directory; fixed-randomness helpers for tests at agentsec/testing.
 * Every public name is listed here by hand (no `export *`): the API snapshot test sees each change.
 */
export { AgentsecError, ERROR_KINDS, isErrorKind, type ErrorKind } from '../reference/errors.js';
export { PACKAGE_VERSION as VERSION } from '../reference/paths.js';
export { toHex, fromHex, equalBytes, wipe } from '../reference/bytes.js';
export {
  getProvider,
  createNobleProvider,
  createNodeProvider,
  nodeHasNativeMlKem,
  PROVIDER_NAMES,
  AEAD_NAMES,
  HASH_NAMES,
  KEM_NAMES,
  type ProviderName,
  type CryptoProvider,
  type AeadName,
  type HashName,
  type KemName,
  type KeyPair,
  type KemKeyPair,
  PrivateKeyHandle,
  isPrivateKeyHandle,
  KemSecretKeyHandle,
  type PrivateKeyInput,
  type KeyCurve,
} from '../reference/crypto/index.js';
export {
  defaultSecurityConfig,
  parseSecurityConfig,
  loadSecurityConfig,
  SECURITY_CONFIG_SCHEMA,
  type SecurityConfig,
  type KeyStorage,
  type KmsProvider,
  type Pkcs11Settings,
  type TpmSettings,
} from '../reference/config/index.js';
export {
  createScrubbingLogger,
  scrubValue,
  scrubAttributes,
  createSampler,
  ScrubbingSpanProcessor,
  ScrubbingLogRecordProcessor,
  HighFrequencySampler,
  HIGH_FREQUENCY_ATTRIBUTE,
  type ReadableSpanLike,
  type SpanProcessorLike,
  type LogRecordLike,
  type LogRecordProcessorLike,
  type SamplerLike,
  type SamplingResultLike,
  type LogLevel,
  type LogRecord,
  type LogSink,
  type ScrubbingLogger,
  type ScrubbingLoggerOptions,
  type Sampler,
  type ScrubPolicy,
  type Attributes,
} from '../reference/observability/index.js';
