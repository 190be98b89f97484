/**
 * Spans of the reference through @opentelemetry/api: a no-op until the application installs an
 * OpenTelemetry SDK. Attributes name protocols, roles, sizes, versions and outcomes only -- never key
 * material, plaintext or ciphertext (OBS-022). Routing and metadata attributes (peer ids, encryption
 * context keys) are set so that an application that wants them can keep them; the scrubbing span
 * processor removes them per the configuration before anything is exported.
 */
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AgentsecError } from '../errors.js';
import { PACKAGE_VERSION } from '../paths.js';

/** Spans with this attribute are high-frequency (per message): the agentsec sampler thins them. */
export const HIGH_FREQUENCY_ATTRIBUTE = 'agentsec.high_frequency';

const tracer = () => trace.getTracer('agentsec', PACKAGE_VERSION);

function recordFailure(span: Span, e: unknown): void {
  // Kind and reason only: a message may name things an operator's trace backend should not hold.
  if (e instanceof AgentsecError) span.setAttributes({ 'agentsec.error.kind': e.kind, 'agentsec.error.reason': e.reason });
  else span.setAttribute('agentsec.error.kind', 'internal');
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Runs `fn` inside a span named `name`; the span ends when `fn` returns or throws. */
export function tracedSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (e) {
      recordFailure(span, e);
      throw e;
    } finally {
      span.end();
    }
  });
}

/** The same for a promise-returning `fn`: the span ends when the promise settles. */
export function traced<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      recordFailure(span, e);
      throw e;
    } finally {
      span.end();
    }
  });
}
