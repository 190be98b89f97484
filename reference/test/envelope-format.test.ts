import { describe, expect, it } from 'vitest';
import { AgentsecError } from '../errors.js';
import { utf8 } from '../bytes.js';
import { createNobleProvider, deterministicRandomForTestingOnly } from '../crypto/index.js';
import { canonicalContext, decodeEnvelope, encodeEnvelope, LocalKekRing, type KekProvider, type WrappedKey } from '../envelope/index.js';
import { inspect, open, payloadBytes, seal } from '../envelope/envelope.js';

const ctx = { tenant: 'acme', purpose: 'backup' };

function ring(seed = 1): LocalKekRing {
  return LocalKekRing.open({ kekId: 'local:t', crypto: createNobleProvider(deterministicRandomForTestingOnly(seed)) });
}

async function refusal(p: Promise<unknown>): Promise<AgentsecError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AgentsecError);
    return e as AgentsecError;
  }
  throw new Error('expected a refusal, got success');
}

/** Records every data key the KEK sees, to check freshness and wiping. */
function spying(inner: KekProvider): KekProvider & { seen: Uint8Array[] } {
  const seen: Uint8Array[] = [];
  return {
    kind: inner.kind,
    kekId: inner.kekId,
    seen,
    wrap: (dek, c) => {
      seen.push(dek);
      return inner.wrap(dek, c);
    },
    unwrap: async (k, c) => {
      const dek = await inner.unwrap(k, c);
      seen.push(dek);
      return dek;
    },
    rotate: () => inner.rotate(),
    currentVersion: () => inner.currentVersion(),
    versions: () => inner.versions(),
    retire: (v) => inner.retire(v),
  };
}

describe('envelope format', () => {
  it('ENV-002: seal then open returns the plaintext; ENV-001: the fields sit where the byte table says', async () => {
    const kek = ring();
    const pt = utf8('hello envelope');
    const env = await seal(kek, pt, ctx);
    expect(await open(kek, env, ctx)).toEqual(pt);
    expect(env[0]).toBe(1);
    expect(env[1]).toBe(1);
    expect(env[2]).toBe(7);
    expect(new TextDecoder().decode(env.subarray(3, 10))).toBe('local:t');
    const e = decodeEnvelope(env);
    expect(e.kekVersion).toBe(1);
    expect(e.wrapped.length).toBe(60);
    expect(env.length).toBe(3 + 7 + 32 + 4 + 2 + 60 + 32 + 32 + 12 + pt.length + 16);
    expect(encodeEnvelope(e)).toEqual(env);
    expect(inspect(env)).toEqual({ kekId: 'local:t', kekVersion: 1, payloadLength: pt.length + 16 });
  });

  it('ENV-002: empty plaintext and empty context round-trip', async () => {
    const kek = ring();
    const env = await seal(kek, new Uint8Array(0), {});
    expect(await open(kek, env, {})).toEqual(new Uint8Array(0));
  });

  it('ENV-004: a fresh 256-bit data key per payload; ENV-008: wiped after seal and open', async () => {
    const kek = spying(ring());
    const a = await seal(kek, utf8('a'), ctx);
    const b = await seal(kek, utf8('a'), ctx);
    expect(kek.seen.length).toBe(2);
    expect(kek.seen[0]!.length).toBe(32);
    // Both were wiped after use (the KEK saw the live buffers).
    expect(kek.seen.every((k) => k.every((x) => x === 0))).toBe(true);
    expect(decodeEnvelope(a).wrapped).not.toEqual(decodeEnvelope(b).wrapped);
    expect(payloadBytes(a)).not.toEqual(payloadBytes(b));
    await open(kek, a, ctx);
    expect(kek.seen[2]!.every((x) => x === 0)).toBe(true);
  });

  it('ENV-009 ENV-001: every single-bit flip of a small envelope is refused with an AgentsecError', async () => {
    const kek = ring();
    const env = await seal(kek, utf8('tiny'), ctx);
    const kinds = new Set<string>();
    for (let i = 0; i < env.length * 8; i++) {
      const bad = env.slice();
      bad[i >> 3]! ^= 1 << (i & 7);
      const e = await refusal(open(kek, bad, ctx));
      kinds.add(`${e.kind}/${e.reason}`);
    }
    // Never a crash or plaintext; only the documented refusals.
    for (const k of kinds) expect(['auth_failure/ENV_AUTH', 'decode_failure/ENV_VERSION_TOO_OLD', 'unsupported/ENV_VERSION_TOO_NEW', 'unsupported/ENV_UNKNOWN_SUITE', 'decode_failure/ENV_TRUNCATED', 'decode_failure/BAD_KEK_ID', 'state_failure/UNKNOWN_KEK', 'decode_failure/BAD_WRAPPED', 'decode_failure/BAD_KEK_VERSION']).toContain(k);
    expect(kinds.has('auth_failure/ENV_AUTH')).toBe(true);
  });

  it('ENV-009: every truncation and an appended byte are refused', async () => {
    const kek = ring();
    const env = await seal(kek, utf8('tiny'), ctx);
    for (let n = 0; n < env.length; n++) {
      const e = await refusal(open(kek, env.subarray(0, n), ctx));
      expect(['decode_failure', 'auth_failure']).toContain(e.kind);
    }
    const longer = new Uint8Array(env.length + 1);
    longer.set(env);
    expect((await refusal(open(kek, longer, ctx))).kind).toBe('auth_failure');
  });

  it('ENV-003: an older version is decode_failure, a newer one unsupported', async () => {
    const kek = ring();
    const env = await seal(kek, utf8('x'), ctx);
    const old = env.slice();
    old[0] = 0;
    const e0 = await refusal(open(kek, old, ctx));
    expect([e0.kind, e0.reason]).toEqual(['decode_failure', 'ENV_VERSION_TOO_OLD']);
    const newer = env.slice();
    newer[0] = 2;
    const e2 = await refusal(open(kek, newer, ctx));
    expect([e2.kind, e2.reason]).toEqual(['unsupported', 'ENV_VERSION_TOO_NEW']);
  });

  it('ENV-010: a wrong, missing or extra context entry is auth_failure', async () => {
    const kek = ring();
    const env = await seal(kek, utf8('x'), ctx);
    for (const bad of [{}, { tenant: 'acme' }, { ...ctx, extra: '' }, { tenant: 'acme', purpose: 'Backup' }, { tenant: 'acmeb', purpose: 'ackup' }] as Record<string, string>[]) {
      const e = await refusal(open(kek, env, bad));
      expect([e.kind, e.reason]).toEqual(['auth_failure', 'ENV_AUTH']);
    }
  });

  it('ENV-012: the context encoding is length-prefixed ({a:"bc"} differs from {ab:"c"}) and order-independent', async () => {
    expect(canonicalContext({ a: 'bc' })).not.toEqual(canonicalContext({ ab: 'c' }));
    expect(canonicalContext({ x: '1', y: '2' })).toEqual(canonicalContext({ y: '2', x: '1' }));
    const kek = ring();
    const env = await seal(kek, utf8('x'), { a: 'bc' });
    expect((await refusal(open(kek, env, { ab: 'c' }))).kind).toBe('auth_failure');
    const r = await refusal(seal(kek, utf8('x'), { 'agentsec:context': 'x' }));
    expect([r.kind, r.reason]).toEqual(['policy_reject', 'RESERVED_CONTEXT_KEY']);
    expect((await refusal(seal(kek, utf8('x'), { k: '\uD800' }))).kind).toBe('decode_failure');
  });

  it('ENV-011: a wrapped key swapped in from another envelope is refused (commitment)', async () => {
    const kek = ring();
    const a = decodeEnvelope(await seal(kek, utf8('first'), ctx));
    const b = decodeEnvelope(await seal(kek, utf8('second'), ctx));
    const swapped = encodeEnvelope({ ...a, wrapped: b.wrapped });
    const e = await refusal(open(kek, swapped, ctx));
    expect([e.kind, e.reason]).toEqual(['auth_failure', 'ENV_AUTH']);
  });

  it('ENV-006: the commitment is checked before any payload decryption', async () => {
    const kek = ring();
    const e = decodeEnvelope(await seal(kek, utf8('x'), ctx));
    // A KEK that returns another key for the same wrapped bytes (a "multi-key" attack) is caught by the commitment.
    const other: KekProvider = { ...kek, kind: 'local', kekId: kek.kekId, unwrap: async () => new Uint8Array(32).fill(7), wrap: (d, c) => kek.wrap(d, c), rotate: () => kek.rotate(), currentVersion: () => kek.currentVersion(), versions: () => kek.versions(), retire: (v) => kek.retire(v) };
    const err = await refusal(open(other, encodeEnvelope(e), ctx));
    expect(err.reason).toBe('ENV_AUTH');
  });

  it('ENV-007: the wrapped key is bound to KEK id, version and context', async () => {
    const kek = ring();
    const w: WrappedKey = await kek.wrap(new Uint8Array(32).fill(1), { 'agentsec:context': 'aa' });
    await expect(kek.unwrap(w, { 'agentsec:context': 'ab' })).rejects.toMatchObject({ kind: 'auth_failure' });
    await kek.rotate();
    await expect(kek.unwrap({ ...w, kekVersion: 2 }, { 'agentsec:context': 'aa' })).rejects.toMatchObject({ kind: 'auth_failure' });
    await expect(kek.unwrap({ ...w, kekId: 'local:u' }, { 'agentsec:context': 'aa' })).rejects.toMatchObject({ reason: 'UNKNOWN_KEK' });
    expect(await kek.unwrap(w, { 'agentsec:context': 'aa' })).toEqual(new Uint8Array(32).fill(1));
  });

  it('ENV-013: error messages carry no key or plaintext bytes', async () => {
    const kek = ring();
    const env = await seal(kek, utf8('secret-plaintext'), ctx);
    const bad = env.slice();
    bad[bad.length - 1]! ^= 1;
    const e = await refusal(open(kek, bad, ctx));
    expect(JSON.stringify(e)).not.toContain('secret');
    expect(e.message).toBe('envelope authentication failed');
    expect(JSON.stringify(kek)).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('KEK id check', () => {
  it('ENV-014: an envelope naming another KEK id is refused before any KEK call', async () => {
    const a = ring(1);
    const b = LocalKekRing.open({ kekId: 'local:other' });
    const env = await seal(a, utf8('x'), ctx);
    await expect(open(b, env, ctx)).rejects.toMatchObject({ kind: 'state_failure', reason: 'UNKNOWN_KEK' });
  });
});

describe('derivations as specified', () => {
  it('ENV-005 ENV-015: the payload decrypts with HKDF-derived keys and the AAD of the spec, the wrap with the ring file key', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { gcm } = await import('@noble/ciphers/aes.js');
    const { hkdf } = await import('@noble/hashes/hkdf.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-kat-')), 'ring.json');
    const kek = LocalKekRing.open({ path, kekId: 'local:kat' });
    const context = { b: '2', a: '1' };
    const env = await seal(kek, utf8('known answer'), context);
    const e = decodeEnvelope(env);
    const kekKey = Buffer.from((JSON.parse(readFileSync(path, 'utf8')) as { ring: { versions: { key: string }[] } }).ring.versions[0]!.key, 'hex');
    // C = u32(n) || lp(k) || lp(v) ... sorted by key.
    const lp = (s: string): Uint8Array => {
      const b = utf8(s);
      return new Uint8Array([0, 0, 0, b.length, ...b]);
    };
    const C = new Uint8Array([0, 0, 0, 2, ...lp('a'), ...lp('1'), ...lp('b'), ...lp('2')]);
    expect(canonicalContext(context)).toEqual(C);
    const digest = sha256(new Uint8Array([...utf8('agentsec/envelope/v1 context'), ...C]));
    expect(e.contextDigest).toEqual(digest);
    const hexDigest = Buffer.from(digest).toString('hex');
    const wrapAad = canonicalContext({ 'agentsec:context': hexDigest, 'agentsec:kek-id': 'local:kat', 'agentsec:kek-version': '1' }, true);
    const dk = gcm(kekKey, e.wrapped.subarray(0, 12), wrapAad).decrypt(e.wrapped.subarray(12));
    const K = hkdf(sha256, dk, e.salt, utf8('agentsec/envelope/v1 payload-key'), 32);
    expect(hkdf(sha256, dk, e.salt, utf8('agentsec/envelope/v1 commitment'), 32)).toEqual(e.commitment);
    const aad = new Uint8Array([...utf8('agentsec/envelope/v1 payload'), 1, 1, ...digest, ...e.salt, ...e.commitment, ...e.nonce, ...C]);
    expect(gcm(K, e.nonce, aad).decrypt(e.payload)).toEqual(utf8('known answer'));
  });
});

describe('random input', () => {
  it('ENV-009: arbitrary bytes (and mutations of a real envelope) are refused with an AgentsecError, never a crash', async () => {
    const fc = (await import('fast-check')).default;
    const kek = ring(3);
    const env = await seal(kek, utf8('fuzz'), ctx);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc.tuple(fc.nat(env.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, junk]) => {
            const x = env.slice();
            x.set(junk.subarray(0, env.length - at), at);
            return x;
          }),
        ),
        async (bytes) => {
          if (bytes.length === env.length && bytes.every((b, i) => b === env[i])) return;
          await expect(open(kek, bytes, ctx)).rejects.toBeInstanceOf(AgentsecError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
