import { describe, expect, it } from 'vitest';
import { getProvider } from '../../reference/index.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { CheckFailure } from '../conform/assert.js';
import { SeededRng } from '../conform/rng.js';
import { AdapterCallError, type Adapter, type TestCase, type TestContext } from '../conform/types.js';
import { requireSharedVectors } from '../../vectors/external.js';
import { loadWycheproof, plannedSkips, WYCHEPROOF_FILES } from '../../vectors/wycheproof.js';
import { primitivesSuite, QUICK_SAMPLE } from './primitives.js';

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
  it('CRYPTO-015: unavailable without the vendored vectors folder, with the reason', () => {
    expect(primitivesSuite.unavailable?.({ quick: false })).toMatch(/vendored vectors folder/);
    expect(primitivesSuite.unavailable?.({ quick: false, sharedVectorsDir: '/nonexistent' })).toMatch(/missing/);
  });

  describe.skipIf(!dir)('against the reference', () => {
    it('CRYPTO-015 CONF-063: one test per Wycheproof case (primitives/wycheproof/<file>/<tcId>), each citing CRYPTO-010 and CRYPTO-015', async () => {
      const ts = await tests();
      for (const f of WYCHEPROOF_FILES) {
        const ids = ts.filter((t) => t.id.startsWith(`primitives/wycheproof/${f}/`)).map((t) => t.id);
        expect(ids.length, f).toBe(loadWycheproof(dir!, f).numberOfTests);
        expect(new Set(ids).size).toBe(ids.length);
      }
      expect(ts.map((t) => t.id)).toContain('primitives/wycheproof/x25519/1');
      for (const t of ts) expect(t.reqs).toEqual(expect.arrayContaining(['CRYPTO-010', 'CRYPTO-015']));
    });

    async function runAll(iut: Adapter, ts: readonly TestCase[]): Promise<{ run: number; na: string[]; failed: string[] }> {
      const out = { run: 0, na: [] as string[], failed: [] as string[] };
      for (const t of ts) {
        const a = t.applies?.(iut.hello.capabilities) ?? true;
        if (a !== true) {
          out.na.push(`${t.id}: ${a}`);
          continue;
        }
        out.run++;
        await t.run(context(iut, false, [])).catch((e: unknown) => out.failed.push(`${t.id}: ${String(e)}`));
      }
      return out;
    }

    for (const provider of ['noble', 'node'] as const) {
      it(`CRYPTO-010 CRYPTO-015: every case passes through prim.*, unsupported parameters are n/a (reference on ${provider})`, async () => {
        const iut = await startReferenceAdapter({ provider: getProvider(provider) });
        const ts = await tests();
        const r = await runAll(iut, ts);
        expect(r.failed).toEqual([]);
        const planned = WYCHEPROOF_FILES.reduce((a, f) => a + plannedSkips(loadWycheproof(dir!, f), f), 0);
        expect(r.na.length).toBe(planned);
        expect(r.run + r.na.length).toBe(ts.length);
        expect(r.run).toBeGreaterThan(2000);
      });
    }

    it('CRYPTO-015: a quick run lists a sample of each file', async () => {
      const ts = await primitivesSuite.tests({ quick: true, sharedVectorsDir: dir! });
      const x = ts.filter((t) => t.id.startsWith('primitives/wycheproof/x25519/'));
      expect(x.length).toBeGreaterThanOrEqual(35);
      expect(x.length).toBeLessThanOrEqual(QUICK_SAMPLE);
    });

    it('CRYPTO-003 CRYPTO-011: an implementation returning zeros for low-order points fails exactly the low-order cases', async () => {
      const ref = await startReferenceAdapter();
      const lax = tampered(ref, 'prim.x25519', (_p, r) => (r instanceof AdapterCallError && r.kind === 'policy_reject' ? { shared: '00'.repeat(32) } : r instanceof Error ? Promise.reject(r) : r));
      const ts = (await tests()).filter((x) => x.id.startsWith('primitives/wycheproof/x25519/'));
      const r = await runAll(lax, ts);
      expect(r.failed.length).toBeGreaterThan(5);
      expect(r.failed.length).toBeLessThan(ts.length / 2);
      for (const f of r.failed) expect(f).toMatch(/^primitives\/wycheproof\/x25519\/\d+: CheckFailure: Wycheproof tcId \d+ \(acceptable .*(LowOrderPublic|ZeroSharedSecret).*accepted/);
    });

    it('CRYPTO-004 CRYPTO-015 CONF-061: an AEAD returning a wrong tag fails with a hex diff at the tag; a wrongly typed result is a failure', async () => {
      const ref = await startReferenceAdapter();
      const flipped = tampered(ref, 'prim.aead_seal', (_p, r) => {
        if (r instanceof Error) return Promise.reject(r);
        const c = (r as { ciphertext: string }).ciphertext;
        return { ciphertext: c.slice(0, -2) + (c.endsWith('00') ? '01' : '00') };
      });
      const aes = (await tests()).find((x) => x.id.startsWith('primitives/wycheproof/aes_gcm/') && x.applies?.(ref.hello.capabilities) === true)!;
      const err = (await aes.run(context(flipped, false, [])).catch((e: unknown) => e)) as CheckFailure;
      expect(err).toBeInstanceOf(CheckFailure);
      expect(err.message).toMatch(/ciphertext\|\|tag mismatch/);
      expect(err.diff).toMatchObject({ what: 'ciphertext||tag', offset: err.diff!.expected_length - 1 });
      expect(err.diff!.actual).not.toBe(err.diff!.expected);
      const garbage = tampered(ref, 'prim.hkdf', () => ({ okm: 42 }));
      const hkdf = (await tests()).find((x) => x.id === 'primitives/wycheproof/hkdf_sha256/1')!;
      await expect(hkdf.run(context(garbage, false, []))).rejects.toThrow(/must be lowercase hex/);
    });

    it('CRYPTO-015: n/a when the primitive is not claimed', async () => {
      const t = (await tests()).find((x) => x.id === 'primitives/wycheproof/mlkem_1024/1')!;
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
      expect(await kind(iut.call('prim.hkdf', { hash: 'SHA-256', ikm: '', salt: '', info: '', length: -1 }, { unchecked: 'a negative length on purpose' }))).toBe('decode_failure');
      expect(await kind(iut.call('prim.hkdf', { hash: 'MD5', ikm: '', salt: '', info: '', length: 1 }))).toBe('unsupported');
      expect(await kind(iut.call('prim.mlkem_keygen', { alg: 'ML-KEM-768', seed: 'zz' }, { unchecked: 'a non-hex seed on purpose' }))).toBe('decode_failure');
      const r = (await iut.call('prim.mlkem_keygen', { alg: 'ML-KEM-768', seed: '00'.repeat(64) })) as { public: string; secret: string };
      const e = (await iut.call('prim.mlkem_encaps', { alg: 'ML-KEM-768', public: r.public })) as { ciphertext: string; shared: string };
      const d = (await iut.call('prim.mlkem_decaps', { alg: 'ML-KEM-768', ciphertext: e.ciphertext, secret: r.secret })) as { shared: string };
      expect(d.shared).toBe(e.shared);
    });
  });
});
