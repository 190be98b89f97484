/** Envelope mutants (spec/envelope.md), planted through envelope.* methods (the traces run through them too: CONF-150). */
import { areasWith, override, type Mutant } from './mutant.js';

export const ENVELOPE_MUTANTS: Mutant[] = [
  {
    name: 'env-rewrap-noop',
    area: 'envelope',
    description: 'rewrap returns the envelope unchanged, under its old KEK version (ENV-020)',
    selfConsistent: false,
    suite: 'envelope',
    traces: 'envelope_lifecycle',
    caughtBy: ['envelope/rewrap/moves-to-current', 'envelope/retire/stale-fails-rewrapped-opens', 'envelope/kek-admin/rewrap'],
    areas: () => areasWith('envelope', (a) => override(a, { 'envelope.rewrap': (p) => ({ envelope: p.envelope }) })),
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
  },
  {
    name: 'env-retire-noop',
    area: 'envelope',
    description: 'retiring a KEK version answers success but keeps its key usable (ENV-021, ENV-022)',
    selfConsistent: false,
    suite: 'envelope',
    traces: 'envelope_lifecycle',
    caughtBy: ['envelope/kek-admin/retire'],
    areas: () => areasWith('envelope', (a) => override(a, { 'envelope.kek_retire': () => ({}) })),
  },
  {
    name: 'env-cache-unbounded',
    area: 'envelope',
    description: 'the data key cache ignores its limits: one data key for every message, forever, for any number of contexts (ENV-041, ENV-050)',
    selfConsistent: true,
    suite: 'envelope',
    traces: undefined,
    caughtBy: ['envelope/cache/max-messages', 'envelope/cache/max-age', 'envelope/cache/max-entries'],
    areas: () =>
      areasWith('envelope', (a) =>
        override(a, {
          'envelope.kek_new': (p, ctx, next) => next(p.cache ? { ...p, cache: { max_messages: 2 ** 32, max_age_ms: 86_400_000, max_entries: 1_000_000 } } : p, ctx),
        }),
      ),
  },
];
