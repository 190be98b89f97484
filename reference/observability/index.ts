// In-repository exports of reference/observability (the public ones are listed in api/): scrubbing logger, trace-attribute scrubber, sampler.
export { scrubValue, redactString, normalizeFieldName, makeScrubPolicy, isStrippedField, isSecretField, DEFAULT_SCRUB_POLICY, ROUTING_FIELDS, METADATA_FIELDS, SCRUB_LIMITS, type Scrubbed, type ScrubPolicy } from './scrub.js';
export { scrubAttributes, type Attributes, type AttributeValue } from './attributes.js';
export { createSampler, SAMPLER_MAX_NAMES, type Sampler } from './sampler.js';
export { createScrubbingLogger, scrubPolicyFrom, pruneExpired, type LogLevel, type LogRecord, type LogSink, type LoggerStats, type ScrubbingLogger, type ScrubbingLoggerOptions } from './logger.js';
export { createSecretBook, LEAK_WINDOW, type Leak, type LeakForm, type SecretBook } from './leak-scan.js';
export { ScrubbingSpanProcessor, ScrubbingLogRecordProcessor, HighFrequencySampler, type ReadableSpanLike, type SpanProcessorLike, type LogRecordLike, type LogRecordProcessorLike, type SamplerLike, type SamplingResultLike } from './otel.js';
export { HIGH_FREQUENCY_ATTRIBUTE } from './tracing.js';
