/**
 * The reference's envelope API as the subject of envelope_lifecycle traces (test side: the harness
 * itself never reaches the reference). An in-memory LocalKekRing on a clock the replay moves (one
 * model tick = 1 s, grace period = 2 ticks).
 */
import { AgentsecError, type KekProvider, LocalKekRing, openEnvelope, rewrapEnvelope, sealEnvelope } from '../../reference/index.js';
import { GRACE_TICKS, TICK_MS, type EnvelopeSubject } from '../trace/envelope.js';

/** The library's envelope operations; a mutant replaces one to plant its bug. */
export interface EnvelopeOps {
  seal: typeof sealEnvelope;
  open: typeof openEnvelope;
  rewrap: typeof rewrapEnvelope;
}

const LIBRARY: EnvelopeOps = { seal: sealEnvelope, open: openEnvelope, rewrap: rewrapEnvelope };

export function referenceEnvelopeSubject(ops: EnvelopeOps = LIBRARY): EnvelopeSubject {
  let now = 1_800_000_000_000;
  const clock = () => now;
  const kek: KekProvider = LocalKekRing.open({ clock, graceMs: GRACE_TICKS * TICK_MS, kekId: 'local:trace-replay' });
  return {
    seal: (plaintext, context) => ops.seal(kek, plaintext, context),
    open: (envelope, context) => ops.open(kek, envelope, context),
    rewrap: (envelope) => ops.rewrap(kek, envelope),
    rotate: () => kek.rotate(),
    retire: (version) => kek.retire(version),
    advance: (ms) => {
      now += ms;
    },
    currentVersion: () => kek.currentVersion(),
    versions: () => kek.versions(),
    kindOf: (e) => (e instanceof AgentsecError ? e.kind : undefined),
  };
}
