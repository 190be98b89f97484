/** Shared fixtures for the session tests: seeded providers and established agent pairs. */
import { createNodeProvider, deterministicRandomForTestingOnly, type CryptoProvider } from '../crypto/index.js';
import { SessionAgent, type AgentOptions, type HandshakeKind } from '../session/index.js';
import { utf8 } from '../bytes.js';

export const enc = utf8;
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A node provider whose randomness is a fixed-seed stream (reproducible keys). */
export function seededProvider(seed: number | string): CryptoProvider {
  return createNodeProvider(deterministicRandomForTestingOnly(seed), `node-seeded-${seed}`);
}

export interface Pair {
  p: CryptoProvider;
  alice: SessionAgent;
  bob: SessionAgent;
}

/** Alice initiates to Bob and Bob decrypts the first message, so both directions work. */
export function establishedPair(seed: number | string, kind: HandshakeKind = 'x3dh', opts: Partial<AgentOptions> = {}): Pair {
  const p = seededProvider(seed);
  const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 2, ...opts });
  const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 2, ...opts });
  const m = alice.initiate('bob', bob.bundle(), enc('hello'));
  if (dec(bob.decrypt('alice', m)) !== 'hello') throw new Error('fixture: first message did not decrypt');
  return { p, alice, bob };
}

/** Hex of a value's JSON-free deterministic fingerprint: the agent's persisted body. */
export { encodeAgentBody } from '../session/index.js';

import { toHex } from '../bytes.js';
import { encodeAgentBody as bodyOf } from '../session/index.js';
import { AgentsecError } from '../errors.js';

/** The agent's persisted body as hex: equal strings mean byte-identical persisted state. */
export function snapshot(agent: SessionAgent): string {
  return toHex(bodyOf(agent.state, agent.identity));
}

/** Runs `f`, expects an AgentsecError, and checks every listed agent's persisted state is unchanged. */
export function refused(f: () => unknown, ...agents: SessionAgent[]): AgentsecError {
  const before = agents.map(snapshot);
  try {
    f();
  } catch (e) {
    if (!(e instanceof AgentsecError)) throw e;
    agents.forEach((a, i) => {
      if (snapshot(a) !== before[i]) throw new Error(`state changed after a refused operation (${e.kind}/${e.reason})`);
    });
    return e;
  }
  throw new Error('expected a refusal, the operation succeeded');
}
