import { describe, expect, it } from 'vitest';
import { BASE_PATTERN_NAMES, buildPattern, createNoiseChannel, getProvider, ONE_WAY, parseProtocolName, PROVIDER_NAMES, utf8 } from '../index.js';
import { withFixedNoiseKeysForTestingOnly } from '../noise/fixed-keys.js';
import { bytes, errorOf, flip, handshake, makePair } from './noise-helpers.js';

const HFS = 'Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256';

describe('hfs: KEM-based hybrid forward secrecy with ML-KEM-768', () => {
  it('NOISE-040: e1 after the first e (or after the DH following it), ekem1 after the first ee', () => {
    const m = (name: string) => buildPattern(name, ['hfs']).messages;
    expect(m('NN')).toEqual([['e', 'e1'], ['e', 'ee', 'ekem1']]);
    expect(m('NK')).toEqual([['e', 'es', 'e1'], ['e', 'ee', 'ekem1']]);
    expect(m('XX')).toEqual([['e', 'e1'], ['e', 'ee', 'ekem1', 's', 'es'], ['s', 'se']]);
    expect(m('XK')).toEqual([['e', 'es', 'e1'], ['e', 'ee', 'ekem1'], ['s', 'se']]);
    expect(m('IK')).toEqual([['e', 'es', 'e1', 's', 'ss'], ['e', 'ee', 'ekem1', 'se']]);
    expect(m('IX')).toEqual([['e', 'e1', 's'], ['e', 'ee', 'ekem1', 'se', 's', 'es']]);
    expect(m('KX')).toEqual([['e', 'e1'], ['e', 'ee', 'ekem1', 'se', 's', 'es']]);
    // The rule as written (the hfs rev 1 table shows "e, e1, es, ss" here, against its own rule).
    expect(m('KK')).toEqual([['e', 'es', 'e1', 'ss'], ['e', 'ee', 'ekem1', 'se']]);
    expect(m('IN')).toEqual([['e', 'e1', 's'], ['e', 'ee', 'ekem1', 'se']]);
  });

  it('NOISE-041 NOISE-042: e1 is 1184 bytes in clear or 1200 encrypted, ekem1 1104 encrypted; both sides agree', () => {
    const xx = makePair(HFS);
    expect(handshake(xx, () => new Uint8Array(0)).map((m) => m.length)).toEqual([32 + 1184, 32 + 1088 + 16 + 48 + 16, 48 + 16]);
    expect(xx.i.handshakeHash()).toEqual(xx.r.handshakeHash());
    const ik = makePair('Noise_IKhfs_25519+MLKEM768_AESGCM_SHA512');
    expect(handshake(ik, () => new Uint8Array(0)).map((m) => m.length)).toEqual([32 + 1200 + 48 + 16, 32 + 1104 + 16]);
    expect(ik.r.readMessage(ik.i.writeMessage(utf8('pq')))).toEqual(utf8('pq'));
  });

  it('NOISE-040: every interactive pattern with hfs (and psk) completes, across providers', () => {
    for (const base of BASE_PATTERN_NAMES.filter((p) => !ONE_WAY.has(p))) {
      for (const mods of ['hfs', 'hfs+psk0', 'hfs+psk2']) {
        const name = `Noise_${base}${mods}_25519+MLKEM768_ChaChaPoly_BLAKE2s`;
        const pair = makePair(name, { provider: getProvider('noble'), responderProvider: getProvider(PROVIDER_NAMES[1] ?? 'noble') });
        handshake(pair);
        expect(pair.i.handshakeHash(), name).toEqual(pair.r.handshakeHash());
        expect(pair.i.readMessage(pair.r.writeMessage(utf8('r')))).toEqual(utf8('r'));
      }
    }
  });

  it('NOISE-042: a corrupted KEM ciphertext or public key fails the handshake', () => {
    const a = makePair(HFS);
    a.r.readMessage(a.i.writeMessage());
    const m2 = a.r.writeMessage();
    expect(errorOf(() => a.i.readMessage(flip(m2, 32 + 500))).kind).toBe('auth_failure');
    expect(a.i.phase).toBe('failed');
    const b = makePair('Noise_NNhfs_25519+MLKEM768_ChaChaPoly_SHA256');
    const m1 = b.i.writeMessage();
    b.r.readMessage(flip(m1, 32 + 600)); // e1 travels in clear in NN: the damage shows at message 2
    expect(errorOf(() => b.i.readMessage(b.r.writeMessage())).kind).toBe('auth_failure');
  });

  it('NOISE-043: hfs needs "25519+MLKEM768"; a KEM without hfs, or another KEM, is refused', () => {
    expect(errorOf(() => parseProtocolName('Noise_XXhfs_25519_ChaChaPoly_SHA256')).kind).toBe('decode_failure');
    expect(errorOf(() => parseProtocolName('Noise_XX_25519+MLKEM768_ChaChaPoly_SHA256')).kind).toBe('decode_failure');
    expect(errorOf(() => parseProtocolName('Noise_XXhfs_25519+Kyber1024_ChaChaPoly_SHA256')).kind).toBe('unsupported');
    expect(errorOf(() => parseProtocolName('Noise_XXhfs_25519+ML-KEM-768_ChaChaPoly_SHA256')).kind).toBe('decode_failure');
  });

  it('NOISE-044: hfs on a one-way pattern is refused', () => {
    for (const p of ['N', 'K', 'X']) expect(errorOf(() => parseProtocolName(`Noise_${p}hfs_25519+MLKEM768_AESGCM_SHA256`)).kind).toBe('decode_failure');
  });

  it('NOISE-031: KEM randomness is fresh unless fixed through the ForTestingOnly options', () => {
    const one = () => createNoiseChannel(withFixedNoiseKeysForTestingOnly({ protocol: 'Noise_NNhfs_25519+MLKEM768_AESGCM_SHA256', initiator: true }, { ephemeral: bytes(32, 1), kemSeed: bytes(64, 2) })).writeMessage();
    expect(one()).toEqual(one());
    const fresh = () => createNoiseChannel(withFixedNoiseKeysForTestingOnly({ protocol: 'Noise_NNhfs_25519+MLKEM768_AESGCM_SHA256', initiator: true }, { ephemeral: bytes(32, 1) })).writeMessage();
    expect(fresh()).not.toEqual(fresh());
    const resp = () => {
      const r = createNoiseChannel(withFixedNoiseKeysForTestingOnly({ protocol: 'Noise_NNhfs_25519+MLKEM768_AESGCM_SHA256', initiator: false }, { ephemeral: bytes(32, 3), kemEncapsulation: bytes(32, 4) }));
      r.readMessage(one());
      return r.writeMessage();
    };
    expect(resp()).toEqual(resp());
  });
});
