/** Record mutants (spec/records.md): what an exported agent record carries. */
import { areasWith, override, type Mutant } from './mutant.js';
import { agentOf, mapEntries, rebuilt, withStandIn } from './session-kit.js';

export const RECORD_MUTANTS: Mutant[] = [
  {
    name: 'rec-skipped-keys-not-persisted',
    area: 'records',
    description: 'the exported record drops the skipped message keys: messages delayed across a restart are lost (REC-001, DR-009)',
    selfConsistent: false,
    suite: 'session',
    traces: 'double_ratchet',
    caughtBy: ['session/x3dh/network'],
    areas: () =>
      areasWith('session', (a) =>
        override(a, {
          'session.export': async (p, ctx, next) => {
            const agent = agentOf(ctx, p.agent);
            const state = mapEntries(agent.state, (e) => ({ ...e, ratchet: { ...e.ratchet, skip: { ...e.ratchet.skip, skipped: [] } } }));
            return withStandIn(ctx, String(p.agent), rebuilt(ctx.provider, agent, state), () => next(p, ctx));
          },
        }),
      ),
  },
];
