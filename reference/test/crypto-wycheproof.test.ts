import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { afterAll, describe, expect, it } from 'vitest';
import { getProvider, nodeHasNativeMlKem, PROVIDER_NAMES, type CryptoProvider } from '../crypto/index.js';
import { AgentsecError } from '../errors.js';
import { requireSharedVectors } from '../../vectors/external.js';
import { evaluateWycheproof, formatCounts, loadWycheproof, plannedSkips, WYCHEPROOF_FILES, type FileCounts, type Primitives, type WycheproofFile } from '../../vectors/wycheproof.js';

const dir = requireSharedVectors('Wycheproof tests of the crypto providers');

/** Which requirement each file checks (besides CRYPTO-010, the general valid/invalid rule). */
const FILE_REQS: Record<WycheproofFile, string> = {
  x25519: 'CRYPTO-001 CRYPTO-003 CRYPTO-011',
  ed25519: 'CRYPTO-002 CRYPTO-012',
  aes_gcm: 'CRYPTO-004 CRYPTO-013',
  chacha20_poly1305: 'CRYPTO-004 CRYPTO-013',
  hkdf_sha256: 'CRYPTO-005',
  hmac_sha256: 'CRYPTO-005 CRYPTO-014',
  mlkem_768: 'CRYPTO-007',
  mlkem_768_encaps: 'CRYPTO-007',
  mlkem_768_keygen_seed: 'CRYPTO-007',
  mlkem_1024: 'CRYPTO-007',
  mlkem_1024_encaps: 'CRYPTO-007',
  mlkem_1024_keygen_seed: 'CRYPTO-007',
};

describe.skipIf(!dir)('Wycheproof', () => {
  const summary: string[] = [];
  afterAll(() => {
    console.log(`Wycheproof (node ML-KEM native: ${nodeHasNativeMlKem})\n${summary.join('\n')}`);
  });

  for (const providerName of PROVIDER_NAMES) {
    describe(`provider ${providerName}`, () => {
      for (const file of WYCHEPROOF_FILES) {
        it(`CRYPTO-010 ${FILE_REQS[file]}: ${file} -- valid succeed, invalid refused, acceptable per policy`, async () => {
          const doc = loadWycheproof(dir!, file);
          const counts: FileCounts = await evaluateWycheproof(doc, file, providerPrimitives(getProvider(providerName)));
          summary.push(`${providerName.padEnd(5)} ${formatCounts(counts)}`);
          expect(counts.failures.slice(0, 10)).toEqual([]);
          expect(counts.failed).toBe(0);
          expect(counts.run).toBeGreaterThan(0);
          expect(counts.passed).toBe(counts.run);
          expect(counts.run).toBe(doc.numberOfTests - plannedSkips(doc, file));
          expect(counts.run + counts.skipped).toBe(doc.numberOfTests);
        });
      }
      it('CRYPTO-010 CRYPTO-017 CRYPTO-001 CRYPTO-003: x25519 through private key handles -- valid succeed, invalid refused', async () => {
        const provider = getProvider(providerName);
        const doc = loadWycheproof(dir!, 'x25519');
        const viaHandles = { ...providerPrimitives(provider), x25519: async (priv: Uint8Array, pub: Uint8Array) => provider.x25519.dh(provider.x25519.importPrivateKey(priv), pub) };
        const counts = await evaluateWycheproof(doc, 'x25519', viaHandles);
        summary.push(`${providerName.padEnd(5)} (handles) ${formatCounts(counts)}`);
        expect(counts.failures.slice(0, 10)).toEqual([]);
        expect(counts.passed).toBe(counts.run);
        expect(counts.run).toBe(doc.numberOfTests - plannedSkips(doc, 'x25519'));
      });
    });
  }
});

describe.skipIf(!dir)('Wycheproof evaluator catches lax primitives', () => {
  const base = () => providerPrimitives(getProvider('noble'));

  it('CRYPTO-003 CRYPTO-011: an X25519 that returns the all-zero secret instead of refusing fails the low-order tests', async () => {
    const p = { ...base(), x25519: async (sk: Uint8Array, pk: Uint8Array) => x25519.getSharedSecret(sk, pk) };
    const c = await evaluateWycheproof(loadWycheproof(dir!, 'x25519'), 'x25519', p);
    expect(c.failed).toBeGreaterThanOrEqual(28);
    expect(c.failures.join('\n')).toContain('LowOrderPublic');
  });

  it('CRYPTO-012: a ZIP-215 (non-strict) Ed25519 verifier fails the RFC 8032 strict tests', async () => {
    const p = { ...base(), ed25519Verify: async (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) => sig.length === 64 && ed25519.verify(sig, msg, pk, { zip215: true }) };
    const c = await evaluateWycheproof(loadWycheproof(dir!, 'ed25519'), 'ed25519', p);
    expect(c.failed).toBeGreaterThan(0);
  });

  it('CRYPTO-010: an AEAD that ignores the associated data fails, and a crash is not a refusal', async () => {
    const nobleP = base();
    const ignoresAd = { ...nobleP, aeadSeal: (alg: 'AES-256-GCM' | 'ChaCha20-Poly1305', k: Uint8Array, n: Uint8Array, pt: Uint8Array) => nobleP.aeadSeal(alg, k, n, pt, new Uint8Array(0)) };
    expect((await evaluateWycheproof(loadWycheproof(dir!, 'chacha20_poly1305'), 'chacha20_poly1305', ignoresAd)).failed).toBeGreaterThan(0);
    const crashes = { ...nobleP, hkdf: async () => { throw new TypeError('boom'); } };
    const c = await evaluateWycheproof(loadWycheproof(dir!, 'hkdf_sha256'), 'hkdf_sha256', crashes);
    expect(c.failed).toBe(c.run);
  });

  it('CRYPTO-010: a sampled run counts the rest as skipped', async () => {
    const c = await evaluateWycheproof(loadWycheproof(dir!, 'hmac_sha256'), 'hmac_sha256', base(), { sample: 20 });
    expect(c.run).toBe(20);
    expect(c.run + c.skipped).toBe(c.total);
  });
});

describe.skipIf(!dir)('Wycheproof skips', () => {
  it('CRYPTO-013: only AES-GCM groups with 128/192-bit keys or non-96-bit nonces are skipped; every other file runs in full', () => {
    for (const file of WYCHEPROOF_FILES) {
      const doc = loadWycheproof(dir!, file);
      const expected = file === 'aes_gcm'
        ? doc.testGroups.reduce((n, g) => n + g.tests.filter((t) => g.keySize !== 256 || (g.ivSize !== 96 && t.result !== 'invalid')).length, 0)
        : 0;
      expect([file, plannedSkips(doc, file)]).toEqual([file, expected]);
    }
    expect(plannedSkips(loadWycheproof(dir!, 'aes_gcm'), 'aes_gcm')).toBe(248);
  });
});

/** The evaluator's view of a CryptoProvider in process: typed AgentsecErrors are refusals. */
function providerPrimitives(provider: CryptoProvider): Primitives {
  return {
    x25519: async (priv, pub) => provider.x25519.dh(priv, pub),
    ed25519Verify: async (pub, msg, sig) => provider.ed25519.verify(pub, msg, sig),
    aeadSeal: async (alg, key, nonce, pt, ad) => provider.aead(alg).seal(key, nonce, pt, ad),
    aeadOpen: async (alg, key, nonce, ct, ad) => provider.aead(alg).open(key, nonce, ct, ad),
    hkdf: async (hash, ikm, salt, info, length) => provider.hkdf(hash, ikm, salt, info, length),
    hmac: async (hash, key, msg) => provider.hmac(hash, key, msg),
    mlkemKeygen: async (alg, seed) => provider.kem(alg).keygen(seed),
    mlkemEncaps: async (alg, pk, m) => provider.kem(alg).encapsulate(pk, m),
    mlkemDecaps: async (alg, ct, sk) => provider.kem(alg).decapsulate(ct, sk),
    refusal: (e) => (e instanceof AgentsecError ? e.kind : undefined),
  };
}
