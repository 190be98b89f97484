/**
 * Every benchmark case of every suite passes its correctness checks (no timing here), and the
 * checks do catch a wrong implementation: a provider whose AEAD or X25519 output is off by one
 * bit fails verification, so it would never be timed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createNobleProvider, registerProviderFactory, type CryptoProvider } from '../../reference/index.js';
import { VerificationError } from '../case.js';
import { primitiveSuite } from '../primitives.bench.js';
import { loadSuites } from '../run.js';
import { SUITES } from '../suites.js';
import { packageVersion } from '../peers.js';
import { requireService } from '../../vectors/external.js';

describe('bench suites', () => {
  it('load with both providers and every peer, and every case verifies', async () => {
    const suite = await loadSuites(SUITES);
    // Whole-suite failures and missing providers would silently shrink the benchmark.
    // libsignal-client (AGPL-3.0) is installed on demand: `npm run bench:peers` (CI runs it).
    const libsignal = requireService('libsignal-client benchmark peer', packageVersion('@signalapp/libsignal-client') !== undefined, 'npm run bench:peers');
    const peers = ['sodium-native', 'noise-handshake', ...(libsignal ? ['libsignal-client'] : [])];
    const missing = suite.unavailable.filter((u) => u.groups.length === 0 || u.implementation.startsWith('provider:') || peers.includes(u.implementation));
    expect(missing).toEqual([]);
    const groups = new Set(suite.cases.map((c) => c.group));
    for (const g of suite.groups) expect(groups.has(g.id), `group ${g.id} has cases`).toBe(true);
    for (const g of ['aead-seal-open-64B', 'x25519-dh', 'ed25519-verify', 'hkdf-sha256-64B', 'mlkem768-decaps', 'noise-ik-handshake', 'noise-transport-1KiB', 'x3dh-setup', 'pqxdh-setup', 'ratchet-64B-alternating', 'envelope-seal-open-1KiB']) {
      const names = suite.cases.filter((c) => c.group === g).map((c) => c.name);
      expect(names.some((n) => n.startsWith('provider:noble') || n.includes(' provider:noble')), `${g} has the noble provider`).toBe(true);
      expect(names.some((n) => n.startsWith('provider:node') || n.includes(' provider:node')), `${g} has the node provider`).toBe(true);
    }
    const ids = suite.cases.map((c) => `${c.group}/${c.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    const failures: string[] = [];
    for (const c of suite.cases) {
      try {
        const checks = await c.verify();
        if (checks.length === 0) failures.push(`${c.group}/${c.name}: no checks`);
      } catch (e) {
        failures.push(`${c.group}/${c.name}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  describe('with a provider that computes wrong answers', () => {
    afterAll(() => registerProviderFactory('noble', () => createNobleProvider()));

    it('fails verification of exactly its own cases', async () => {
      const good = createNobleProvider();
      const flip = (b: Uint8Array): Uint8Array => {
        const out = b.slice();
        out[out.length - 1]! ^= 1;
        return out;
      };
      const broken: CryptoProvider = {
        ...good,
        name: 'broken',
        aead: (n) => {
          const a = good.aead(n);
          return { ...a, seal: (k, nonce, p, ad) => flip(a.seal(k, nonce, p, ad)), open: (k, nonce, c, ad) => a.open(k, nonce, c, ad) };
        },
        x25519: { ...good.x25519, dh: (a, b) => flip(good.x25519.dh(a, b)) },
      };
      registerProviderFactory('noble', () => broken);
      const suite = primitiveSuite();
      const outcome = async (group: string, name: string): Promise<string> => {
        const c = suite.cases.find((x) => x.group === group && x.name === name);
        if (!c) throw new Error(`no case ${group}/${name}`);
        try {
          await c.verify();
          return 'passed';
        } catch (e) {
          return e instanceof VerificationError ? 'refused' : `threw ${(e as Error).message}`;
        }
      };
      expect(await outcome('aead-seal-open-1KiB', 'provider:noble AES-256-GCM')).toBe('refused');
      expect(await outcome('aead-seal-open-64B', 'provider:noble ChaCha20-Poly1305')).toBe('refused');
      expect(await outcome('x25519-dh', 'provider:noble')).toBe('refused');
      expect(await outcome('aead-seal-open-1KiB', 'node:crypto aes-256-gcm')).toBe('passed');
      expect(await outcome('x25519-dh', '@noble/curves x25519')).toBe('passed');
      expect(await outcome('ed25519-sign', 'provider:noble')).toBe('passed');
    });
  });
});
