/**
 * OpenTelemetry the ecosystem's way: a span processor and a log-record processor that scrub what an
 * application's pipeline exports, and a sampler for high-frequency spans, all driven by the
 * SecurityConfig (spec/observability.md OBS-022..025). Each wraps the processor or sampler the
 * application already uses (a BatchSpanProcessor with an OTLP exporter, say), so scrubbing sits
 * before export whatever the exporter. The SDK's interfaces are matched structurally: the reference
 * depends on @opentelemetry/api only, and any SDK 1.x/2.x object fits.
 */
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { parseSecurityConfig } from '../config/index.js';
import { scrubAttributes } from './attributes.js';
import { scrubPolicyFrom } from './logger.js';
import { createSampler } from './sampler.js';
import { redactString, scrubValue, type ScrubPolicy } from './scrub.js';
import { HIGH_FREQUENCY_ATTRIBUTE } from './tracing.js';

/** The part of the SDK's ReadableSpan that scrubbing touches; everything else passes through. */
export interface ReadableSpanLike {
  readonly name: string;
  readonly attributes: Attributes;
  readonly events: readonly { name: string; attributes?: Attributes; time: unknown; droppedAttributesCount?: number }[];
  readonly links: readonly { attributes?: Attributes }[];
}

export interface SpanProcessorLike<S = unknown, R = unknown> {
  onStart(span: S, parentContext: Context): void;
  onEnd(span: R): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface LogRecordLike {
  readonly body?: unknown;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface LogRecordProcessorLike<L = unknown> {
  onEmit(logRecord: L, context?: Context): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** SamplingDecision of the SDK: NOT_RECORD 0, RECORD 1, RECORD_AND_SAMPLED 2. */
export interface SamplingResultLike {
  decision: number;
  attributes?: Attributes;
}

export interface SamplerLike {
  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResultLike;
  toString(): string;
}

function policyOf(config: unknown): ScrubPolicy {
  return scrubPolicyFrom(parseSecurityConfig(config));
}

/** A read-only view of `span` whose name, attributes, event and link attributes are scrubbed. */
function scrubbedSpan<R extends ReadableSpanLike>(span: R, policy: ScrubPolicy): R {
  const attributes = scrubAttributes(span.attributes, policy);
  const events = span.events.map((e) => ({ ...e, name: redactString(e.name), ...(e.attributes ? { attributes: scrubAttributes(e.attributes, policy) } : {}) }));
  const links = span.links.map((l) => ({ ...l, ...(l.attributes ? { attributes: scrubAttributes(l.attributes, policy) } : {}) }));
  const name = redactString(span.name);
  return new Proxy(span, {
    get(target, prop, receiver) {
      if (prop === 'attributes') return attributes;
      if (prop === 'events') return events;
      if (prop === 'links') return links;
      if (prop === 'name') return name;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Wraps the processor that exports: every ended span reaches it scrubbed (routing and metadata
 * attributes removed per the configuration, key-like values redacted).
 */
export class ScrubbingSpanProcessor<S, R extends ReadableSpanLike> implements SpanProcessorLike<S, R> {
  readonly #next: SpanProcessorLike<S, R>;
  readonly #policy: ScrubPolicy;

  constructor(next: SpanProcessorLike<S, R>, config: unknown) {
    // @req OBS-022
    this.#policy = policyOf(config);
    this.#next = next;
  }

  onStart(span: S, parentContext: Context): void {
    this.#next.onStart(span, parentContext);
  }

  onEnd(span: R): void {
    this.#next.onEnd(scrubbedSpan(span, this.#policy));
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#next.shutdown();
  }
}

/** The same for OpenTelemetry logs: each record reaches the exporting processor scrubbed. */
export class ScrubbingLogRecordProcessor<L extends LogRecordLike> implements LogRecordProcessorLike<L> {
  readonly #next: LogRecordProcessorLike<L>;
  readonly #policy: ScrubPolicy;

  constructor(next: LogRecordProcessorLike<L>, config: unknown) {
    // @req OBS-023
    this.#policy = policyOf(config);
    this.#next = next;
  }

  onEmit(logRecord: L, context?: Context): void {
    const attributes = scrubAttributes(logRecord.attributes, this.#policy);
    const body = typeof logRecord.body === 'string' ? redactString(logRecord.body) : logRecord.body === undefined ? undefined : scrubValue(logRecord.body, this.#policy);
    const view = new Proxy(logRecord, {
      get(target, prop, receiver) {
        if (prop === 'attributes') return attributes;
        if (prop === 'body') return body;
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    this.#next.onEmit(view, context);
  }

  forceFlush(): Promise<void> {
    return this.#next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#next.shutdown();
  }
}

/**
 * Keeps `observability.sampleHighFrequency` of the spans marked high-frequency (per ratchet
 * message, per transport frame), the same ones every run; every other span goes to `base`.
 */
export class HighFrequencySampler implements SamplerLike {
  readonly #base: SamplerLike | undefined;
  readonly #sampler: ReturnType<typeof createSampler>;

  constructor(config: unknown, base?: SamplerLike) {
    // @req OBS-024
    this.#sampler = createSampler(parseSecurityConfig(config).observability.sampleHighFrequency);
    this.#base = base;
  }

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResultLike {
    if (attributes[HIGH_FREQUENCY_ATTRIBUTE] === true && !this.#sampler.keep(spanName)) return { decision: 0 };
    return this.#base ? this.#base.shouldSample(context, traceId, spanName, spanKind, attributes, links) : { decision: 2 };
  }

  toString(): string {
    return `agentsec.HighFrequencySampler(${this.#sampler.rate})`;
  }
}
