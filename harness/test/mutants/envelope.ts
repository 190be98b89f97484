/** Envelope mutants (spec/envelope.md), planted through envelope.* methods (the traces run through them too: CONF-150). */
import { envelopeParts } from '../../../vectors/envelope/layout.js';
import { areasWith, override, providerWith, withProvider, type Mutant } from './mutant.js';

const COMMIT_INFO = Buffer.from('agentsec/envelope/v1 commitment').toString('hex');

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
  {
    name: 'env-no-key-commitment',
    area: 'envelope',
    description: 'open skips the key commitment check: the derived commitment is taken to be the one the envelope carries (ENV-006, ENV-070)',
    selfConsistent: true,
    suite: 'envelope',
    traces: undefined,
    caughtBy: ['envelope/commitment/two-data-keys'],
    areas: () =>
      areasWith('envelope', (a) => {
        // While an open runs, the commitment HKDF answers with the envelope's own commitment.
        let carried: Uint8Array | undefined;
        const blind = withProvider(a, (p) => providerWith(p, { hkdf: (n, ikm, salt, info, len) => (carried && Buffer.from(info).toString('hex') === COMMIT_INFO ? carried.slice() : p.hkdf(n, ikm, salt, info, len)) }));
        return override(blind, {
          'envelope.open': async (p, ctx, next) => {
            carried = typeof p.envelope === 'string' ? envelopeParts(new Uint8Array(Buffer.from(p.envelope, 'hex')))?.commitment : undefined;
            try {
              return await next(p, ctx);
            } finally {
              carried = undefined;
            }
          },
        });
      }),
  },
];
