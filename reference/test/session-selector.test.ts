import { describe, expect, it } from 'vitest';
import { PQXDH_INFO, selectHandshake, X3DH_INFO } from '../session/index.js';

describe('handshake selector', () => {
  it('SESS-020: peer online with a known static key -> Noise IK', () => {
    const s = selectHandshake({ peerKeyKnown: true, peerOnline: true, hybrid: false });
    expect(s).toMatchObject({ handshake: 'noise-ik', protocol: 'Noise_IK_25519_ChaChaPoly_SHA256' });
    expect(s.explanation).toMatch(/online.*known.*IK/);
    expect(selectHandshake({ peerKeyKnown: true, peerOnline: true, hybrid: true, cipher: 'AESGCM' }).protocol).toBe('Noise_IKhfs_25519+MLKEM768_AESGCM_SHA256');
  });

  it('SESS-021: peer online with an unknown key -> Noise XX', () => {
    const s = selectHandshake({ peerKeyKnown: false, peerOnline: true, hybrid: false });
    expect(s).toMatchObject({ handshake: 'noise-xx', protocol: 'Noise_XX_25519_ChaChaPoly_SHA256' });
    expect(s.explanation).toMatch(/unknown.*XX/);
    expect(selectHandshake({ peerKeyKnown: false, peerOnline: true, hybrid: true }).protocol).toBe('Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256');
  });

  it('SESS-022: peer offline -> X3DH, or PQXDH when the config wants hybrid, whatever is known of the key', () => {
    for (const peerKeyKnown of [true, false]) {
      const classic = selectHandshake({ peerKeyKnown, peerOnline: false, hybrid: false });
      expect(classic).toMatchObject({ handshake: 'x3dh', protocol: X3DH_INFO });
      expect(classic.explanation).toMatch(/offline.*X3DH.*bundle/);
      const pq = selectHandshake({ peerKeyKnown, peerOnline: false, hybrid: true });
      expect(pq).toMatchObject({ handshake: 'pqxdh', protocol: PQXDH_INFO });
      expect(pq.explanation).toMatch(/PQXDH because the config asks for hybrid/);
    }
  });

  it('SESS-023: every choice carries an explanation; bad input is refused', () => {
    for (const peerKeyKnown of [true, false]) for (const peerOnline of [true, false]) for (const hybrid of [true, false]) {
      expect(selectHandshake({ peerKeyKnown, peerOnline, hybrid }).explanation.length).toBeGreaterThan(40);
    }
    expect(() => selectHandshake({ peerKeyKnown: 'yes' as unknown as boolean, peerOnline: true, hybrid: false })).toThrow(/peerKeyKnown/);
    expect(() => selectHandshake({ peerKeyKnown: true, peerOnline: true, hybrid: false, cipher: 'DES' as 'AESGCM' })).toThrow(/cipher/);
  });
});
