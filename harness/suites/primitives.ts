/**
 * The `primitives` suite: Wycheproof through the optional `prim.*` adapter methods (spec/crypto.md
 * "Adapter methods"), one test per Wycheproof case (tcId), judged by the same rules as the providers'
 * unit tests.
 */
import { callMethod } from '../conform/call.js';
import type { Method, MethodParams } from '../../protocol/methods.js';
import { byteDiff, CheckFailure } from '../conform/assert.js';
import { AdapterCallError, AdapterFault, type Adapter, type Suite, type TestCase } from '../conform/types.js';
import {
  describeCase,
  FILE_PRIMITIVE,
  loadWycheproof,
  TestFailure,
  WYCHEPROOF_FILES,
  wycheproofAvailable,
  wycheproofCases,
  type Primitives,
  type WycheproofCase,
  type WycheproofFile,
} from '../../vectors/wycheproof.js';

/** Tests per file in a --quick run (spread evenly over the file). */
export const QUICK_SAMPLE = 40;

const FILE_REQS: Record<WycheproofFile, string[]> = {
  x25519: ['CRYPTO-001', 'CRYPTO-003', 'CRYPTO-011'],
  ed25519: ['CRYPTO-002', 'CRYPTO-012'],
  aes_gcm: ['CRYPTO-004', 'CRYPTO-013'],
  chacha20_poly1305: ['CRYPTO-004', 'CRYPTO-013'],
  hkdf_sha256: ['CRYPTO-005'],
  hmac_sha256: ['CRYPTO-005', 'CRYPTO-014'],
  mlkem_768: ['CRYPTO-007'],
  mlkem_768_encaps: ['CRYPTO-007'],
  mlkem_768_keygen_seed: ['CRYPTO-007'],
  mlkem_1024: ['CRYPTO-007'],
  mlkem_1024_encaps: ['CRYPTO-007'],
  mlkem_1024_keygen_seed: ['CRYPTO-007'],
};

const HEX = /^(?:[0-9a-f]{2})*$/;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A result field that must be lowercase hex; anything else is the implementation's fault. */
function hexField(method: string, r: unknown, field: string): Uint8Array {
  const v = typeof r === 'object' && r !== null ? (r as Record<string, unknown>)[field] : undefined;
  if (typeof v !== 'string' || !HEX.test(v)) throw new Error(`${method}: result field "${field}" must be lowercase hex, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

/** The evaluator's view of an implementation under test: its `prim.*` methods. */
export function adapterPrimitives(iut: Adapter): Primitives {
  const call = <M extends Method>(method: M, params: MethodParams[M]) => callMethod(iut, method, params);
  return {
    x25519: async (priv, pub) => hexField('prim.x25519', await call('prim.x25519', { private: hex(priv), public: hex(pub) }), 'shared'),
    ed25519Verify: async (pub, message, signature) => {
      const r = await call('prim.ed25519_verify', { public: hex(pub), message: hex(message), signature: hex(signature) });
      const v = typeof r === 'object' && r !== null ? (r as Record<string, unknown>).valid : undefined;
      if (typeof v !== 'boolean') throw new Error(`prim.ed25519_verify: result field "valid" must be a boolean, got ${JSON.stringify(v)?.slice(0, 40)}`);
      return v;
    },
    aeadSeal: async (alg, key, nonce, plaintext, ad) =>
      hexField('prim.aead_seal', await call('prim.aead_seal', { alg, key: hex(key), nonce: hex(nonce), plaintext: hex(plaintext), ad: hex(ad) }), 'ciphertext'),
    aeadOpen: async (alg, key, nonce, ciphertext, ad) =>
      hexField('prim.aead_open', await call('prim.aead_open', { alg, key: hex(key), nonce: hex(nonce), ciphertext: hex(ciphertext), ad: hex(ad) }), 'plaintext'),
    hkdf: async (hash, ikm, salt, info, length) => hexField('prim.hkdf', await call('prim.hkdf', { hash, ikm: hex(ikm), salt: hex(salt), info: hex(info), length }), 'okm'),
    hmac: async (hash, key, message) => hexField('prim.hmac', await call('prim.hmac', { hash, key: hex(key), message: hex(message) }), 'mac'),
    mlkemKeygen: async (alg, seed) => {
      const r = await call('prim.mlkem_keygen', { alg, seed: hex(seed) });
      return { publicKey: hexField('prim.mlkem_keygen', r, 'public'), secretKey: hexField('prim.mlkem_keygen', r, 'secret') };
    },
    mlkemEncaps: async (alg, pub, m) => {
      const r = await call('prim.mlkem_encaps', { alg, public: hex(pub), m: hex(m) });
      return { ciphertext: hexField('prim.mlkem_encaps', r, 'ciphertext'), sharedSecret: hexField('prim.mlkem_encaps', r, 'shared') };
    },
    mlkemDecaps: async (alg, ciphertext, secret) => hexField('prim.mlkem_decaps', await call('prim.mlkem_decaps', { alg, ciphertext: hex(ciphertext), secret: hex(secret) }), 'shared'),
    // `unsupported` (e.g. an unknown method) is no refusal of the input: it fails the test.
    refusal: (e) => (e instanceof AdapterCallError && e.kind !== 'unsupported' && e.kind !== 'internal' ? e.kind : undefined),
    fatal: (e) => e instanceof AdapterFault,
  };
}

/** A failure of one Wycheproof case as a conformance finding, with the hex diff for a wrong output. */
function finding(c: WycheproofCase, e: unknown): unknown {
  if (e instanceof AdapterFault || e instanceof AdapterCallError) return e;
  if (e instanceof TestFailure) {
    const d = e.mismatch ? byteDiff(e.mismatch.got, e.mismatch.want, e.mismatch.what) : undefined;
    return new CheckFailure(`Wycheproof ${describeCase(c.test)}: ${e.message}`, d);
  }
  return new CheckFailure(`Wycheproof ${describeCase(c.test)}: error: ${e instanceof Error ? e.message : String(e)}`);
}

// @req CONF-063
/** One test per Wycheproof case: `primitives/wycheproof/<file>/<tcId>`, so one case can be expected to fail. */
function caseTest(file: WycheproofFile, c: WycheproofCase): TestCase {
  const primitive = FILE_PRIMITIVE[file];
  return {
    id: `primitives/wycheproof/${file}/${c.tcId}`,
    reqs: ['CRYPTO-010', 'CRYPTO-015', ...FILE_REQS[file]],
    applies: (caps) => {
      if (!caps.primitives?.includes(primitive)) return `primitive "${primitive}" not claimed in capabilities.primitives`;
      return c.skip ?? true;
    },
    async run(ctx) {
      try {
        await c.run(adapterPrimitives(ctx.iut));
      } catch (e) {
        throw finding(c, e);
      }
    },
  };
}

export const primitivesSuite: Suite = {
  name: 'primitives',
  description: 'Wycheproof vectors (X25519, Ed25519, AES-256-GCM, ChaCha20-Poly1305, HKDF, HMAC, ML-KEM) through the prim.* adapter methods',
  unavailable: (opts) => wycheproofAvailable(opts.sharedVectorsDir),
  tests(opts) {
    const dir = opts.sharedVectorsDir;
    if (!dir) return [];
    // A quick run lists only the sample; a full run lists every case (unsupported ones are n/a with the reason).
    return WYCHEPROOF_FILES.flatMap((f) => wycheproofCases(loadWycheproof(dir, f), f, opts.quick ? { sample: QUICK_SAMPLE } : {}).filter((c) => !opts.quick || !c.skip?.startsWith('quick run')).map((c) => caseTest(f, c)));
  },
};
