/** X3DH / PQXDH mutants (spec/x3dh.md), planted through session.* methods or the session area's crypto. */
import { equalBytes, utf8 } from '../../../reference/bytes.js';
import { isInitial } from '../../../reference/session/initial-message.js';
import { PQXDH_INFO, X3DH_INFO } from '../../../reference/session/x3dh.js';
import type { CryptoProvider } from '../../../reference/crypto/provider.js';
import { SessionAgent } from '../../../reference/session/agent.js';
import { areasWith, override, providerWith, withProvider, type Mutant } from './mutant.js';
import { acceptsDuplicates } from './ratchet.js';
import { AGENT, agentOf } from './session-kit.js';

const X3DH = utf8(X3DH_INFO);
const PQXDH = utf8(PQXDH_INFO);
/** Size of the ML-KEM shared secret, the last part of PQXDH's KDF input. */
const SS = 32;

/** The agent's own parts the shipped class keeps private (read here to rebuild it around an edited state). */
interface AgentInternals {
  readonly p: CryptoProvider;
  readonly maxReplayDigests: number;
}

export const X3DH_MUTANTS: Mutant[] = [
  {
    name: 'x3dh-wrong-kdf-info',
    area: 'x3dh',
    description: 'SK is derived under another info string ("... SHA-512"), on both sides (X3DH-004)',
    selfConsistent: true,
    suite: 'session',
    traces: undefined,
    caughtBy: ['session/x3dh/interop/iut-initiates', 'session/x3dh/interop/reference-initiates'],
    areas: () =>
      areasWith('session', (a) =>
        withProvider(a, (p) => providerWith(p, { hkdf: (n, ikm, salt, info, len) => p.hkdf(n, ikm, salt, equalBytes(info, X3DH) ? utf8('agentsec/1 X3DH CURVE25519 SHA-512') : info, len) })),
      ),
  },
  {
    name: 'pqxdh-pq-secret-omitted',
    area: 'pqxdh',
    description: 'the ML-KEM shared secret is left out of the KDF input, on both sides (X3DH-004, PQXDH-002)',
    selfConsistent: true,
    suite: 'session',
    traces: undefined,
    caughtBy: ['session/pqxdh/interop/iut-initiates', 'session/pqxdh/interop/reference-initiates'],
    areas: () =>
      areasWith('session', (a) =>
        withProvider(a, (p) => providerWith(p, { hkdf: (n, ikm, salt, info, len) => p.hkdf(n, equalBytes(info, PQXDH) ? ikm.subarray(0, ikm.length - SS) : ikm, salt, info, len) })),
      ),
  },
  {
    name: 'x3dh-initial-replay-accepted',
    area: 'x3dh',
    description: 'a replayed initial message is accepted again, with its plaintext (X3DH-009)',
    selfConsistent: false,
    suite: 'session',
    traces: 'double_ratchet',
    caughtBy: ['session/x3dh/initial-replayed', 'session/pqxdh/initial-replayed'],
    areas: acceptsDuplicates((m) => isInitial(m)),
  },
  {
    name: 'x3dh-replay-digests-evicted',
    area: 'x3dh',
    description: 'at the replay bound the oldest replay digest is forgotten to make room, instead of refusing (X3DH-020, X3DH-021)',
    selfConsistent: false,
    suite: 'session',
    traces: undefined,
    caughtBy: ['session/x3dh/initial-replay-after-flood', 'session/pqxdh/initial-replay-after-flood'],
    areas: () =>
      areasWith('session', (a) =>
        override(a, {
          'session.decrypt': (p, ctx, next) => {
            const agent = agentOf(ctx, p.agent);
            const { p: provider, maxReplayDigests } = agent as unknown as AgentInternals;
            const digests = agent.state.prekeys.replayDigests;
            if (digests.length >= maxReplayDigests) {
              const state = { ...agent.state, prekeys: { ...agent.state.prekeys, replayDigests: digests.slice(digests.length - maxReplayDigests + 1) } };
              ctx.objects.set(p.agent as string, AGENT, new SessionAgent(provider, agent.identity, state, agent.watermarks, { limits: agent.limits, maxReplayDigests }));
            }
            return next(p, ctx);
          },
        }),
      ),
  },
];
