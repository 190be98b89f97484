/** Envelope mutants (spec/envelope.md), planted through envelope.* methods and, for the traces, the library calls. */
import { openEnvelope, rewrapEnvelope, sealEnvelope } from '../../../reference/index.js';
import { areasWith, override, type Mutant } from './mutant.js';

export const ENVELOPE_MUTANTS: Mutant[] = [
  {
    name: 'env-rewrap-noop',
    area: 'envelope',
    description: 'rewrap returns the envelope unchanged, under its old KEK version (ENV-020)',
    selfConsistent: false,
    suite: 'envelope',
    traces: 'envelope_lifecycle',
    caughtBy: ['envelope/rewrap/moves-to-current', 'envelope/retire/stale-fails-rewrapped-opens'],
    areas: () => areasWith('envelope', (a) => override(a, { 'envelope.rewrap': (p) => ({ envelope: p.envelope }) })),
    envelopeOps: () => ({ seal: sealEnvelope, open: openEnvelope, rewrap: async (_kek, envelope) => envelope }),
  },
  {
    name: 'env-context-ignored',
    area: 'envelope',
    description: 'the encryption context is not bound: seal and open use an empty one, on both sides (ENV-010)',
    selfConsistent: true,
    suite: 'envelope',
    traces: 'envelope_lifecycle',
    caughtBy: ['envelope/context-mismatch'],
    areas: () =>
      areasWith('envelope', (a) =>
        override(a, {
          'envelope.seal': (p, ctx, next) => next({ ...p, context: {} }, ctx),
          'envelope.open': (p, ctx, next) => next({ ...p, context: {} }, ctx),
        }),
      ),
    envelopeOps: () => ({ seal: (kek, pt, _c, o) => sealEnvelope(kek, pt, {}, o), open: (kek, env, _c, o) => openEnvelope(kek, env, {}, o), rewrap: rewrapEnvelope }),
  },
];
