import { describe, expect, it } from 'vitest';
import { AgentsecError, createNoiseChannel, ERROR_KINDS, getProvider, toHex, utf8 } from '../index.js';
import { flip, handshake, makePair } from './noise-helpers.js';

/** Runs fn and returns the error it throws (or undefined). */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('Noise errors', () => {
  it('CONV-001 CONV-002: every Noise refusal is an AgentsecError of the closed set, and no message quotes keys or plaintext', () => {
    const prov = getProvider('noble');
    const s = prov.x25519.generateKeyPair();
    const psk = prov.randomBytes(32);
    const secret = utf8('very secret plaintext');
    const secrets = [toHex(s.privateKey), toHex(s.publicKey), toHex(psk), toHex(secret), 'very secret'];
    const errors: unknown[] = [];
    // Construction errors.
    errors.push(caught(() => createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, staticPrivateKey: s.privateKey.subarray(0, 31) })));
    errors.push(caught(() => createNoiseChannel({ protocol: 'Noise_NNpsk0_25519_ChaChaPoly_SHA256', initiator: true, psks: [psk.subarray(1)] })));
    errors.push(caught(() => createNoiseChannel({ protocol: 'Noise_IK_25519_ChaChaPoly_SHA256', initiator: true, staticPrivateKey: s.privateKey, remoteStaticKey: new Uint8Array(32) }).writeMessage(secret)));
    // Handshake and transport errors.
    const pair = makePair('Noise_IKpsk2_25519_AESGCM_SHA256', { i: { staticPrivateKey: s.privateKey } });
    const m1 = pair.i.writeMessage(secret);
    errors.push(caught(() => pair.r.readMessage(flip(m1, 50))));
    errors.push(caught(() => pair.r.readMessage(m1)));
    const t = makePair('Noise_XX_25519_ChaChaPoly_SHA512');
    handshake(t);
    const ct = t.i.writeMessage(secret);
    errors.push(caught(() => t.r.readMessage(flip(ct, 3))));
    errors.push(caught(() => t.i.readMessage(ct)));
    errors.push(caught(() => t.i.writeMessage(new Uint8Array(65520))));
    t.i.setNonce('send', 0xffffffffffffffffn);
    errors.push(caught(() => t.i.writeMessage(secret)));
    errors.push(caught(() => t.r.writeMessage(secret) && t.r.readMessage(new Uint8Array(65536))));
    errors.push(caught(() => createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: false, staticPrivateKey: s.privateKey }).writeMessage(secret)));
    // Every one of these calls must have been refused.
    expect(errors.map((e) => e !== undefined)).toEqual(errors.map(() => true));
    for (const e of errors) {
      expect(e).toBeInstanceOf(AgentsecError);
      const err = e as AgentsecError;
      expect(ERROR_KINDS).toContain(err.kind);
      const text = `${err.message} ${JSON.stringify(err)} ${err.reason}`;
      for (const x of secrets) expect(text).not.toContain(x);
    }
  });
});
