/**
 * A structured logger that scrubs every record before it reaches the sink, driven by the
 * SecurityConfig: observability.stripRoutingHeaders, storage.metadataScrubbing,
 * observability.sampleHighFrequency and observability.logRetentionDays (spec/observability.md).
 * Logging never throws into the caller: a failing sink is counted, not propagated.
 */
import { parseSecurityConfig, type SecurityConfig } from '../config/index.js';
import { AgentsecError } from '../errors.js';
import { createSampler, type Sampler } from './sampler.js';
import { makeScrubPolicy, redactString, scrubValue, type Scrubbed, type ScrubPolicy } from './scrub.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What the sink receives: JSON-safe and already scrubbed. */
export interface LogRecord {
  /** ISO-8601 time of the event. */
  readonly ts: string;
  /** ISO-8601 time after which the record must be deleted (ts + observability.logRetentionDays). */
  readonly expires: string;
  readonly level: LogLevel;
  readonly event: string;
  readonly attrs: { readonly [key: string]: Scrubbed };
  /** Present on sampled (high-frequency) records: the keep rate, so counts can be re-weighted. */
  readonly sample_rate?: number;
}

export type LogSink = (record: LogRecord) => void;

export interface ScrubbingLoggerOptions {
  /** More routing field names to strip (matched like the built-in ones, see normalizeFieldName). */
  readonly extraRoutingFields?: readonly string[];
  /** Replaces the per-event counter of the sampler (values in [0, 1)). */
  readonly random?: () => number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

export interface LoggerStats {
  readonly emitted: number;
  readonly sampledOut: number;
  readonly sinkErrors: number;
}

export interface ScrubbingLogger {
  log(level: LogLevel, event: string, attrs?: unknown): void;
  debug(event: string, attrs?: unknown): void;
  info(event: string, attrs?: unknown): void;
  warn(event: string, attrs?: unknown): void;
  error(event: string, attrs?: unknown): void;
  /** A high-frequency event (per message, per frame): sampled at observability.sampleHighFrequency. */
  frequent(event: string, attrs?: unknown, level?: LogLevel): void;
  stats(): LoggerStats;
  readonly policy: ScrubPolicy;
}

const DAY_MS = 86_400_000;
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The policy a SecurityConfig asks for (routing headers, storage metadata, extra routing names). */
export function scrubPolicyFrom(config: SecurityConfig, extraRoutingFields: readonly string[] = []): ScrubPolicy {
  return makeScrubPolicy({ stripRouting: config.observability.stripRoutingHeaders, stripMetadata: config.storage.metadataScrubbing, extraRoutingFields });
}

function checkExtraFields(names: unknown): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names)) throw new AgentsecError('decode_failure', 'CONFIG_TYPE', 'extraRoutingFields must be an array of field names');
  for (const n of names) {
    if (typeof n !== 'string' || !FIELD_NAME.test(n)) {
      throw new AgentsecError('decode_failure', 'CONFIG_VALUE', `extraRoutingFields: each name must be 1 to 64 characters of A-Z, a-z, 0-9, '_', '.', '-'; got ${typeof n === 'string' ? `'${redactString(n.slice(0, 64))}'` : typeof n}`);
    }
  }
  return names as string[];
}

/**
 * Validates `config` (any value: it goes through parseSecurityConfig, so a bad one is refused with
 * the config's own error naming the field) and returns a logger writing scrubbed records to `sink`.
 */
export function createScrubbingLogger(config: unknown, sink: LogSink, options: ScrubbingLoggerOptions = {}): ScrubbingLogger {
  // @req OBS-010
  const cfg = parseSecurityConfig(config);
  if (typeof sink !== 'function') throw new AgentsecError('decode_failure', 'BAD_SINK', 'the log sink must be a function taking one record');
  const policy = scrubPolicyFrom(cfg, checkExtraFields(options.extraRoutingFields));
  const sampler: Sampler = createSampler(cfg.observability.sampleHighFrequency, options.random);
  const now = options.now ?? Date.now;
  const retentionMs = cfg.observability.logRetentionDays * DAY_MS;
  let emitted = 0;
  let sampledOut = 0;
  let sinkErrors = 0;

  const emit = (level: LogLevel, event: string, attrs: unknown, sampleRate?: number): void => {
    try {
      const t = now();
      const scrubbed = scrubValue(attrs ?? {}, policy);
      const record: LogRecord = {
        ts: new Date(t).toISOString(),
        // @req OBS-011
        expires: new Date(t + retentionMs).toISOString(),
        level: LEVELS.includes(level) ? level : 'info',
        event: typeof event === 'string' ? redactString(event) : '[non-string event]',
        attrs: scrubbed !== null && typeof scrubbed === 'object' && !Array.isArray(scrubbed) ? scrubbed : { value: scrubbed },
        ...(sampleRate !== undefined ? { sample_rate: sampleRate } : {}),
      };
      sink(record);
      emitted++;
    } catch {
      // @req OBS-006: logging is never why an operation fails.
      sinkErrors++;
    }
  };

  return {
    policy,
    log: (level, event, attrs) => emit(level, event, attrs),
    debug: (event, attrs) => emit('debug', event, attrs),
    info: (event, attrs) => emit('info', event, attrs),
    warn: (event, attrs) => emit('warn', event, attrs),
    error: (event, attrs) => emit('error', event, attrs),
    frequent(event, attrs, level = 'debug') {
      // Warnings and errors are never sampled away: they are rare by nature and what an operator needs.
      if (level === 'warn' || level === 'error') return emit(level, event, attrs);
      let keep: boolean;
      try {
        keep = sampler.keep(typeof event === 'string' ? event : '');
      } catch {
        keep = false;
      }
      if (!keep) {
        sampledOut++;
        return;
      }
      emit(level, event, attrs, sampler.rate);
    },
    stats: () => ({ emitted, sampledOut, sinkErrors }),
  };
}

/** Drops records past their retention (`expires` at or before `now`); pure, returns a new array. */
export function pruneExpired<T extends Pick<LogRecord, 'expires'>>(records: readonly T[], now: number): T[] {
  // @req OBS-011
  return records.filter((r) => {
    const e = Date.parse(r.expires);
    return Number.isFinite(e) && e > now;
  });
}
