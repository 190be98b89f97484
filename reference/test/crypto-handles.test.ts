import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOW_ORDER_25519 } from '../../vectors/low-order-25519.js';
import { fromHex, toHex } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { getProvider, isPrivateKeyHandle, KEM_NAMES, nodeHasNativeMlKem, PROVIDER_NAMES, privateKeyBytesForPersistence } from '../crypto/index.js';

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const providers = PROVIDER_NAMES.map((n) => [n, getProvider(n)] as const);

function outcome(f: () => Uint8Array): string {
  try {
    return toHex(f());
  } catch (e) {
    if (e instanceof AgentsecError) return `${e.kind}/${e.reason}`;
    throw e;
  }
}

describe('private keys as handles', () => {
  it('CRYPTO-017: X25519 dh through a handle equals dh through bytes, in and across both providers', () => {
    fc.assert(
      fc.property(key32, key32, (a, u) => {
        const expected = outcome(() => getProvider('noble').x25519.dh(a, u));
        for (const [, maker] of providers) {
          const h = maker.x25519.importPrivateKey(a);
          expect(toHex(h.publicKey)).toBe(toHex(getProvider('noble').x25519.publicKey(a)));
          for (const [name, user] of providers) {
            expect([name, outcome(() => user.x25519.dh(h, u))]).toEqual([name, expected]);
            expect(toHex(user.x25519.publicKey(h))).toBe(toHex(h.publicKey));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('CRYPTO-017: Ed25519 signatures through a handle equal those through bytes, in and across both providers', () => {
    fc.assert(
      fc.property(key32, fc.uint8Array({ maxLength: 200 }), (sk, msg) => {
        const expected = toHex(getProvider('noble').ed25519.sign(sk, msg));
        for (const [, maker] of providers) {
          const h = maker.ed25519.importPrivateKey(sk);
          for (const [name, user] of providers) expect([name, toHex(user.ed25519.sign(h, msg))]).toEqual([name, expected]);
          expect(getProvider('node').ed25519.verify(h.publicKey, msg, fromHex(expected))).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('CRYPTO-017 CRYPTO-003: a handle meets the low-order refusal like bytes do', () => {
    for (const [name, p] of providers) {
      const h = p.x25519.generate();
      for (const u of LOW_ORDER_25519) expect([name, outcome(() => p.x25519.dh(h, fromHex(u)))]).toEqual([name, 'policy_reject/LOW_ORDER_POINT']);
    }
  });

  it('CRYPTO-017: generate() gives working handles; the wrong curve and bad import bytes are refused', () => {
    for (const [name, p] of providers) {
      const a = p.x25519.generate();
      const b = p.x25519.generate();
      expect(isPrivateKeyHandle(a)).toBe(true);
      expect(toHex(p.x25519.dh(a, b.publicKey))).toBe(toHex(p.x25519.dh(b, a.publicKey)));
      const s = p.ed25519.generate();
      expect(p.ed25519.verify(s.publicKey, new Uint8Array(3), p.ed25519.sign(s, new Uint8Array(3)))).toBe(true);
      for (const call of [() => p.x25519.dh(s, a.publicKey), () => p.ed25519.sign(a, new Uint8Array(1))]) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect([name, (err as AgentsecError).kind, (err as AgentsecError).reason]).toEqual([name, 'decode_failure', 'BAD_KEY_HANDLE']);
      }
      expect(() => p.x25519.importPrivateKey(new Uint8Array(31))).toThrow(/"privateKey" expected 32 bytes/);
      expect(isPrivateKeyHandle({ curve: 'X25519', publicKey: a.publicKey })).toBe(false);
    }
  });

  it('CRYPTO-018: a handle shows no private key bytes in its properties, JSON or inspect output', () => {
    const raw = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    for (const [name, p] of providers) {
      for (const h of [p.x25519.importPrivateKey(raw), p.ed25519.importPrivateKey(raw)]) {
        const shown = [JSON.stringify(h), inspect(h, { showHidden: true, depth: 9 }), Object.getOwnPropertyNames(h).join(','), String(h)].join('\n');
        expect([name, shown.includes(toHex(raw)), shown.includes(Buffer.from(raw).toString('base64'))]).toEqual([name, false, false]);
        expect(shown).toContain(toHex(h.publicKey));
        expect(Object.isFrozen(h)).toBe(true);
        // The one way out, for persistence, gives the key back.
        expect(toHex(privateKeyBytesForPersistence(h))).toBe(toHex(raw));
      }
    }
  });
});

describe('ML-KEM decapsulation keys as handles, native where the runtime has it', () => {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];

  it('CRYPTO-019: the node provider runs ML-KEM on node:crypto exactly when Node >= 24.7 offers it', () => {
    expect([process.versions.node, nodeHasNativeMlKem]).toEqual([process.versions.node, major > 24 || (major === 24 && minor >= 7)]);
  });

  for (const kem of KEM_NAMES) {
    it(`CRYPTO-019: ${kem} decapsulation through a handle equals decapsulation through bytes, in and across both providers`, () => {
      for (const [, maker] of providers) {
        const kp = maker.kem(kem).keygen();
        const h = maker.kem(kem).importSecretKey(kp.secretKey);
        for (const [name, user] of providers) {
          const { ciphertext, sharedSecret } = user.kem(kem).encapsulate(kp.publicKey);
          expect([name, toHex(user.kem(kem).decapsulate(ciphertext, h))]).toEqual([name, toHex(sharedSecret)]);
          expect([name, toHex(user.kem(kem).decapsulate(ciphertext, kp.secretKey))]).toEqual([name, toHex(sharedSecret)]);
          // Implicit rejection stays the same through a handle.
          const bad = ciphertext.slice();
          bad[7]! ^= 1;
          expect(toHex(user.kem(kem).decapsulate(bad, h))).toBe(toHex(getProvider('noble').kem(kem).decapsulate(bad, kp.secretKey)));
        }
        expect(JSON.stringify(h)).toBe(JSON.stringify({ kem }));
        expect(inspect(h, { showHidden: true })).not.toContain(toHex(kp.secretKey.subarray(0, 16)));
      }
    });

    it(`CRYPTO-019 CRYPTO-007: ${kem} importSecretKey refuses a key failing the hash check, and a handle of the other KEM, in both providers`, () => {
      for (const [name, p] of providers) {
        const sk = p.kem(kem).keygen().secretKey.slice();
        sk[sk.length - 40]! ^= 1; // inside H(ek)
        let e: unknown;
        try {
          p.kem(kem).importSecretKey(sk);
        } catch (err) {
          e = err;
        }
        expect([name, (e as AgentsecError).kind, (e as AgentsecError).reason]).toEqual([name, 'decode_failure', 'KEM_SECRET_KEY']);
        const other = KEM_NAMES.find((k) => k !== kem)!;
        const h = p.kem(other).importSecretKey(p.kem(other).keygen().secretKey);
        expect(() => p.kem(kem).decapsulate(new Uint8Array(p.kem(kem).encapsulate(p.kem(kem).keygen().publicKey).ciphertext), h)).toThrow(/key handle/);
      }
    });
  }
});
