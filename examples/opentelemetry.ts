// Wiring agentsec's spans into an application's OpenTelemetry pipeline. agentsec only uses
// @opentelemetry/api; the application installs the SDK and puts the scrubbing processor in front
// of the processor that exports, so routing and metadata attributes never leave the process.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultSecurityConfig, HighFrequencySampler, ScrubbingSpanProcessor } from '../api/index.js';

export function installTracing(collectorUrl: string, config: unknown = defaultSecurityConfig): BasicTracerProvider {
  const provider = new BasicTracerProvider({
    // Per-message spans (ratchet steps, transport frames) at observability.sampleHighFrequency.
    sampler: new HighFrequencySampler(config),
    spanProcessors: [new ScrubbingSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter({ url: collectorUrl })), config)],
  });
  trace.setGlobalTracerProvider(provider);
  return provider;
}
