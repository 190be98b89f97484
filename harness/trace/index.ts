/** Trace conformance: replay of the model traces (vectors/traces/) against an implementation. */
import type { Adapter } from '../conform/types.js';
import { modelOf } from './corpus.js';
import { replayEnvelope, type EnvelopeOps } from './envelope.js';
import type { Trace } from './itf.js';
import { replayNoise } from './noise.js';
import { replayRatchet } from './ratchet.js';
import type { ReplayOptions } from './projection.js';

export { loadCorpus, modelOf, traceFiles, TRACE_DIR, type TraceModel } from './corpus.js';
export { loadTrace, parseTrace, type Trace } from './itf.js';
export { noiseApplies, replayNoise } from './noise.js';
export { ratchetApplies, replayRatchet } from './ratchet.js';
export { replayEnvelope, REFERENCE_ENVELOPE_OPS, type EnvelopeOps } from './envelope.js';
export type { ReplayOptions } from './projection.js';

/** Replays one trace; throws CheckFailure at the first divergence. Returns the steps replayed. */
export async function replayTrace(trace: Trace, iut: Adapter, opts: ReplayOptions = {}, envelopeOps?: EnvelopeOps): Promise<number> {
  switch (modelOf(trace)) {
    case 'noise_handshake':
      return replayNoise(trace, iut, opts);
    case 'double_ratchet':
      return replayRatchet(trace, iut, opts);
    case 'envelope_lifecycle':
      // KEK administration is not part of the adapter protocol: the reference API is replayed.
      return replayEnvelope(trace, undefined, envelopeOps);
  }
}
