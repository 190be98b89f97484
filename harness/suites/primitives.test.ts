import { describe, expect, it } from 'vitest';
import { getProvider } from '../../reference/index.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { CheckFailure } from '../conform/assert.js';
import { SeededRng } from '../conform/rng.js';
import { AdapterCallError, type Adapter, type TestCase, type TestContext } from '../conform/types.js';
import { requireSharedVectors } from '../../vectors/external.js';
import { WYCHEPROOF_FILES } from '../../vectors/wycheproof.js';
import { primitivesSuite } from './primitives.js';

const dir = requireSharedVectors('primitives suite tests');

function context(iut: Adapter, quick: boolean, log: string[]): TestContext {
  return { iut, reference: iut, seed: 1, rng: new SeededRng(1, 'primitives'), services: {}, quick, log: (l) => log.push(l), warn: (w) => log.push(`warning: ${w}`) };
}

async function tests(): Promise<TestCase[]> {
  return primitivesSuite.tests({ quick: false, sharedVectorsDir: dir! });
}

/** The reference, with one method's result replaced. */
function tampered(inner: Adapter, method: string, f: (params: Record<string, unknown>, result: unknown) => unknown): Adapter {
  return {
    hello: inner.hello,
    call: async (m, p) => {
      if (m !== method) return inner.call(m, p);
      let r: unknown;
      try {
        r = await inner.call(m, p);
      } catch (e) {
        r = e;
      }
      return f(p, r);
    },
    stderr: () => '',
    close: () => inner.close(),
  };
}

describe('primitives suite', () => {
  it('CRYPTO-015: unavailable without the shared vectors folder, with the reason', () => {
    expect(primitivesSuite.unavailable?.({ quick: false })).toMatch(/shared vectors/);
    expect(primitivesSuite.unavailable?.({ quick: false, sharedVectorsDir: '/nonexistent' })).toMatch(/missing/);
  });

  describe.skipIf(!dir)('against the reference', () => {
    it('CRYPTO-015: one test per Wycheproof file, each citing CRYPTO-010 and CRYPTO-015', async () => {
      const ts = await tests();
      expect(ts.map((t) => t.id)).toEqual(WYCHEPROOF_FILES.map((f) => `primitives/wycheproof/${f}`));
      for (const t of ts) expect(t.reqs).toEqual(expect.arrayContaining(['CRYPTO-010', 'CRYPTO-015']));
    });

    for (const provider of ['noble', 'node'] as const) {
      it(`CRYPTO-010 CRYPTO-015: every file passes in full through prim.* (reference on ${provider})`, async () => {
        const iut = await startReferenceAdapter({ provider: getProvider(provider) });
        const log: string[] = [];
        for (const t of await tests()) {
          expect(t.applies?.(iut.hello.capabilities)).toBe(true);
          await t.run(context(iut, false, log));
        }
        console.log(`primitives suite over the adapter (${provider}):\n${log.join('\n')}`);
        expect(log).toHaveLength(WYCHEPROOF_FILES.length);
        for (const l of log) expect(l).toMatch(/failed 0,/);
        expect(log.join('\n')).toMatch(/x25519: total 518, run 518, passed 518/);
      });
    }

    it('CRYPTO-015: a quick run samples each file', async () => {
      const iut = await startReferenceAdapter();
      const log: string[] = [];
      const t = (await tests()).find((x) => x.id.endsWith('/x25519'))!;
      await t.run(context(iut, true, log));
      expect(log[0]).toMatch(/run 40, passed 40/);
    });

    it('CRYPTO-003 CRYPTO-011: an implementation returning zeros for low-order points fails with the tcIds listed', async () => {
      const ref = await startReferenceAdapter();
      const lax = tampered(ref, 'prim.x25519', (_p, r) => (r instanceof AdapterCallError && r.kind === 'policy_reject' ? { shared: '00'.repeat(32) } : r instanceof Error ? Promise.reject(r) : r));
      const t = (await tests()).find((x) => x.id.endsWith('/x25519'))!;
      const err = await t.run(context(lax, false, [])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckFailure);
      expect((err as Error).message).toMatch(/Wycheproof x25519: \d+ of 518 tests failed: tcId \d+/);
      expect((err as Error).message).toMatch(/and \d+ more/);
    });

    it('CRYPTO-004 CRYPTO-015: an AEAD returning a wrong tag fails; a wrongly typed result is a failure, not a pass', async () => {
      const ref = await startReferenceAdapter();
      const flipped = tampered(ref, 'prim.aead_seal', (_p, r) => {
        if (r instanceof Error) return Promise.reject(r);
        const c = (r as { ciphertext: string }).ciphertext;
        return { ciphertext: c.slice(0, -2) + (c.endsWith('00') ? '01' : '00') };
      });
      const aes = (await tests()).find((x) => x.id.endsWith('/aes_gcm'))!;
      await expect(aes.run(context(flipped, false, []))).rejects.toThrow(/ciphertext\|\|tag mismatch/);
      const garbage = tampered(ref, 'prim.hkdf', () => ({ okm: 42 }));
      const hkdf = (await tests()).find((x) => x.id.endsWith('/hkdf_sha256'))!;
      await expect(hkdf.run(context(garbage, false, []))).rejects.toThrow(/must be lowercase hex/);
    });

    it('CRYPTO-015: n/a when the primitive is not claimed', async () => {
      const t = (await tests()).find((x) => x.id.endsWith('/mlkem_1024'))!;
      expect(t.applies?.({ primitives: ['x25519'] })).toMatch(/ml-kem-1024.*not claimed/);
      expect(t.applies?.({})).toMatch(/not claimed/);
    });

    it('CRYPTO-015: prim.* refuse bad params with typed kinds', async () => {
      const iut = await startReferenceAdapter();
      const kind = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => (e instanceof AdapterCallError ? e.kind : 'crash'));
      expect(await kind(iut.call('prim.aead_seal', { alg: 'AES-128-GCM', key: '00', nonce: '00', plaintext: '', ad: '' }))).toBe('unsupported');
      expect(await kind(iut.call('prim.aead_seal', { alg: 'AES-256-GCM', key: '00', nonce: '00', plaintext: '', ad: '' }))).toBe('decode_failure');
      expect(await kind(iut.call('prim.aead_open', { alg: 'AES-256-GCM', key: '00'.repeat(32), nonce: '00'.repeat(12), ciphertext: '00'.repeat(16), ad: '' }))).toBe('auth_failure');
      expect(await kind(iut.call('prim.x25519', { private: '11'.repeat(32), public: '00'.repeat(32) }))).toBe('policy_reject');
      expect(await kind(iut.call('prim.hkdf', { hash: 'SHA-256', ikm: '', salt: '', info: '', length: -1 }))).toBe('decode_failure');
      expect(await kind(iut.call('prim.hkdf', { hash: 'MD5', ikm: '', salt: '', info: '', length: 1 }))).toBe('unsupported');
      expect(await kind(iut.call('prim.mlkem_keygen', { alg: 'ML-KEM-768', seed: 'zz' }))).toBe('decode_failure');
      const r = (await iut.call('prim.mlkem_keygen', { alg: 'ML-KEM-768', seed: '00'.repeat(64) })) as { public: string; secret: string };
      const e = (await iut.call('prim.mlkem_encaps', { alg: 'ML-KEM-768', public: r.public })) as { ciphertext: string; shared: string };
      const d = (await iut.call('prim.mlkem_decaps', { alg: 'ML-KEM-768', ciphertext: e.ciphertext, secret: r.secret })) as { shared: string };
      expect(d.shared).toBe(e.shared);
    });
  });
});
