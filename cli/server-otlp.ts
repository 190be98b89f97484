/**
 * `--otlp URL` for the servers: installs an OpenTelemetry SDK whose spans go through the reference's
 * ScrubbingSpanProcessor and HighFrequencySampler (driven by the same `--config` as the log) to an
 * OTLP/HTTP exporter on loopback. Each request becomes one SERVER span carrying what its log event
 * carries (operation, outcome, status, duration, and the routing/metadata fields the scrubber strips
 * before export); the reference's own spans (signatures, envelopes) join the same pipeline. The SDK
 * packages are optional dependencies, loaded only when the flag is given.
 */
import { SpanKind, SpanStatusCode, trace, type AttributeValue, type Attributes } from '@opentelemetry/api';
import { loadOptionalSdk } from '../reference/envelope/kek/optional-sdk.js';
import { createScrubbingLogger, defaultSecurityConfig, loadSecurityConfig, type LogLevel, type ScrubbingLogger, type SecurityConfig } from '../reference/index.js';
import { HighFrequencySampler, ScrubbingSpanProcessor } from '../reference/observability/index.js';
import { HIGH_FREQUENCY_ATTRIBUTE } from '../reference/observability/tracing.js';
import { PACKAGE_VERSION } from '../reference/paths.js';
import { UsageError } from './command.js';
import { openServerLog, SERVER_LOG_USAGE } from './server-log.js';

export const SERVER_TELEMETRY_USAGE = `${SERVER_LOG_USAGE}
  --otlp URL          export one span per request (and the library's spans), scrubbed and sampled per
                      the config, to an OTLP/HTTP receiver on loopback (http://127.0.0.1:4318/v1/traces)`;

export interface ServerTelemetry {
  readonly logger?: ScrubbingLogger;
  /** Flushes pending spans, then closes the log. */
  close(): Promise<void>;
}

/** An OTLP receiver URL on loopback: http(s)://127.0.0.1, [::1] or localhost, any port and path. */
export function checkOtlpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--otlp must be a URL such as http://127.0.0.1:4318/v1/traces, got "${raw}"`);
  }
  // @req OBS-040
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname) || url.username || url.password) {
    throw new UsageError(`--otlp must be an http(s) URL on loopback (127.0.0.1, [::1], localhost) without credentials, got "${raw}"`);
  }
  return url;
}

/** Span attributes from a log event's fields: scalars as they are, anything else as JSON text. */
function toAttributes(attrs: unknown): Attributes {
  const out: Attributes = {};
  if (typeof attrs !== 'object' || attrs === null) return out;
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v as AttributeValue;
    else if (v !== undefined) out[k] = JSON.stringify(v) ?? String(v);
  }
  return out;
}

/** A logger that also turns each event into a span; the inner logger still writes (or discards) the line. */
function spanningLogger(inner: ScrubbingLogger): ScrubbingLogger {
  const tracer = trace.getTracer('agentsec-server', PACKAGE_VERSION);
  const span = (level: LogLevel, event: string, attrs: unknown, frequent: boolean): void => {
    try {
      const a = toAttributes(attrs);
      const ms = typeof a.duration_ms === 'number' ? a.duration_ms : 0;
      const s = tracer.startSpan(event, { kind: SpanKind.SERVER, startTime: Date.now() - ms, attributes: { ...a, 'agentsec.log.level': level, ...(frequent ? { [HIGH_FREQUENCY_ATTRIBUTE]: true } : {}) } });
      if (level === 'error' || level === 'warn') s.setStatus({ code: SpanStatusCode.ERROR });
      s.end();
    } catch {
      // Telemetry is never why a request fails (OBS-006).
    }
  };
  return {
    ...inner,
    policy: inner.policy,
    pino: inner.pino,
    stats: () => inner.stats(),
    log: (level, event, attrs) => (span(level, event, attrs, false), inner.log(level, event, attrs)),
    debug: (event, attrs) => (span('debug', event, attrs, false), inner.debug(event, attrs)),
    info: (event, attrs) => (span('info', event, attrs, false), inner.info(event, attrs)),
    warn: (event, attrs) => (span('warn', event, attrs, false), inner.warn(event, attrs)),
    error: (event, attrs) => (span('error', event, attrs, false), inner.error(event, attrs)),
    frequent: (event, attrs, level) => (span(level ?? 'debug', event, attrs, true), inner.frequent(event, attrs, level)),
  };
}

// @req OBS-041
export async function openServerTelemetry(logFlag: unknown, configFlag: unknown, otlpFlag: unknown): Promise<ServerTelemetry> {
  if (otlpFlag === undefined) {
    const log = openServerLog(logFlag, configFlag);
    return { ...(log.logger ? { logger: log.logger } : {}), close: async () => log.close() };
  }
  if (typeof otlpFlag !== 'string') throw new UsageError('--otlp needs a URL');
  const url = checkOtlpUrl(otlpFlag);
  const config: SecurityConfig = typeof configFlag === 'string' ? loadSecurityConfig(configFlag) : defaultSecurityConfig;
  const base = await loadOptionalSdk('@opentelemetry/sdk-trace-base', () => import('@opentelemetry/sdk-trace-base'), '--otlp');
  const { OTLPTraceExporter } = await loadOptionalSdk('@opentelemetry/exporter-trace-otlp-http', () => import('@opentelemetry/exporter-trace-otlp-http'), '--otlp');
  const provider = new base.BasicTracerProvider({
    sampler: new HighFrequencySampler(config),
    spanProcessors: [new ScrubbingSpanProcessor(new base.BatchSpanProcessor(new OTLPTraceExporter({ url: url.href })), config)],
  });
  trace.setGlobalTracerProvider(provider);
  const log = openServerLog(logFlag, configFlag);
  // Without --log the events still become spans; their lines go nowhere.
  const inner = log.logger ?? createScrubbingLogger(config, { write: () => undefined });
  return {
    logger: spanningLogger(inner),
    async close() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        log.close();
      }
    },
  };
}
