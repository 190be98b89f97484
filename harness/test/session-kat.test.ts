import { describe, expect, it } from 'vitest';
import { getProvider, type CryptoProvider } from '../../reference/index.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { runWithReference } from '../../cli/compose.js';
import { sessionSuite } from '../suites/session.js';

/** An implementation that leaves the ML-KEM shared secret out of its KDF on both sides (a constant instead). */
function pqBlind(base: CryptoProvider): CryptoProvider {
  const kem = (name: Parameters<CryptoProvider['kem']>[0]): ReturnType<CryptoProvider['kem']> => {
    const k = base.kem(name);
    return Object.assign(Object.create(k) as typeof k, {
      encapsulate: (pk: Uint8Array, m?: Uint8Array) => ({ ciphertext: k.encapsulate(pk, m).ciphertext, sharedSecret: new Uint8Array(32) }),
      decapsulate: () => new Uint8Array(32),
    });
  };
  return Object.assign(Object.create(base) as CryptoProvider, { kem });
}

const run = (only: string[], provider: CryptoProvider) => runWithReference({ suites: [sessionSuite], only, seed: 1, startIut: () => startReferenceAdapter({ provider }) });

describe('session known answers through the adapter', () => {
  it('SESS-031: the reference passes every known-answer test as initiator and responder, and every invalid vector', async () => {
    const r = await run(['session/known-answer/*'], getProvider('node'));
    const bad = r.tests.filter((t) => t.outcome !== 'pass').map((t) => `${t.id}: ${t.outcome} ${t.message ?? ''}`);
    expect(bad).toEqual([]);
    expect(r.tests.length).toBe(8 + 13);
  });

  it('SESS-031 PQXDH-002: an implementation leaving the PQ secret out of its KDF on both sides talks to itself, but fails the known answers both ways', async () => {
    const r = await run(['session/pqxdh/ping-pong', 'session/known-answer/*'], pqBlind(getProvider('node')));
    const outcome = Object.fromEntries(r.tests.map((t) => [t.id, t.outcome]));
    expect(outcome['session/pqxdh/ping-pong']).toBe('pass');
    for (const tc of [3, 4]) for (const side of ['initiator', 'responder']) expect(outcome[`session/known-answer/tc${tc}/iut-${side}`], `tc${tc} ${side}`).toBe('fail');
    expect(outcome['session/known-answer/tc1/iut-initiator']).toBe('pass');
  });
});
