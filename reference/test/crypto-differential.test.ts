import fc from 'fast-check';
import { LOW_ORDER_25519 } from '../../vectors/low-order-25519.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { AEAD_NAMES, createNobleProvider, createNodeProvider, deterministicRandomForTestingOnly, getProvider, HASH_LENGTHS, HASH_NAMES, KEM_LENGTHS, KEM_NAMES, nodeHasNativeMlKem, PROVIDER_NAMES, type CryptoProvider } from '../crypto/index.js';

const noble = getProvider('noble');
const node = getProvider('node');
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const key32 = bytes(32, 32);

/** Outcome of a call as comparable data: the hex result, or the error kind/reason. */
function outcome(f: () => Uint8Array | boolean): string {
  try {
    const r = f();
    return typeof r === 'boolean' ? String(r) : toHex(r);
  } catch (e) {
    if (e instanceof AgentsecError) return `${e.kind}/${e.reason}`;
    throw e;
  }
}

function refusal(f: () => unknown): AgentsecError {
  try {
    f();
  } catch (e) {
    if (e instanceof AgentsecError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('noble and node providers agree (differential)', () => {
  it('CRYPTO-001: X25519 public keys and shared secrets agree on random keys', () => {
    fc.assert(
      fc.property(key32, key32, (a, b) => {
        const pa = noble.x25519.publicKey(a);
        expect(toHex(node.x25519.publicKey(a))).toBe(toHex(pa));
        const pb = node.x25519.publicKey(b);
        expect(toHex(node.x25519.dh(a, pb))).toBe(toHex(noble.x25519.dh(a, pb)));
        expect(toHex(noble.x25519.dh(b, pa))).toBe(toHex(node.x25519.dh(a, pb)));
      }),
      { numRuns: 100 },
    );
  });

  it('CRYPTO-001 CRYPTO-003: X25519 on arbitrary 32-byte u-coordinates: same secret or same refusal', () => {
    fc.assert(
      fc.property(key32, key32, (a, u) => {
        expect(outcome(() => node.x25519.dh(a, u))).toBe(outcome(() => noble.x25519.dh(a, u)));
      }),
      { numRuns: 100 },
    );
  });

  it('CRYPTO-002: Ed25519 public keys and (deterministic) signatures are identical; verify agrees', () => {
    fc.assert(
      fc.property(key32, bytes(0, 300), fc.nat(63), (sk, msg, flip) => {
        const pk = noble.ed25519.publicKey(sk);
        expect(toHex(node.ed25519.publicKey(sk))).toBe(toHex(pk));
        const sig = noble.ed25519.sign(sk, msg);
        expect(toHex(node.ed25519.sign(sk, msg))).toBe(toHex(sig));
        expect(node.ed25519.verify(pk, msg, sig)).toBe(true);
        expect(noble.ed25519.verify(pk, msg, sig)).toBe(true);
        const bad = sig.slice();
        bad[flip] = bad[flip]! ^ 0x01;
        expect(node.ed25519.verify(pk, msg, bad)).toBe(false);
        expect(noble.ed25519.verify(pk, msg, bad)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('CRYPTO-002: Ed25519 verify agrees on random public keys and signatures', () => {
    fc.assert(
      fc.property(key32, bytes(0, 40), bytes(64, 64), (pk, msg, sig) => {
        expect(node.ed25519.verify(pk, msg, sig)).toBe(noble.ed25519.verify(pk, msg, sig));
      }),
      { numRuns: 100 },
    );
  });

  for (const alg of AEAD_NAMES) {
    it(`CRYPTO-004: ${alg} seal outputs are identical and each opens the other's; tampering fails in both`, () => {
      fc.assert(
        fc.property(key32, bytes(12, 12), bytes(0, 600), bytes(0, 64), fc.nat(), (k, n, pt, ad, pos) => {
          const c1 = noble.aead(alg).seal(k, n, pt, ad);
          const c2 = node.aead(alg).seal(k, n, pt, ad);
          expect(toHex(c2)).toBe(toHex(c1));
          expect(c1.length).toBe(pt.length + 16);
          expect(toHex(node.aead(alg).open(k, n, c1, ad))).toBe(toHex(pt));
          expect(toHex(noble.aead(alg).open(k, n, c2, ad))).toBe(toHex(pt));
          const bad = c1.slice();
          const i = pos % bad.length;
          bad[i] = bad[i]! ^ 0x80;
          for (const p of [noble, node]) {
            const e = refusal(() => p.aead(alg).open(k, n, bad, ad));
            expect([e.kind, e.reason]).toEqual(['auth_failure', 'AEAD_TAG']);
          }
        }),
        { numRuns: 80 },
      );
    });
  }

  for (const h of HASH_NAMES) {
    it(`CRYPTO-005 CRYPTO-006: ${h} hash, HMAC and HKDF agree`, () => {
      const max = 255 * HASH_LENGTHS[h].hashLen;
      fc.assert(
        fc.property(bytes(0, 300), bytes(0, 200), bytes(0, 80), bytes(0, 80), fc.integer({ min: 1, max }), (data, key, salt, info, len) => {
          expect(toHex(node.hash(h, data))).toBe(toHex(noble.hash(h, data)));
          expect(node.hash(h, data).length).toBe(HASH_LENGTHS[h].hashLen);
          expect(toHex(node.hmac(h, key, data))).toBe(toHex(noble.hmac(h, key, data)));
          expect(toHex(node.hkdf(h, data, salt, info, len))).toBe(toHex(noble.hkdf(h, data, salt, info, len)));
        }),
        { numRuns: 40 },
      );
    });
  }

  it('CRYPTO-005: HKDF with info longer than 1024 bytes agrees (node falls back to HMAC)', () => {
    fc.assert(
      fc.property(bytes(1, 64), bytes(1025, 2000), fc.constantFrom(...HASH_NAMES), (ikm, info, h) => {
        expect(toHex(node.hkdf(h, ikm, new Uint8Array(0), info, 100))).toBe(toHex(noble.hkdf(h, ikm, new Uint8Array(0), info, 100)));
      }),
      { numRuns: 12 },
    );
  });

  for (const kem of KEM_NAMES) {
    it(`CRYPTO-007: ${kem} seeded keygen, encapsulation with a message, and decapsulation agree`, () => {
      fc.assert(
        fc.property(bytes(64, 64), bytes(32, 32), (seed, m) => {
          const a = noble.kem(kem).keygen(seed);
          const b = node.kem(kem).keygen(seed);
          expect(toHex(b.publicKey)).toBe(toHex(a.publicKey));
          expect(toHex(b.secretKey)).toBe(toHex(a.secretKey));
          const e1 = noble.kem(kem).encapsulate(a.publicKey, m);
          const e2 = node.kem(kem).encapsulate(a.publicKey, m);
          expect(toHex(e2.ciphertext)).toBe(toHex(e1.ciphertext));
          expect(toHex(e2.sharedSecret)).toBe(toHex(e1.sharedSecret));
          expect(toHex(node.kem(kem).decapsulate(e1.ciphertext, a.secretKey))).toBe(toHex(e1.sharedSecret));
          // Random encapsulation by one provider decapsulates to the same secret in the other.
          const r = node.kem(kem).encapsulate(a.publicKey);
          expect(toHex(noble.kem(kem).decapsulate(r.ciphertext, b.secretKey))).toBe(toHex(r.sharedSecret));
          // Implicit rejection: a corrupted ciphertext gives the same pseudorandom secret in both.
          const bad = e1.ciphertext.slice();
          bad[0] = bad[0]! ^ 1;
          expect(toHex(node.kem(kem).decapsulate(bad, a.secretKey))).toBe(toHex(noble.kem(kem).decapsulate(bad, a.secretKey)));
        }),
        { numRuns: 8 },
      );
    });
  }

  it('CRYPTO-008: a deterministic random source makes both providers reproduce the same keys', () => {
    const a = createNobleProvider(deterministicRandomForTestingOnly(7));
    const b = createNodeProvider(deterministicRandomForTestingOnly(7));
    expect(toHex(b.x25519.generateKeyPair().publicKey)).toBe(toHex(a.x25519.generateKeyPair().publicKey));
    expect(toHex(b.ed25519.generateKeyPair().publicKey)).toBe(toHex(a.ed25519.generateKeyPair().publicKey));
    expect(toHex(b.kem('ML-KEM-768').keygen().publicKey)).toBe(toHex(a.kem('ML-KEM-768').keygen().publicKey));
    expect(toHex(b.randomBytes(16))).toBe(toHex(a.randomBytes(16)));
  });
});

describe('low-order X25519 public keys', () => {
  it('CRYPTO-003: all 14 low-order encodings give policy_reject/LOW_ORDER_POINT in both providers', () => {
    expect(new Set(LOW_ORDER_25519).size).toBe(14);
    for (const name of PROVIDER_NAMES) {
      const p = getProvider(name);
      const sk = p.x25519.generateKeyPair().privateKey;
      for (const u of LOW_ORDER_25519) {
        const e = refusal(() => p.x25519.dh(sk, fromHex(u)));
        expect([name, u, e.kind, e.reason]).toEqual([name, u, 'policy_reject', 'LOW_ORDER_POINT']);
      }
    }
  });
});

describe('boundary validation (both providers)', () => {
  const cases: { what: string; field: string; call: (p: CryptoProvider) => unknown }[] = [
    { what: 'x25519.dh short private key', field: 'privateKey', call: (p) => p.x25519.dh(new Uint8Array(31), new Uint8Array(32).fill(9)) },
    { what: 'x25519.dh long public key', field: 'publicKey', call: (p) => p.x25519.dh(new Uint8Array(32), new Uint8Array(33)) },
    { what: 'x25519.publicKey', field: 'privateKey', call: (p) => p.x25519.publicKey(new Uint8Array(16)) },
    { what: 'ed25519.sign short key', field: 'privateKey', call: (p) => p.ed25519.sign(new Uint8Array(64), new Uint8Array(1)) },
    { what: 'ed25519.verify public key', field: 'publicKey', call: (p) => p.ed25519.verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64)) },
    { what: 'aead.seal key', field: 'key', call: (p) => p.aead('AES-256-GCM').seal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)) },
    { what: 'aead.seal nonce', field: 'nonce', call: (p) => p.aead('ChaCha20-Poly1305').seal(new Uint8Array(32), new Uint8Array(24), new Uint8Array(0), new Uint8Array(0)) },
    { what: 'aead.open nonce', field: 'nonce', call: (p) => p.aead('AES-256-GCM').open(new Uint8Array(32), new Uint8Array(8), new Uint8Array(32), new Uint8Array(0)) },
    { what: 'aead.seal plaintext type', field: 'plaintext', call: (p) => p.aead('AES-256-GCM').seal(new Uint8Array(32), new Uint8Array(12), 'text' as unknown as Uint8Array, new Uint8Array(0)) },
    { what: 'kem.keygen seed', field: 'seed', call: (p) => p.kem('ML-KEM-768').keygen(new Uint8Array(32)) },
    { what: 'kem.encapsulate public key', field: 'publicKey', call: (p) => p.kem('ML-KEM-1024').encapsulate(new Uint8Array(KEM_LENGTHS['ML-KEM-768'].publicKey)) },
    { what: 'kem.encapsulate message', field: 'message', call: (p) => p.kem('ML-KEM-768').encapsulate(new Uint8Array(1184), new Uint8Array(31)) },
    { what: 'kem.decapsulate ciphertext', field: 'ciphertext', call: (p) => p.kem('ML-KEM-768').decapsulate(new Uint8Array(1087), new Uint8Array(2400)) },
    { what: 'kem.decapsulate secret key', field: 'secretKey', call: (p) => p.kem('ML-KEM-768').decapsulate(new Uint8Array(1088), new Uint8Array(2399)) },
    { what: 'hmac key type', field: 'key', call: (p) => p.hmac('SHA-256', [1, 2] as unknown as Uint8Array, new Uint8Array(0)) },
    { what: 'hkdf ikm type', field: 'ikm', call: (p) => p.hkdf('SHA-256', null as unknown as Uint8Array, new Uint8Array(0), new Uint8Array(0), 32) },
    { what: 'hash data type', field: 'data', call: (p) => p.hash('BLAKE2s', 'abc' as unknown as Uint8Array) },
  ];
  for (const c of cases) {
    it(`CRYPTO-009: ${c.what} -> decode_failure naming "${c.field}"`, () => {
      for (const name of PROVIDER_NAMES) {
        const e = refusal(() => c.call(getProvider(name)));
        expect([name, e.kind]).toEqual([name, 'decode_failure']);
        expect(e.message).toContain(`"${c.field}"`);
      }
    });
  }

  it('CRYPTO-009: HKDF output length outside 1..255*HashLen is refused with policy_reject', () => {
    for (const name of PROVIDER_NAMES) {
      const p = getProvider(name);
      for (const len of [0, 255 * 32 + 1]) {
        const e = refusal(() => p.hkdf('SHA-256', new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), len));
        expect([name, len, e.kind, e.reason]).toEqual([name, len, 'policy_reject', 'HKDF_LENGTH']);
      }
      expect(refusal(() => p.hkdf('SHA-256', new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 1.5)).kind).toBe('decode_failure');
    }
  });

  it('CRYPTO-009: unknown algorithm names are refused as unsupported', () => {
    for (const name of PROVIDER_NAMES) {
      const p = getProvider(name);
      expect(refusal(() => p.aead('AES-128-GCM' as never)).kind).toBe('unsupported');
      expect(refusal(() => p.kem('ML-KEM-512' as never)).kind).toBe('unsupported');
      expect(refusal(() => p.hash('MD5' as never, new Uint8Array(0))).kind).toBe('unsupported');
    }
  });

  it('CRYPTO-004: a ciphertext shorter than the tag is an auth_failure, not a crash', () => {
    for (const name of PROVIDER_NAMES) {
      const e = refusal(() => getProvider(name).aead('AES-256-GCM').open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(15), new Uint8Array(0)));
      expect([e.kind, e.reason]).toEqual(['auth_failure', 'AEAD_TAG']);
    }
  });

  it('CRYPTO-007: an ML-KEM public key failing the modulus check is refused as decode_failure (random encapsulation)', () => {
    for (const name of PROVIDER_NAMES) {
      const pk = new Uint8Array(1184).fill(0xff);
      const e = refusal(() => getProvider(name).kem('ML-KEM-768').encapsulate(pk));
      expect([name, e.kind, e.reason]).toEqual([name, 'decode_failure', 'KEM_PUBLIC_KEY']);
    }
  });

  it('CRYPTO-007: an ML-KEM decapsulation key failing the hash check is refused as decode_failure', () => {
    for (const name of PROVIDER_NAMES) {
      const p = getProvider(name);
      const kp = p.kem('ML-KEM-768').keygen(new Uint8Array(64).fill(3));
      const sk = kp.secretKey.slice();
      sk[sk.length - 40] = sk[sk.length - 40]! ^ 1; // inside H(ek)
      const ct = p.kem('ML-KEM-768').encapsulate(kp.publicKey).ciphertext;
      const e = refusal(() => p.kem('ML-KEM-768').decapsulate(ct, sk));
      expect([name, e.kind, e.reason]).toEqual([name, 'decode_failure', 'KEM_SECRET_KEY']);
    }
  });

  it('CRYPTO-008: getProvider serves both names and refuses others', () => {
    expect(getProvider('node').name).toBe('node');
    expect(getProvider('noble').name).toBe('noble');
    expect(refusal(() => getProvider('openssl' as never)).kind).toBe('unsupported');
  });
});

describe('node provider ML-KEM source', () => {
  it('CRYPTO-008: ML-KEM is native exactly when node:crypto offers encapsulate/decapsulate', async () => {
    const nodeCrypto = (await import('node:crypto')) as unknown as Record<string, unknown>;
    expect(nodeHasNativeMlKem).toBe(typeof nodeCrypto.encapsulate === 'function' && typeof nodeCrypto.decapsulate === 'function');
  });
});
