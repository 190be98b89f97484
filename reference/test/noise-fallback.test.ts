/**
 * The fallback modifier (rev 34 section 10.2) and the Noise Pipes switch (10.4): XXfallback is XX
 * with Alice's first message `e` as a pre-message; Bob is the initiator of the fallback handshake.
 */
import { describe, expect, it } from 'vitest';
import { createNoiseChannel, describePattern, getProvider, parseProtocolName, utf8, type HandshakePattern } from '../index.js';
import { noiseFunctions } from '../noise/functions.js';
import { initialize } from '../noise/handshake-state.js';
import { initializeSymmetric, mixHash, mixKey } from '../noise/symmetric-state.js';
import { errorOf } from './noise-helpers.js';

const noble = getProvider('noble');
const XXF = 'Noise_XXfallback_25519_ChaChaPoly_SHA256';
const IK = 'Noise_IK_25519_ChaChaPoly_SHA256';

/** 7.2: Bob-initiated form -- arrows reversed and es/se swapped (Alice stays on the left). */
function bobInitiatedForm(p: HandshakePattern): string {
  const swap = (t: string): string => (t === 'es' ? 'se' : t === 'se' ? 'es' : t);
  return describePattern(p)
    .split('\n')
    .map((l) => (l === '...' ? l : `${l.startsWith('->') ? '<-' : '->'} ${l.slice(3).split(', ').map(swap).join(', ')}`))
    .join('\n');
}

describe('fallback modifier (10.2)', () => {
  it('NOISE-080 NOISE-081: XXfallback is the spec\'s table; Bob (the initiator) writes first', () => {
    const p = parseProtocolName(XXF).pattern;
    expect(p.name).toBe('XXfallback');
    expect(p.initiatorPre).toEqual([]);
    expect(p.responderPre).toEqual(['e']);
    expect(p.messages).toEqual([['e', 'ee', 's', 'se'], ['s', 'es']]);
    // Exactly the 10.2 / 10.4 listing, which is written in Bob-initiated form.
    expect(bobInitiatedForm(p)).toBe('-> e\n...\n<- e, ee, s, es\n-> s, se');
    expect(parseProtocolName('Noise_NNfallback_25519_AESGCM_BLAKE2b').pattern.messages).toEqual([['e', 'ee']]);
    expect(parseProtocolName('Noise_IXfallback_25519_AESGCM_SHA512').pattern.responderPre).toEqual(['e', 's']);
    // Bob's pre-message (NK1: Alice knew his static key) becomes the initiator's pre-message.
    const nk1 = parseProtocolName('Noise_NK1fallback_25519_ChaChaPoly_SHA256').pattern;
    expect([nk1.initiatorPre, nk1.responderPre, nk1.messages]).toEqual([['s'], ['e'], [['e', 'ee', 'se']]]);
  });

  it('NOISE-080: fallback is refused unless Alice\'s first message is "e", "s" or "e, s"', () => {
    for (const base of ['IK', 'NK', 'XK', 'KK', 'N', 'K', 'X', 'X1K', 'I1K']) {
      const e = errorOf(() => parseProtocolName(`Noise_${base}fallback_25519_ChaChaPoly_SHA256`));
      expect([e.kind, e.reason], base).toEqual(['decode_failure', 'BAD_MODIFIER']);
    }
    // Alice already holds a pre-message (K*): merging is not defined by 10.2, so it is unsupported.
    for (const base of ['KN', 'KX', 'K1X']) {
      expect(errorOf(() => parseProtocolName(`Noise_${base}fallback_25519_ChaChaPoly_SHA256`)).kind, base).toBe('unsupported');
    }
    expect(errorOf(() => parseProtocolName('Noise_XXfallback+hfs_25519+MLKEM768_ChaChaPoly_SHA256')).kind).toBe('unsupported');
  });

  it('NOISE-081: fallback comes first (sorted names); with psk0 the psk opens Bob\'s message', () => {
    const p = parseProtocolName('Noise_XXfallback+psk0_25519_AESGCM_SHA256').pattern;
    expect(p.messages[0]).toEqual(['psk', 'e', 'ee', 's', 'se']);
    expect(p.hasPsk).toBe(true);
    expect(errorOf(() => parseProtocolName('Noise_XXpsk0+fallback_25519_AESGCM_SHA256')).kind).toBe('decode_failure');
    // psk2 closes Alice's (the responder's) message: valid, her ephemeral was sent as the pre-message.
    expect(parseProtocolName('Noise_XXfallback+psk2_25519_AESGCM_SHA256').pattern.messages[1]).toEqual(['s', 'es', 'psk']);
  });

  it('NOISE-083: the pre-message e is hashed after the prologue; in PSK handshakes also MixKey\'ed', () => {
    const a = noble.x25519.generateKeyPair();
    for (const name of [XXF, 'Noise_XXfallback+psk0_25519_ChaChaPoly_SHA256']) {
      const f = noiseFunctions(parseProtocolName(name), noble);
      const psks = name.includes('psk') ? [new Uint8Array(32).fill(3)] : [];
      const bob = initialize(f, { initiator: true, prologue: utf8('p'), s: noble.x25519.generateKeyPair(), re: a.publicKey, psks });
      const alice = initialize(f, { initiator: false, prologue: utf8('p'), s: noble.x25519.generateKeyPair(), e: a, psks });
      let s = mixHash(f, mixHash(f, initializeSymmetric(f, utf8(name)), utf8('p')), a.publicKey);
      if (psks.length) s = mixKey(f, s, a.publicKey);
      for (const hs of [bob, alice]) {
        expect(hs.symmetric.h).toEqual(s.h);
        expect(hs.symmetric.ck).toEqual(s.ck);
      }
      expect(alice.e).toEqual(a);
      expect(bob.re).toEqual(a.publicKey);
    }
  });

  it('NOISE-082 NOISE-026: the pre-message ephemeral is required exactly where the pattern lists it, and low-order ones fail', () => {
    const bobS = noble.x25519.generateKeyPair().privateKey;
    expect(errorOf(() => createNoiseChannel({ protocol: XXF, initiator: true, staticPrivateKey: bobS })).reason).toBe('MISSING_KEY');
    const e = errorOf(() => createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, staticPrivateKey: bobS, remoteEphemeralKey: new Uint8Array(32).fill(9) }));
    expect([e.kind, e.reason]).toEqual(['decode_failure', 'UNEXPECTED_KEY']);
    expect(errorOf(() => createNoiseChannel({ protocol: XXF, initiator: true, staticPrivateKey: bobS, remoteEphemeralKey: new Uint8Array(31) })).kind).toBe('decode_failure');
    // A low-order pre-message ephemeral fails Bob's first DH (ee) like any low-order key (NOISE-026).
    const bob = createNoiseChannel({ protocol: XXF, initiator: true, staticPrivateKey: bobS, remoteEphemeralKey: new Uint8Array(32) });
    expect(errorOf(() => bob.writeMessage()).kind).toBe('policy_reject');
    expect(bob.phase).toBe('failed');
    // Alice's side takes no ephemeral from outside (only the test seam); it comes from her original channel.
    expect(errorOf(() => createNoiseChannel({ protocol: XXF, initiator: false, staticPrivateKey: bobS })).reason).toBe('MISSING_KEY');
  });
});

/** Alice with Bob's cached (old) static key, Bob with a new one: the Noise Pipes setting of 10.4. */
function pipes(prologue = utf8('pipes/1')) {
  const aliceS = noble.x25519.generateKeyPair();
  const bobOld = noble.x25519.generateKeyPair();
  const bobNew = noble.x25519.generateKeyPair();
  const alice = createNoiseChannel({ protocol: IK, initiator: true, prologue, staticPrivateKey: aliceS.privateKey, remoteStaticKey: bobOld.publicKey });
  const bobIk = createNoiseChannel({ protocol: IK, initiator: false, prologue, staticPrivateKey: bobNew.privateKey });
  return { aliceS, bobNew, alice, bobIk, prologue };
}

describe('Noise Pipes (10.4): IK fails, both switch to XXfallback with Alice\'s ephemeral', () => {
  it('NOISE-084 NOISE-085: a changed responder static key -> XXfallback completes and transport works', () => {
    const { aliceS, bobNew, alice, bobIk, prologue } = pipes();
    const m1 = alice.writeMessage(utf8('0-RTT hello'));
    // Bob's key changed: he cannot decrypt Alice's IK message.
    expect(errorOf(() => bobIk.readMessage(m1)).kind).toBe('auth_failure');
    const bob = createNoiseChannel({ protocol: XXF, initiator: true, prologue, staticPrivateKey: bobNew.privateKey, remoteEphemeralKey: m1.subarray(0, 32) });
    expect(bob.isMyTurn).toBe(true);
    const m2 = bob.writeMessage(utf8('switch'));
    // Trial decryption (10.5): as an IK reply the message fails; Alice then falls back.
    expect(errorOf(() => alice.readMessage(m2)).kind).toBe('auth_failure');
    expect(alice.phase).toBe('failed');
    const aliceF = alice.fallback({ protocol: XXF, prologue, staticPrivateKey: aliceS.privateKey });
    expect([aliceF.initiator, aliceF.isMyTurn]).toEqual([false, false]);
    expect(aliceF.readMessage(m2)).toEqual(utf8('switch'));
    expect(aliceF.remoteStaticKey()).toEqual(bobNew.publicKey);
    bob.readMessage(aliceF.writeMessage(utf8('done')));
    expect(bob.remoteStaticKey()).toEqual(aliceS.publicKey);
    expect(aliceF.handshakeHash()).toEqual(bob.handshakeHash());
    expect(aliceF.readMessage(bob.writeMessage(utf8('to alice')))).toEqual(utf8('to alice'));
    expect(bob.readMessage(aliceF.writeMessage(utf8('to bob')))).toEqual(utf8('to bob'));
    // The original channel is retired and cannot fall back twice.
    expect(errorOf(() => alice.fallback({ protocol: XXF, prologue, staticPrivateKey: aliceS.privateKey })).kind).toBe('state_failure');
    expect(errorOf(() => alice.writeMessage(new Uint8Array(0))).kind).toBe('state_failure');
  });

  it('NOISE-083: the fallback binds Alice\'s ephemeral: Bob using another one fails at Alice', () => {
    const { aliceS, bobNew, alice, prologue } = pipes();
    const m1 = alice.writeMessage();
    const wrong = new Uint8Array(m1.subarray(0, 32));
    wrong[0]! ^= 1;
    const bob = createNoiseChannel({ protocol: XXF, initiator: true, prologue, staticPrivateKey: bobNew.privateKey, remoteEphemeralKey: wrong });
    const m2 = bob.writeMessage(utf8('x'));
    const aliceF = alice.fallback({ protocol: XXF, prologue, staticPrivateKey: aliceS.privateKey });
    expect(errorOf(() => aliceF.readMessage(m2)).kind).toBe('auth_failure');
  });

  it('NOISE-084: fallback only from the initiator after its first message; a wrong protocol leaves the channel usable', () => {
    const { aliceS, bobIk, alice, prologue } = pipes();
    expect(errorOf(() => alice.fallback({ protocol: XXF, prologue, staticPrivateKey: aliceS.privateKey })).reason).toBe('FALLBACK_STATE');
    alice.writeMessage();
    expect(errorOf(() => bobIk.fallback({ protocol: XXF, prologue })).reason).toBe('FALLBACK_STATE');
    const e = errorOf(() => alice.fallback({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', prologue, staticPrivateKey: aliceS.privateKey }));
    expect([e.kind, e.reason]).toEqual(['decode_failure', 'NOT_FALLBACK']);
    expect(alice.phase).toBe('handshake');
    expect(alice.fallback({ protocol: XXF, prologue, staticPrivateKey: aliceS.privateKey }).protocol.name).toBe(XXF);
  });

  it('NOISE-085: XXfallback+psk0 and IXfallback (Alice\'s static as a pre-message too) complete', () => {
    const psk = new Uint8Array(32).fill(5);
    const aliceS = noble.x25519.generateKeyPair();
    const bobS = noble.x25519.generateKeyPair();
    for (const [name, bobExtra] of [
      ['Noise_XXfallback+psk0_25519_AESGCM_BLAKE2b', { psks: [psk] }],
      ['Noise_IXfallback_25519_ChaChaPoly_SHA512', { remoteStaticKey: aliceS.publicKey }],
    ] as const) {
      const first = parseProtocolName(name).pattern.responderPre.includes('s') ? 'Noise_IX_25519_ChaChaPoly_SHA512' : 'Noise_XX_25519_ChaChaPoly_SHA256';
      const alice = createNoiseChannel({ protocol: first, initiator: true, staticPrivateKey: aliceS.privateKey });
      const m1 = alice.writeMessage();
      const bob = createNoiseChannel({ protocol: name, initiator: true, staticPrivateKey: bobS.privateKey, remoteEphemeralKey: m1.subarray(0, 32), ...bobExtra });
      const aliceF = alice.fallback({ protocol: name, staticPrivateKey: aliceS.privateKey, ...('psks' in bobExtra ? { psks: [psk] } : {}) });
      while (!bob.isHandshakeComplete || !aliceF.isHandshakeComplete) {
        const [w, r] = bob.isMyTurn ? [bob, aliceF] : [aliceF, bob];
        r.readMessage(w.writeMessage());
      }
      expect(aliceF.handshakeHash(), name).toEqual(bob.handshakeHash());
      expect(bob.readMessage(aliceF.writeMessage(utf8('t')))).toEqual(utf8('t'));
    }
  });
});
