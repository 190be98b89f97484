import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BASE_PATTERN_NAMES, CIPHER_NAMES, getProvider, NOISE_HASH_NAMES, ONE_WAY, PROVIDER_NAMES } from '../index.js';
import { errorOf, handshake, makePair } from './noise-helpers.js';

const patterns = BASE_PATTERN_NAMES.flatMap((p) => [p, `${p}psk0`, `${p}psk1`]);

describe('Noise properties', () => {
  it('NOISE-019 NOISE-020 NOISE-021: any pattern, suite and payloads: both sides agree and transport works both ways', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.constantFrom(...CIPHER_NAMES),
        fc.constantFrom(...NOISE_HASH_NAMES),
        fc.constantFrom(...PROVIDER_NAMES),
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 4, maxLength: 4 }),
        (p, c, h, prov, payloads) => {
          const pair = makePair(`Noise_${p}_25519_${c}_${h}`, { provider: getProvider('noble'), responderProvider: getProvider(prov) });
          handshake(pair, (n) => payloads[n % 4]!);
          expect(pair.i.handshakeHash()).toEqual(pair.r.handshakeHash());
          for (const pl of payloads) {
            expect(pair.r.readMessage(pair.i.writeMessage(pl))).toEqual(pl);
            if (!ONE_WAY.has(p.replace(/psk\d/, ''))) expect(pair.i.readMessage(pair.r.writeMessage(pl))).toEqual(pl);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('NOISE-014 NOISE-033: any single-bit change of a transport message is refused and leaves the nonce', () => {
    const pair = makePair('Noise_XX_25519_AESGCM_SHA256');
    handshake(pair);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (pl, at, bit) => {
        const ct = pair.i.writeMessage(pl);
        const bad = ct.slice();
        const pos = at % bad.length;
        bad[pos] = bad[pos]! ^ (1 << bit);
        const before = pair.r.nonce('recv');
        expect(errorOf(() => pair.r.readMessage(bad)).kind).toBe('auth_failure');
        expect(pair.r.nonce('recv')).toBe(before);
        expect(pair.r.readMessage(ct)).toEqual(pl);
      }),
      { numRuns: 200 },
    );
  });

  it('NOISE-023: any single-bit change of an authenticated handshake message fails the handshake for good', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const { i, r } = makePair('Noise_IK_25519_ChaChaPoly_SHA256');
        const m = i.writeMessage(new Uint8Array([1, 2, 3]));
        const bad = m.slice();
        const pos = at % bad.length;
        bad[pos] = bad[pos]! ^ (1 << bit);
        const e = errorOf(() => r.readMessage(bad));
        expect(['auth_failure', 'policy_reject']).toContain(e.kind);
        expect(errorOf(() => r.readMessage(m)).reason).toBe('HANDSHAKE_FAILED');
      }),
      { numRuns: 100 },
    );
  });
});
