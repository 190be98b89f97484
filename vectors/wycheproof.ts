/**
 * Wycheproof loader and evaluator, shared by the unit tests (a CryptoProvider in process) and the
 * conformance `primitives` suite (the `prim.*` adapter methods of any implementation).
 *
 * Every test is judged by one rule (spec/crypto.md CRYPTO-010..CRYPTO-014):
 * - `valid` must succeed and produce exactly the expected output;
 * - `invalid` must be refused (or, for a MAC/signature check, must not verify);
 * - `acceptable` follows the written per-flag policy (ACCEPTABLE_POLICY, CRYPTO-011);
 * - a group whose parameters the primitive does not offer is skipped with the reason, and counted.
 */
import { readVendored, vendoredExists } from './external.js';
import { join } from 'node:path';

/** The Wycheproof files this project is checked against (`<name>_test.json`). */
export const WYCHEPROOF_FILES = [
  'x25519',
  'ed25519',
  'aes_gcm',
  'chacha20_poly1305',
  'hkdf_sha256',
  'hmac_sha256',
  'mlkem_768',
  'mlkem_768_encaps',
  'mlkem_768_keygen_seed',
  'mlkem_1024',
  'mlkem_1024_encaps',
  'mlkem_1024_keygen_seed',
] as const;
export type WycheproofFile = (typeof WYCHEPROOF_FILES)[number];

/** The capability (as claimed in `hello` under `primitives`) each file needs. */
export const FILE_PRIMITIVE: Record<WycheproofFile, string> = {
  x25519: 'x25519',
  ed25519: 'ed25519',
  aes_gcm: 'aes-256-gcm',
  chacha20_poly1305: 'chacha20-poly1305',
  hkdf_sha256: 'hkdf-sha256',
  hmac_sha256: 'hmac-sha256',
  mlkem_768: 'ml-kem-768',
  mlkem_768_encaps: 'ml-kem-768',
  mlkem_768_keygen_seed: 'ml-kem-768',
  mlkem_1024: 'ml-kem-1024',
  mlkem_1024_encaps: 'ml-kem-1024',
  mlkem_1024_keygen_seed: 'ml-kem-1024',
};

export const PRIMITIVE_NAMES = ['x25519', 'ed25519', 'aes-256-gcm', 'chacha20-poly1305', 'hkdf-sha256', 'hmac-sha256', 'ml-kem-768', 'ml-kem-1024'] as const;

export interface WycheproofTest {
  tcId: number;
  comment?: string;
  flags?: string[];
  result: 'valid' | 'invalid' | 'acceptable';
  [field: string]: unknown;
}
export interface WycheproofGroup {
  type?: string;
  [param: string]: unknown;
  tests: WycheproofTest[];
}
export interface WycheproofDoc {
  algorithm: string;
  schema: string;
  numberOfTests: number;
  notes?: Record<string, unknown>;
  testGroups: WycheproofGroup[];
}

export function wycheproofPath(sharedVectorsDir: string, file: WycheproofFile): string {
  return join(sharedVectorsDir, 'wycheproof', `${file}_test.json`);
}

export function wycheproofAvailable(sharedVectorsDir: string | undefined): string | undefined {
  if (!sharedVectorsDir) return 'the vendored vectors folder (vectors/third_party) is missing';
  const missing = WYCHEPROOF_FILES.filter((f) => !vendoredExists(wycheproofPath(sharedVectorsDir, f)));
  return missing.length ? `Wycheproof files missing under ${sharedVectorsDir}/wycheproof: ${missing.join(', ')}` : undefined;
}

const docs = new Map<string, WycheproofDoc>();

/** Reads and sanity-checks one file; counts must match its `numberOfTests`. */
export function loadWycheproof(sharedVectorsDir: string, file: WycheproofFile): WycheproofDoc {
  const path = wycheproofPath(sharedVectorsDir, file);
  let doc = docs.get(path);
  if (doc) return doc;
  doc = JSON.parse(readVendored(path)) as WycheproofDoc;
  const n = doc.testGroups.reduce((a, g) => a + g.tests.length, 0);
  if (n !== doc.numberOfTests) throw new Error(`${path}: numberOfTests ${doc.numberOfTests} but ${n} tests listed`);
  docs.set(path, doc);
  return doc;
}

// ---- what is evaluated ------------------------------------------------------------------------

/**
 * The primitive operations, in the shape of the `prim.*` adapter methods. Each throws on refusal;
 * `refusal(e)` classifies a thrown value: the error kind when it is a typed refusal, undefined when
 * it is something else (a crash), which always fails the test.
 */
export interface Primitives {
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  aeadSeal(alg: AeadAlg, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Promise<Uint8Array>;
  aeadOpen(alg: AeadAlg, key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Promise<Uint8Array>;
  hkdf(hash: 'SHA-256', ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  hmac(hash: 'SHA-256', key: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  mlkemKeygen(alg: KemAlg, seed: Uint8Array): Promise<{ publicKey: Uint8Array; secretKey: Uint8Array }>;
  mlkemEncaps(alg: KemAlg, publicKey: Uint8Array, m: Uint8Array): Promise<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }>;
  mlkemDecaps(alg: KemAlg, ciphertext: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array>;
  refusal(e: unknown): string | undefined;
  /** True for a thrown value that ends the whole run (the implementation crashed or hung). */
  fatal?(e: unknown): boolean;
}
export type AeadAlg = 'AES-256-GCM' | 'ChaCha20-Poly1305';
export type KemAlg = 'ML-KEM-768' | 'ML-KEM-1024';

export interface FileCounts {
  file: WycheproofFile;
  total: number;
  run: number;
  passed: number;
  failed: number;
  skipped: number;
  /** reason -> number of tests skipped for it */
  skipReasons: Record<string, number>;
  /** `tcId: what went wrong`, in file order */
  failures: string[];
}

export interface EvaluateOptions {
  /** Run at most this many tests of the file (spread evenly over it); the rest count as skipped. */
  sample?: number;
}

// ---- policy -----------------------------------------------------------------------------------

/**
 * CRYPTO-011: the written policy for Wycheproof `acceptable` X25519 tests, flag by flag. A test is
 * rejected when any of its flags says reject; otherwise it is accepted and its output must match.
 */
export const ACCEPTABLE_POLICY: Record<string, { decision: 'accept' | 'reject'; why: string }> = {
  LowOrderPublic: { decision: 'reject', why: 'a low-order public key gives an all-zero secret: refused with policy_reject (CRYPTO-003)' },
  ZeroSharedSecret: { decision: 'reject', why: 'an all-zero shared secret is never returned: policy_reject (CRYPTO-003)' },
  NonCanonicalPublic: { decision: 'accept', why: 'RFC 7748 5: u-coordinates >= p are reduced mod p, not refused' },
  Twist: { decision: 'accept', why: 'RFC 7748 5: points on the twist are computed like any u-coordinate' },
  SpecialPublicKey: { decision: 'accept', why: 'special values other than low-order points compute normally' },
  SmallPublicKey: { decision: 'accept', why: 'small u-coordinates compute normally unless of low order' },
  EdgeCaseMultiplication: { decision: 'accept', why: 'arithmetic edge cases must compute the exact result' },
  EdgeCaseShared: { decision: 'accept', why: 'edge-case shared values must be returned exactly' },
  EdgeCasePrivateKey: { decision: 'accept', why: 'RFC 7748 5: every 32-byte scalar is clamped, none refused' },
  Ktv: { decision: 'accept', why: 'known test vector' },
  Normal: { decision: 'accept', why: 'ordinary input' },
};

type Expectation = { kind: 'output' } | { kind: 'refuse'; errorKind?: string; why: string } | { kind: 'skip'; why: string };

function x25519Expectation(t: WycheproofTest): Expectation {
  if (t.result === 'valid') return { kind: 'output' };
  if (t.result === 'invalid') return { kind: 'refuse', why: 'invalid' };
  const flags = t.flags ?? [];
  for (const f of flags) {
    const p = ACCEPTABLE_POLICY[f];
    if (p?.decision === 'reject') return { kind: 'refuse', errorKind: 'policy_reject', why: `acceptable/${f}: ${p.why}` };
  }
  const unknown = flags.filter((f) => !ACCEPTABLE_POLICY[f]);
  if (unknown.length) return { kind: 'skip', why: `acceptable with flag(s) outside the written policy: ${unknown.join(', ')}` };
  return { kind: 'output' };
}

// ---- evaluation -------------------------------------------------------------------------------

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytes = (t: WycheproofTest | WycheproofGroup, field: string): Uint8Array => {
  const v = t[field];
  if (typeof v !== 'string') throw new Error(`field ${field} missing`);
  return new Uint8Array(Buffer.from(v, 'hex'));
};
const str = (t: WycheproofTest, field: string): string => {
  const v = t[field];
  return typeof v === 'string' ? v : '';
};

/** A Wycheproof test that failed; for an output mismatch, the bytes that differ. */
export class TestFailure extends Error {
  override name = 'TestFailure';
  constructor(
    message: string,
    readonly mismatch?: { what: string; got: Uint8Array; want: Uint8Array },
  ) {
    super(message);
  }
}

/** Runs `op` expecting a typed refusal (optionally of one kind). */
async function expectRefused(p: Primitives, op: () => Promise<unknown>, errorKind?: string): Promise<void> {
  let result: unknown;
  try {
    result = await op();
  } catch (e) {
    if (p.fatal?.(e)) throw e;
    const kind = p.refusal(e);
    if (kind === undefined) throw new TestFailure(`crashed instead of a typed refusal: ${e instanceof Error ? e.message : String(e)}`);
    if (errorKind && kind !== errorKind) throw new TestFailure(`refused with ${kind}, policy says ${errorKind}`);
    return;
  }
  throw new TestFailure(`accepted (returned ${result instanceof Uint8Array ? hex(result).slice(0, 32) : typeof result}), expected a refusal`);
}

function expectEqual(got: Uint8Array, want: Uint8Array, what: string): void {
  if (hex(got) !== hex(want)) throw new TestFailure(`${what} mismatch: got ${hex(got).slice(0, 48)}..., want ${hex(want).slice(0, 48)}...`, { what, got, want });
}

type TestRunner = (t: WycheproofTest, g: WycheproofGroup) => Promise<void>;
/** Per group: either a runner, or a skip reason for the whole group or for tests of one result. */
interface GroupPlan {
  skip?: string;
  /** Skip only tests with these results (e.g. valid tests with an unsupported nonce size). */
  skipResults?: { results: WycheproofTest['result'][]; why: string };
  run: TestRunner;
}

function aeadPlan(alg: AeadAlg, g: WycheproofGroup, p: Primitives): GroupPlan {
  const keySize = Number(g.keySize);
  const ivSize = Number(g.ivSize);
  const tagSize = Number(g.tagSize);
  const run: TestRunner = async (t) => {
    const key = bytes(t, 'key');
    const iv = bytes(t, 'iv');
    const aad = bytes(t, 'aad');
    const msg = bytes(t, 'msg');
    const sealed = new Uint8Array([...bytes(t, 'ct'), ...bytes(t, 'tag')]);
    if (t.result === 'valid') {
      expectEqual(await p.aeadSeal(alg, key, iv, msg, aad), sealed, 'ciphertext||tag');
      expectEqual(await p.aeadOpen(alg, key, iv, sealed, aad), msg, 'plaintext');
    } else {
      await expectRefused(p, () => p.aeadOpen(alg, key, iv, sealed, aad));
    }
  };
  // @req CRYPTO-013: only the parameters the profile uses (256-bit key, 96-bit nonce, 128-bit tag).
  if (keySize !== 256) return { skip: `${alg}: ${keySize}-bit keys are not offered (256-bit keys only)`, run };
  if (tagSize !== 128) return { skip: `${alg}: ${tagSize}-bit tags are not offered (128-bit tags only)`, run };
  if (ivSize !== 96) return { skipResults: { results: ['valid', 'acceptable'], why: `${alg}: nonces other than 96 bits are not offered (valid tests skipped; the group's invalid tests still run and must be refused)` }, run };
  return { run };
}

function planFor(file: WycheproofFile, g: WycheproofGroup, p: Primitives): GroupPlan {
  switch (file) {
    case 'x25519':
      if (g.curve !== 'curve25519') return { skip: `curve ${String(g.curve)} is not offered`, run: async () => {} };
      return {
        run: async (t) => {
          const priv = bytes(t, 'private');
          const pub = bytes(t, 'public');
          const exp = x25519Expectation(t);
          if (exp.kind === 'skip') throw new Error('unreachable');
          if (exp.kind === 'refuse') return expectRefused(p, () => p.x25519(priv, pub), exp.errorKind);
          expectEqual(await p.x25519(priv, pub), bytes(t, 'shared'), 'shared secret');
        },
      };
    case 'ed25519': {
      const pk = (g.publicKey as { pk?: string } | undefined)?.pk;
      return {
        run: async (t) => {
          const pub = new Uint8Array(Buffer.from(pk ?? '', 'hex'));
          const msg = bytes(t, 'msg');
          const sig = bytes(t, 'sig');
          if (t.result === 'valid') {
            if ((await p.ed25519Verify(pub, msg, sig)) !== true) throw new TestFailure('valid signature did not verify');
            return;
          }
          // Invalid: must not verify (false or a typed refusal, e.g. a malformed key).
          let ok: boolean;
          try {
            ok = await p.ed25519Verify(pub, msg, sig);
          } catch (e) {
            if (p.fatal?.(e)) throw e;
            if (p.refusal(e) === undefined) throw new TestFailure(`crashed: ${e instanceof Error ? e.message : String(e)}`);
            return;
          }
          if (ok) throw new TestFailure('invalid signature verified');
        },
      };
    }
    case 'aes_gcm':
      return aeadPlan('AES-256-GCM', g, p);
    case 'chacha20_poly1305':
      return aeadPlan('ChaCha20-Poly1305', g, p);
    case 'hkdf_sha256':
      return {
        run: async (t) => {
          const args = [bytes(t, 'ikm'), bytes(t, 'salt'), bytes(t, 'info'), Number(t.size)] as const;
          if (t.result === 'valid') expectEqual(await p.hkdf('SHA-256', ...args), bytes(t, 'okm'), 'okm');
          else await expectRefused(p, () => p.hkdf('SHA-256', ...args));
        },
      };
    case 'hmac_sha256': {
      const tagBytes = Number(g.tagSize) / 8;
      // @req CRYPTO-014: truncated tags are checked on the full HMAC's prefix (RFC 2104 5).
      return {
        run: async (t) => {
          const mac = (await p.hmac('SHA-256', bytes(t, 'key'), bytes(t, 'msg'))).subarray(0, tagBytes);
          const want = bytes(t, 'tag');
          const equal = hex(mac) === hex(want);
          if (t.result === 'valid' && !equal) throw new TestFailure(`tag mismatch: got ${hex(mac)}, want ${hex(want)}`, { what: 'tag', got: mac, want });
          if (t.result === 'invalid' && equal) throw new TestFailure('a modified tag matched');
        },
      };
    }
    case 'mlkem_768':
    case 'mlkem_1024':
      return {
        run: async (t, grp) => {
          const alg = grp.parameterSet as KemAlg;
          const seed = bytes(t, 'seed');
          const c = bytes(t, 'c');
          if (t.result !== 'valid') {
            // Invalid: a malformed seed or ciphertext; whichever step sees it must refuse.
            await expectRefused(p, async () => {
              const kp = await p.mlkemKeygen(alg, seed);
              return p.mlkemDecaps(alg, c, kp.secretKey);
            });
            return;
          }
          const kp = await p.mlkemKeygen(alg, seed);
          if (typeof t.ek === 'string') expectEqual(kp.publicKey, bytes(t, 'ek'), 'ek');
          expectEqual(await p.mlkemDecaps(alg, c, kp.secretKey), bytes(t, 'K'), 'K');
        },
      };
    case 'mlkem_768_encaps':
    case 'mlkem_1024_encaps':
      return {
        run: async (t, grp) => {
          const alg = grp.parameterSet as KemAlg;
          const ek = bytes(t, 'ek');
          const m = bytes(t, 'm');
          if (t.result !== 'valid') return expectRefused(p, () => p.mlkemEncaps(alg, ek, m));
          const r = await p.mlkemEncaps(alg, ek, m);
          expectEqual(r.ciphertext, bytes(t, 'c'), 'c');
          expectEqual(r.sharedSecret, bytes(t, 'K'), 'K');
        },
      };
    case 'mlkem_768_keygen_seed':
    case 'mlkem_1024_keygen_seed':
      return {
        run: async (t, grp) => {
          const alg = grp.parameterSet as KemAlg;
          if (t.result !== 'valid') return expectRefused(p, () => p.mlkemKeygen(alg, bytes(t, 'seed')));
          const kp = await p.mlkemKeygen(alg, bytes(t, 'seed'));
          expectEqual(kp.publicKey, bytes(t, 'ek'), 'ek');
          expectEqual(kp.secretKey, bytes(t, 'dk'), 'dk');
        },
      };
  }
}

/** One Wycheproof test of a file: run it against `p`, or the reason it is skipped. */
export interface WycheproofCase {
  tcId: number;
  test: WycheproofTest;
  group: WycheproofGroup;
  /** Why the test is not run (unsupported parameters, outside the policy, not in the quick sample). */
  skip?: string;
  /** Throws TestFailure (or the implementation's error) when the test fails. */
  run(p: Primitives): Promise<void>;
}

/** The tests of a file in file order, each with its skip reason or runner; the same for counting and per-case runs. */
export function wycheproofCases(doc: WycheproofDoc, file: WycheproofFile, opts: EvaluateOptions = {}): WycheproofCase[] {
  const out: WycheproofCase[] = [];
  const stride = opts.sample && opts.sample < doc.numberOfTests ? doc.numberOfTests / opts.sample : 1;
  const none = {} as Primitives;
  let index = 0;
  let nextPick = 0;
  for (const g of doc.testGroups) {
    const plan = planFor(file, g, none);
    for (const t of g.tests) {
      const i = index++;
      const c = { tcId: t.tcId, test: t, group: g, run: (p: Primitives) => planFor(file, g, p).run(t, g) };
      let skip = plan.skip ?? (plan.skipResults?.results.includes(t.result) ? plan.skipResults.why : undefined);
      if (skip === undefined && file === 'x25519') {
        const exp = x25519Expectation(t);
        if (exp.kind === 'skip') skip = exp.why;
      }
      if (skip === undefined && stride > 1) {
        if (i < nextPick) skip = `quick run: a sample of ${opts.sample} tests`;
        else nextPick += stride;
      }
      out.push(skip === undefined ? c : { ...c, skip });
    }
  }
  return out;
}

/** `tcId N (result flags, comment)`: how a failure names its test. */
export function describeCase(t: WycheproofTest): string {
  return `tcId ${t.tcId} (${t.result}${t.flags?.length ? ` ${t.flags.join(',')}` : ''}${str(t, 'comment') ? `, ${str(t, 'comment')}` : ''})`;
}

/** Evaluates every test of one file against `p`; never throws for a test's failure, counts it. */
export async function evaluateWycheproof(doc: WycheproofDoc, file: WycheproofFile, p: Primitives, opts: EvaluateOptions = {}): Promise<FileCounts> {
  const counts: FileCounts = { file, total: doc.numberOfTests, run: 0, passed: 0, failed: 0, skipped: 0, skipReasons: {}, failures: [] };
  for (const c of wycheproofCases(doc, file, opts)) {
    if (c.skip !== undefined) {
      counts.skipped++;
      counts.skipReasons[c.skip] = (counts.skipReasons[c.skip] ?? 0) + 1;
      continue;
    }
    counts.run++;
    try {
      await c.run(p);
      counts.passed++;
    } catch (e) {
      if (p.fatal?.(e)) throw e;
      counts.failed++;
      const what = e instanceof TestFailure ? e.message : `error: ${e instanceof Error ? e.message : String(e)}`;
      counts.failures.push(`${describeCase(c.test)}: ${what}`);
    }
  }
  return counts;
}

/** Counts the tests a full (unsampled) run skips for unsupported parameters, without running any. */
export function plannedSkips(doc: WycheproofDoc, file: WycheproofFile): number {
  const dummy = {} as Primitives;
  let n = 0;
  for (const g of doc.testGroups) {
    const plan = planFor(file, g, dummy);
    for (const t of g.tests) {
      if (plan.skip || plan.skipResults?.results.includes(t.result)) n++;
      else if (file === 'x25519' && x25519Expectation(t).kind === 'skip') n++;
    }
  }
  return n;
}

/** One line per file: `file: run R, passed P, failed F, skipped S (reason: n; ...)`. */
export function formatCounts(c: FileCounts): string {
  const reasons = Object.entries(c.skipReasons)
    .map(([why, n]) => `${n}: ${why}`)
    .join('; ');
  return `${c.file}: total ${c.total}, run ${c.run}, passed ${c.passed}, failed ${c.failed}, skipped ${c.skipped}${reasons ? ` (${reasons})` : ''}`;
}
