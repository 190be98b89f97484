/**
 * The structured logger: pino, the logger Node services use, with the scrubber as its `log`
 * formatter, driven by the SecurityConfig: observability.stripRoutingHeaders,
 * storage.metadataScrubbing, observability.sampleHighFrequency and observability.logRetentionDays
 * (spec/observability.md). Every line is pino's JSON (`level` as a label, `ts`, `expires`, `attrs`,
 * and the message as `event`), so log pipelines parse it as they parse any pino service.
 * Logging never throws into the caller: a failing sink is counted, not propagated.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
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

/** A function receiving each record, or a stream receiving pino's JSON lines (a file, stderr). */
export type LogSink = ((record: LogRecord) => void) | DestinationStream;

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
  /** The underlying pino logger; whatever is logged through it (children too) is scrubbed the same way. */
  readonly pino: Logger;
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
  const isStream = typeof sink === 'object' && sink !== null && typeof (sink as DestinationStream).write === 'function';
  if (typeof sink !== 'function' && !isStream) throw new AgentsecError('decode_failure', 'BAD_SINK', 'the log sink must be a function taking one record or a stream taking lines');
  const policy = scrubPolicyFrom(cfg, checkExtraFields(options.extraRoutingFields));
  const sampler: Sampler = createSampler(cfg.observability.sampleHighFrequency, options.random);
  const now = options.now ?? Date.now;
  const retentionMs = cfg.observability.logRetentionDays * DAY_MS;
  let emitted = 0;
  let sampledOut = 0;
  let sinkErrors = 0;

  // Child-logger bindings bypass pino's formatters, so each line is scrubbed once more as a whole
  // (a routing field bound to a child would otherwise be on every line it writes).
  const scrubLine = (line: string): LogRecord => {
    const { level, ts, expires, event, attrs, sample_rate: rate, ...bound } = JSON.parse(line) as Record<string, unknown>;
    const extra = scrubValue(bound, policy);
    return { level, ts, expires, ...(extra !== null && typeof extra === 'object' && !Array.isArray(extra) ? extra : {}), attrs, event, ...(rate !== undefined ? { sample_rate: rate } : {}) } as unknown as LogRecord;
  };
  const destination: DestinationStream = isStream
    ? { write: (line: string) => (sink as DestinationStream).write(`${JSON.stringify(scrubLine(line))}\n`) }
    : { write: (line: string) => (sink as (r: LogRecord) => void)(scrubLine(line)) };
  let stamp = 0;
  // @req OBS-021
  const logger = pino(
    {
      level: 'debug',
      // No pid or hostname: a host name is metadata about where an agent runs.
      base: undefined,
      messageKey: 'event',
      timestamp: () => {
        stamp = now();
        // @req OBS-011
        return `,"ts":"${new Date(stamp).toISOString()}","expires":"${new Date(stamp + retentionMs).toISOString()}"`;
      },
      formatters: {
        level: (label) => ({ level: label }),
        // The scrubber is pino's hook: every merging object is scrubbed before serialization.
        log: (obj) => {
          const { sample_rate: rate, attrs, ...rest } = obj as { sample_rate?: unknown; attrs?: unknown };
          const scrubbed = scrubValue(attrs === undefined ? rest : attrs, policy);
          const clean = scrubbed !== null && typeof scrubbed === 'object' && !Array.isArray(scrubbed) ? scrubbed : { value: scrubbed };
          return typeof rate === 'number' ? { attrs: clean, sample_rate: rate } : { attrs: clean };
        },
      },
    },
    destination,
  );

  const emit = (level: LogLevel, event: string, attrs: unknown, sampleRate?: number): void => {
    try {
      const lvl = LEVELS.includes(level) ? level : 'info';
      const msg = typeof event === 'string' ? redactString(event) : '[non-string event]';
      logger[lvl](sampleRate !== undefined ? { attrs: attrs ?? {}, sample_rate: sampleRate } : { attrs: attrs ?? {} }, msg);
      emitted++;
    } catch {
      // @req OBS-006: logging is never why an operation fails.
      sinkErrors++;
    }
  };

  return {
    policy,
    pino: logger,
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
