/** Trace conformance: replay of the model traces (vectors/traces/) against an implementation. */
import type { Adapter } from '../conform/types.js';
import { modelOf } from './corpus.js';
import { replayEnvelope, type EnvelopeSubject } from './envelope.js';
import { adapterEnvelopeSubject, ENVELOPE_TRACES_NA, envelopeApplies } from './envelope-adapter.js';
import type { Trace } from './itf.js';
import { replayNoise } from './noise.js';
import type { ReplayOptions } from './projection.js';
import { replayRatchet } from './ratchet.js';

export { loadCorpus, modelOf, traceFiles, TRACE_DIR, type TraceModel } from './corpus.js';
export { loadTrace, parseTrace, type Trace } from './itf.js';
export { noiseApplies, replayNoise } from './noise.js';
export { ratchetApplies, replayRatchet } from './ratchet.js';
export { replayEnvelope, type EnvelopeSubject } from './envelope.js';
export { adapterEnvelopeSubject, envelopeApplies, ENVELOPE_TRACES_NA } from './envelope-adapter.js';
export type { ReplayOptions } from './projection.js';

/** A trace that needs what the implementation does not offer: the caller reports n/a, never a substitute. */
export class TraceNotApplicable extends Error {
  override name = 'TraceNotApplicable';
}

export interface TraceReplayOptions extends ReplayOptions {
  /**
   * A fresh subject for each envelope trace. Without one, the implementation itself through its
   * `envelope.kek_*` methods when it claims `envelope.kek_admin`, else the trace is not applicable.
   */
  envelope?: () => EnvelopeSubject;
}

/** Replays one trace; throws CheckFailure at the first divergence. Returns the steps replayed. */
export async function replayTrace(trace: Trace, iut: Adapter, opts: TraceReplayOptions = {}): Promise<number> {
  switch (modelOf(trace)) {
    case 'noise_handshake':
      return replayNoise(trace, iut, opts);
    case 'double_ratchet':
      return replayRatchet(trace, iut, opts);
    case 'envelope_lifecycle':
      if (opts.envelope) return replayEnvelope(trace, opts.envelope());
      // @req CONF-150
      if (envelopeApplies(iut.hello.capabilities) !== true) throw new TraceNotApplicable(ENVELOPE_TRACES_NA);
      return replayEnvelope(trace, adapterEnvelopeSubject(iut));
  }
}
