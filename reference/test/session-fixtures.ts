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
