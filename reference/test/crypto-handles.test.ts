import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOW_ORDER_25519 } from '../../vectors/low-order-25519.js';
import { fromHex, toHex } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { getProvider, isPrivateKeyHandle, PROVIDER_NAMES, privateKeyBytesForPersistence } from '../crypto/index.js';

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
