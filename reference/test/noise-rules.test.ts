import { describe, expect, it } from 'vitest';
import {
  BASE_PATTERN_NAMES,
  CIPHER_NAMES,
  NOISE_HASH_NAMES,
  buildPattern,
  concatBytes,
  createNoiseChannel,
  encodeNonce,
  getProvider,
  parseProtocolName,
  PROVIDER_NAMES,
  utf8,
} from '../index.js';
import { withFixedNoiseKeysForTestingOnly } from '../noise/fixed-keys.js';
import { encryptWithAd, initializeKey, rekey as csRekey, setNonce as csSetNonce } from '../noise/cipher-state.js';
import { noiseFunctions } from '../noise/functions.js';
import { initialize } from '../noise/handshake-state.js';
import { checkPskValidity, type HandshakePattern } from '../noise/patterns.js';
import { encryptAndHash, initializeSymmetric, mixHash, mixKey, split } from '../noise/symmetric-state.js';
import { bytes, errorOf, flip, handshake, LOW_ORDER_25519, makePair } from './noise-helpers.js';

const noble = getProvider('noble');
const MAXN = 0xffffffffffffffffn;
const fns = (name: string) => noiseFunctions(parseProtocolName(name), noble);

describe('Noise protocol names', () => {
  it('NOISE-001: the name is Noise_ + four sections, at most 255 bytes', () => {
    expect(errorOf(() => parseProtocolName('Noise_XX_25519_ChaChaPoly')).kind).toBe('decode_failure');
    expect(errorOf(() => parseProtocolName('Nois_XX_25519_ChaChaPoly_SHA256')).kind).toBe('decode_failure');
    expect(errorOf(() => parseProtocolName('Noise_XX_25519_ChaChaPoly_SHA256_X')).kind).toBe('decode_failure');
    expect(errorOf(() => parseProtocolName(`Noise_XX_25519_ChaChaPoly_${'A'.repeat(230)}`)).reason).toBe('BAD_PROTOCOL_NAME');
    expect(parseProtocolName('Noise_XX_25519_ChaChaPoly_SHA256').pattern.messages.length).toBe(3);
  });

  it('NOISE-002: a "-" in an algorithm name is refused; the hybrid is named 25519+MLKEM768', () => {
    for (const bad of ['Noise_XXhfs_25519+ML-KEM-768_ChaChaPoly_SHA256', 'Noise_XX_25519_ChaCha-Poly_SHA256', 'Noise_XX_25519_AESGCM_SHA-256', 'Noise_XX_25519_AES GCM_SHA256']) {
      const e = errorOf(() => parseProtocolName(bad));
      expect(e.kind, bad).toBe('decode_failure');
    }
    const p = parseProtocolName('Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256');
    expect(p.kem).toBe('MLKEM768');
    expect(p.pattern.hfs).toBe(true);
  });

  it('NOISE-003: modifiers lowercase, joined by +, sorted alphabetically without repeats', () => {
    expect(parseProtocolName('Noise_XXpsk0+psk2_25519_AESGCM_SHA256').pattern.hasPsk).toBe(true);
    expect(parseProtocolName('Noise_NNhfs+psk0_25519+MLKEM768_AESGCM_SHA256').pattern.hfs).toBe(true);
    for (const bad of ['Noise_XXpsk2+psk0_25519_AESGCM_SHA256', 'Noise_XXpsk0+psk0_25519_AESGCM_SHA256', 'Noise_NNpsk0+hfs_25519+MLKEM768_AESGCM_SHA256',
      'Noise_XXpsk0+Psk2_25519_AESGCM_SHA256', 'Noise_xx_25519_AESGCM_SHA256', 'Noise_XXpsk0+_25519_AESGCM_SHA256', 'Noise_XXpsk0+1psk_25519_AESGCM_SHA256']) {
      expect(errorOf(() => parseProtocolName(bad)).kind, bad).toBe('decode_failure');
    }
  });

  it('NOISE-004: every pattern of 7.4/7.5/18.1 x ciphers x hashes; 448 and unknowns are unsupported', () => {
    expect(BASE_PATTERN_NAMES.length).toBe(3 + 12 + 23);
    for (const p of BASE_PATTERN_NAMES) for (const c of CIPHER_NAMES) for (const h of NOISE_HASH_NAMES) {
      expect(parseProtocolName(`Noise_${p}_25519_${c}_${h}`).cipher).toBe(c);
    }
    for (const bad of ['Noise_XX_448_AESGCM_SHA256', 'Noise_ZZ_25519_AESGCM_SHA256', 'Noise_XX_25519_AESGCM_SHA3/256',
      'Noise_XX_25519_AESOCB_SHA256', 'Noise_XXhfs_25519+MLKEM1024_AESGCM_SHA256', 'Noise_XXfoo_25519_AESGCM_SHA256']) {
      expect(errorOf(() => parseProtocolName(bad)).kind, bad).toBe('unsupported');
    }
    expect(errorOf(() => createNoiseChannel({ protocol: 'Noise_NN_448_AESGCM_SHA256', initiator: true })).kind).toBe('unsupported');
  });
});

describe('SymmetricState and crypto functions', () => {
  it('NOISE-005: a name of at most HASHLEN bytes is zero-padded, a longer one hashed', () => {
    const n32 = 'Noise_NN_25519_ChaChaPoly_SHA256';
    expect(utf8(n32).length).toBe(32);
    const s = initializeSymmetric(fns(n32), utf8(n32));
    expect(s.h).toEqual(utf8(n32));
    expect(s.ck).toEqual(s.h);
    const n36 = 'Noise_XXpsk3_25519_ChaChaPoly_SHA256';
    expect(initializeSymmetric(fns(n36), utf8(n36)).h).toEqual(noble.hash('SHA-256', utf8(n36)));
    const n64 = 'Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b';
    const h64 = initializeSymmetric(fns(n64), utf8(n64)).h;
    expect(h64.length).toBe(64);
    expect(h64).toEqual(concatBytes(utf8(n64), new Uint8Array(64 - utf8(n64).length)));
  });

  it('NOISE-006: HKDF is the HMAC construction of 4.3 (= RFC 5869 with salt ck), keys truncated to 32 bytes with HASHLEN 64', () => {
    for (const [name, hash] of [['Noise_NN_25519_AESGCM_SHA256', 'SHA-256'], ['Noise_NN_25519_AESGCM_BLAKE2b', 'BLAKE2b']] as const) {
      const f = fns(name);
      const ck = noble.randomBytes(f.hashLen);
      const ikm = noble.randomBytes(32);
      expect(concatBytes(...f.hkdf(ck, ikm, 3))).toEqual(noble.hkdf(hash, ikm, ck, new Uint8Array(0), 3 * f.hashLen));
      const s0 = initializeSymmetric(f, utf8(name));
      const s1 = mixKey(f, s0, ikm);
      expect(s1.cs.k!.length).toBe(32);
      expect(s1.cs.k).toEqual(f.hkdf(s0.ck, ikm, 2)[1]!.subarray(0, 32));
      const [c1, c2] = split(f, s1);
      expect([c1.k!.length, c2.k!.length]).toEqual([32, 32]);
    }
  });

  it('NOISE-007: EncryptAndHash uses h as AD and hashes the ciphertext', () => {
    const f = fns('Noise_NN_25519_ChaChaPoly_SHA256');
    const s = mixKey(f, initializeSymmetric(f, utf8('x')), bytes(32));
    const [s2, ct] = encryptAndHash(f, s, utf8('hello'));
    expect(ct).toEqual(noble.aead('ChaCha20-Poly1305').seal(s.cs.k!, new Uint8Array(12), utf8('hello'), s.h));
    expect(s2.h).toEqual(noble.hash('SHA-256', concatBytes(s.h, ct)));
  });

  it('NOISE-008: the prologue is hashed, also when empty', () => {
    const name = 'Noise_NN_25519_ChaChaPoly_SHA256';
    const f = fns(name);
    const hs = initialize(f, { initiator: true, prologue: new Uint8Array(0) });
    expect(hs.symmetric.h).toEqual(noble.hash('SHA-256', utf8(name)));
  });

  it('NOISE-009: pre-message keys are hashed initiator first, then responder', () => {
    const name = 'Noise_KK_25519_ChaChaPoly_SHA256';
    const f = fns(name);
    const a = noble.x25519.generateKeyPair();
    const b = noble.x25519.generateKeyPair();
    const hs = initialize(f, { initiator: false, prologue: utf8('p'), s: b, rs: a.publicKey });
    let s = initializeSymmetric(f, utf8(name));
    s = mixHash(f, mixHash(f, mixHash(f, s, utf8('p')), a.publicKey), b.publicKey);
    expect(hs.symmetric.h).toEqual(s.h);
  });
});

describe('message sizes and payloads', () => {
  it('NOISE-010: transport plaintext 65519 is written, 65520 refused (policy_reject) with the state unchanged', () => {
    const pair = makePair('Noise_NN_25519_ChaChaPoly_SHA256');
    handshake(pair);
    const ct = pair.i.writeMessage(bytes(65519));
    expect(ct.length).toBe(65535);
    expect(pair.r.readMessage(ct).length).toBe(65519);
    expect(errorOf(() => pair.i.writeMessage(bytes(65520)))).toEqual({ kind: 'policy_reject', reason: 'MESSAGE_TOO_LARGE' });
    expect(pair.i.nonce('send')).toBe(1n);
    expect(pair.r.readMessage(pair.i.writeMessage(bytes(3)))).toEqual(bytes(3));
  });

  it('NOISE-010: a handshake message over 65535 bytes is refused on write and the handshake can go on', () => {
    const { i, r } = makePair('Noise_NN_25519_ChaChaPoly_SHA256');
    expect(errorOf(() => i.writeMessage(bytes(65504))).kind).toBe('policy_reject');
    expect(i.phase).toBe('handshake');
    const m = i.writeMessage(bytes(65503));
    expect(m.length).toBe(65535);
    r.readMessage(m);
    i.readMessage(r.writeMessage());
    expect(i.isHandshakeComplete).toBe(true);
  });

  it('NOISE-011: a reader refuses 65536 bytes (decode_failure) before processing, in both phases', () => {
    const pair = makePair('Noise_NN_25519_ChaChaPoly_SHA256');
    expect(errorOf(() => pair.r.readMessage(bytes(65536))).kind).toBe('decode_failure');
    const p2 = makePair('Noise_NN_25519_AESGCM_SHA256');
    handshake(p2);
    expect(errorOf(() => p2.r.readMessage(bytes(65536)))).toEqual({ kind: 'decode_failure', reason: 'RECEIVED_TOO_LARGE' });
    expect(p2.r.nonce('recv')).toBe(0n);
    expect(p2.r.readMessage(p2.i.writeMessage(utf8('ok')))).toEqual(utf8('ok'));
  });

  it('NOISE-018: empty payloads: no bytes without a key, a 16-byte tag with one', () => {
    const pair = makePair('Noise_XX_25519_ChaChaPoly_SHA256');
    const msgs = handshake(pair, () => new Uint8Array(0));
    expect(msgs.map((m) => m.length)).toEqual([32, 32 + 48 + 16, 48 + 16]);
    const t = pair.r.writeMessage(new Uint8Array(0));
    expect(t.length).toBe(16);
    expect(pair.i.readMessage(t).length).toBe(0);
  });
});

describe('CipherState', () => {
  it('NOISE-012: n starts at 0 and increments once per message', () => {
    const pair = makePair('Noise_NN_25519_ChaChaPoly_SHA256');
    handshake(pair);
    expect(pair.i.nonce('send')).toBe(0n);
    for (let k = 0; k < 3; k++) pair.r.readMessage(pair.i.writeMessage(bytes(k)));
    expect(pair.i.nonce('send')).toBe(3n);
    expect(pair.r.nonce('recv')).toBe(3n);
    expect(pair.i.nonce('recv')).toBe(0n);
  });

  it('NOISE-013 NOISE-034: nonce 2^64-1 is reserved: one message at 2^64-2, then every call is refused, no wrap-around', () => {
    for (const cipher of CIPHER_NAMES) {
      const pair = makePair(`Noise_NN_25519_${cipher}_SHA256`);
      handshake(pair);
      pair.i.setNonce('send', MAXN - 1n);
      pair.r.setNonce('recv', MAXN - 1n);
      expect(pair.r.readMessage(pair.i.writeMessage(utf8('last')))).toEqual(utf8('last'));
      expect(pair.i.nonce('send')).toBe(MAXN);
      for (let k = 0; k < 2; k++) {
        expect(errorOf(() => pair.i.writeMessage(utf8('x')))).toEqual({ kind: 'state_failure', reason: 'NONCE_EXHAUSTED' });
        expect(errorOf(() => pair.r.readMessage(bytes(20)))).toEqual({ kind: 'state_failure', reason: 'NONCE_EXHAUSTED' });
      }
      expect(pair.i.nonce('send')).toBe(MAXN);
      expect(errorOf(() => pair.i.setNonce('send', MAXN + 1n)).kind).toBe('decode_failure');
    }
  });

  it('NOISE-014 NOISE-033: a failed decrypt does not advance n; the next genuine message decrypts', () => {
    const pair = makePair('Noise_IK_25519_AESGCM_BLAKE2s');
    handshake(pair);
    const m1 = pair.i.writeMessage(utf8('one'));
    for (const bad of [flip(m1, 0), flip(m1, m1.length - 1), m1.subarray(0, 15), new Uint8Array(0)]) {
      expect(errorOf(() => pair.r.readMessage(bad)).kind).toBe('auth_failure');
      expect(pair.r.nonce('recv')).toBe(0n);
    }
    expect(pair.r.readMessage(m1)).toEqual(utf8('one'));
    expect(errorOf(() => pair.r.readMessage(m1)).kind).toBe('auth_failure'); // a replay: n has moved on
    expect(pair.r.readMessage(pair.i.writeMessage(utf8('two')))).toEqual(utf8('two'));
    expect(pair.r.phase).toBe('transport');
  });

  it('NOISE-015: nonce encoding: ChaChaPoly little-endian, AESGCM big-endian, at n = 2^32 and 2^64-2', () => {
    expect(encodeNonce('ChaChaPoly', 0x0102030405060708n)).toEqual(new Uint8Array([0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1]));
    expect(encodeNonce('AESGCM', 0x0102030405060708n)).toEqual(new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
    const k = bytes(32, 9);
    for (const prov of PROVIDER_NAMES.map((n) => getProvider(n))) {
      for (const [cipher, aead] of [['ChaChaPoly', 'ChaCha20-Poly1305'], ['AESGCM', 'AES-256-GCM']] as const) {
        const f = noiseFunctions(parseProtocolName(`Noise_NN_25519_${cipher}_SHA256`), prov);
        for (const n of [1n << 32n, MAXN - 1n]) {
          const nonce = new Uint8Array(12);
          new DataView(nonce.buffer).setBigUint64(4, n, cipher === 'ChaChaPoly');
          const [next, ct] = encryptWithAd(f, csSetNonce(initializeKey(k), n), utf8('ad'), utf8('pt'));
          expect(ct).toEqual(prov.aead(aead).seal(k, nonce, utf8('pt'), utf8('ad')));
          expect(next.n).toBe(n + 1n);
        }
      }
    }
  });

  it('NOISE-016: Rekey = first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros[32]); n is kept; both sides must rekey', () => {
    for (const cipher of CIPHER_NAMES) {
      const f = fns(`Noise_NN_25519_${cipher}_SHA256`);
      const k = bytes(32, 3);
      const cs = csSetNonce(initializeKey(k), 5n);
      const next = csRekey(f, cs);
      expect(next.n).toBe(5n);
      const maxNonce = encodeNonce(cipher, MAXN);
      const aead = noble.aead(cipher === 'ChaChaPoly' ? 'ChaCha20-Poly1305' : 'AES-256-GCM');
      expect(next.k).toEqual(aead.seal(k, maxNonce, new Uint8Array(32), new Uint8Array(0)).subarray(0, 32));
    }
    const pair = makePair('Noise_XX_25519_ChaChaPoly_SHA512');
    handshake(pair);
    pair.r.readMessage(pair.i.writeMessage(utf8('a')));
    pair.i.rekey('send');
    const m = pair.i.writeMessage(utf8('b'));
    expect(pair.i.nonce('send')).toBe(2n);
    expect(errorOf(() => pair.r.readMessage(m)).kind).toBe('auth_failure');
    pair.r.rekey('recv');
    expect(pair.r.readMessage(m)).toEqual(utf8('b'));
    // The other direction is untouched.
    expect(pair.i.readMessage(pair.r.writeMessage(utf8('c')))).toEqual(utf8('c'));
  });
});

describe('HandshakeState', () => {
  it('NOISE-019: c1 carries initiator -> responder whoever wrote the last handshake message', () => {
    for (const name of ['Noise_NN_25519_ChaChaPoly_SHA256', 'Noise_XX_25519_ChaChaPoly_SHA256', 'Noise_X1X1_25519_AESGCM_SHA256']) {
      const pair = makePair(name);
      handshake(pair);
      const fromI = pair.i.writeMessage(utf8('i->r'));
      const fromR = pair.r.writeMessage(utf8('r->i'));
      expect(fromI).not.toEqual(fromR);
      expect(pair.r.readMessage(fromI)).toEqual(utf8('i->r'));
      expect(pair.i.readMessage(fromR)).toEqual(utf8('r->i'));
      // A party cannot read its own messages: the two directions have different keys.
      expect(errorOf(() => pair.i.readMessage(pair.i.writeMessage(utf8('self')))).kind).toBe('auth_failure');
    }
  });

  it('NOISE-020: the handshake hash exists only after completion and is equal on both sides', () => {
    const pair = makePair('Noise_IK_25519_ChaChaPoly_BLAKE2b');
    expect(errorOf(() => pair.i.handshakeHash())).toEqual({ kind: 'state_failure', reason: 'HANDSHAKE_INCOMPLETE' });
    pair.r.readMessage(pair.i.writeMessage());
    expect(errorOf(() => pair.r.handshakeHash()).kind).toBe('state_failure');
    pair.i.readMessage(pair.r.writeMessage());
    expect(pair.i.handshakeHash()).toEqual(pair.r.handshakeHash());
    expect(pair.i.handshakeHash().length).toBe(64);
    const other = makePair('Noise_IK_25519_ChaChaPoly_BLAKE2b');
    handshake(other);
    expect(other.i.handshakeHash()).not.toEqual(pair.i.handshakeHash());
  });

  it('NOISE-021: s is DHLEN+16 bytes once a key is set, DHLEN before; the static key arrives', () => {
    const pair = makePair('Noise_IX_25519_ChaChaPoly_SHA256');
    const msgs = handshake(pair, () => new Uint8Array(0));
    expect(msgs.map((m) => m.length)).toEqual([32 + 32, 32 + 48 + 16]);
    expect(pair.r.remoteStaticKey()).not.toBeNull();
    const ik = makePair('Noise_IK_25519_ChaChaPoly_SHA256');
    expect(handshake(ik, () => new Uint8Array(0)).map((m) => m.length)).toEqual([32 + 48 + 16, 32 + 16]);
  });

  it('NOISE-022: turn-taking violations are refused (state_failure) and leave the handshake usable', () => {
    const { i, r } = makePair('Noise_XX_25519_ChaChaPoly_SHA256');
    expect(errorOf(() => r.writeMessage())).toEqual({ kind: 'state_failure', reason: 'NOT_YOUR_TURN' });
    expect(errorOf(() => i.readMessage(bytes(32)))).toEqual({ kind: 'state_failure', reason: 'NOT_YOUR_TURN' });
    const m1 = i.writeMessage();
    expect(errorOf(() => i.writeMessage()).reason).toBe('NOT_YOUR_TURN');
    r.readMessage(m1);
    expect(errorOf(() => r.readMessage(m1)).reason).toBe('NOT_YOUR_TURN');
    i.readMessage(r.writeMessage());
    r.readMessage(i.writeMessage());
    expect(i.handshakeHash()).toEqual(r.handshakeHash());
  });

  it('NOISE-023: a failed handshake cannot continue', () => {
    for (const pos of [0, 40, 95]) {
      const { i, r } = makePair('Noise_XX_25519_ChaChaPoly_SHA256');
      r.readMessage(i.writeMessage());
      const m2 = r.writeMessage();
      const kind = errorOf(() => i.readMessage(flip(m2, pos))).kind;
      expect(['auth_failure', 'policy_reject']).toContain(kind);
      expect(i.phase).toBe('failed');
      expect(errorOf(() => i.readMessage(m2))).toEqual({ kind: 'state_failure', reason: 'HANDSHAKE_FAILED' });
      expect(errorOf(() => i.writeMessage())).toEqual({ kind: 'state_failure', reason: 'HANDSHAKE_FAILED' });
      expect(errorOf(() => i.handshakeHash()).kind).toBe('state_failure');
    }
    const { i, r } = makePair('Noise_NN_25519_ChaChaPoly_SHA256');
    expect(errorOf(() => r.readMessage(bytes(31))).reason).toBe('SHORT_MESSAGE');
    expect(errorOf(() => r.readMessage(i.writeMessage())).reason).toBe('HANDSHAKE_FAILED');
  });

  it('NOISE-024: a prologue mismatch fails at the first encrypted message (NN: message 2, IK: message 1)', () => {
    const nn = makePair('Noise_NN_25519_ChaChaPoly_SHA256', { i: { prologue: utf8('a') }, r: { prologue: utf8('b') } });
    expect(nn.r.readMessage(nn.i.writeMessage(utf8('clear')))).toEqual(utf8('clear'));
    expect(errorOf(() => nn.i.readMessage(nn.r.writeMessage())).kind).toBe('auth_failure');
    const ik = makePair('Noise_IK_25519_AESGCM_SHA256', { i: { prologue: utf8('a') }, r: { prologue: new Uint8Array(0) } });
    expect(errorOf(() => ik.r.readMessage(ik.i.writeMessage())).kind).toBe('auth_failure');
    expect(ik.r.phase).toBe('failed');
  });

  it('NOISE-025: one-way patterns refuse responder sends and initiator reads', () => {
    for (const p of ['N', 'K', 'X', 'Npsk0', 'Xpsk1']) {
      const pair = makePair(`Noise_${p}_25519_ChaChaPoly_SHA256`);
      handshake(pair);
      expect(pair.i.isHandshakeComplete && pair.r.isHandshakeComplete).toBe(true);
      expect(pair.r.readMessage(pair.i.writeMessage(utf8('data')))).toEqual(utf8('data'));
      expect(errorOf(() => pair.r.writeMessage(utf8('no')))).toEqual({ kind: 'state_failure', reason: 'ONE_WAY' });
      expect(errorOf(() => pair.i.readMessage(bytes(20)))).toEqual({ kind: 'state_failure', reason: 'ONE_WAY' });
    }
  });

  it('NOISE-026: all 14 low-order encodings fail the handshake with policy_reject, as re and as pre-message rs, both providers', () => {
    expect(LOW_ORDER_25519.length).toBe(14);
    expect(new Set(LOW_ORDER_25519).size).toBe(14);
    for (const prov of PROVIDER_NAMES.map((n) => getProvider(n))) {
      for (const hex of LOW_ORDER_25519) {
        const point = new Uint8Array(Buffer.from(hex, 'hex'));
        // As the initiator's ephemeral in NN: the responder's ee fails.
        const nn = makePair('Noise_NN_25519_ChaChaPoly_SHA256', { provider: prov });
        nn.r.readMessage(point);
        expect(errorOf(() => nn.r.writeMessage()), hex).toEqual({ kind: 'policy_reject', reason: 'LOW_ORDER_POINT' });
        expect(nn.r.phase).toBe('failed');
        // As the responder's ephemeral in NN, read by the initiator (ee on read).
        const nn2 = makePair('Noise_NN_25519_ChaChaPoly_SHA256', { provider: prov });
        nn2.i.writeMessage();
        expect(errorOf(() => nn2.i.readMessage(concatBytes(point, bytes(16)))).kind).toBe('policy_reject');
        // As a pre-message rs in NK: the initiator's es fails.
        const nk = createNoiseChannel({ protocol: 'Noise_NK_25519_AESGCM_SHA256', initiator: true, provider: prov, remoteStaticKey: point });
        expect(errorOf(() => nk.writeMessage()).kind).toBe('policy_reject');
        expect(nk.phase).toBe('failed');
      }
    }
  });

  it('NOISE-035: exactly the keys the pattern uses are taken', () => {
    const sk = noble.x25519.generateKeyPair();
    expect(errorOf(() => createNoiseChannel({ protocol: 'Noise_XX_25519_AESGCM_SHA256', initiator: true }))).toEqual({ kind: 'decode_failure', reason: 'MISSING_KEY' });
    expect(errorOf(() => createNoiseChannel({ protocol: 'Noise_NN_25519_AESGCM_SHA256', initiator: true, staticPrivateKey: sk.privateKey })).reason).toBe('UNEXPECTED_KEY');
    expect(errorOf(() => createNoiseChannel({ protocol: 'Noise_IK_25519_AESGCM_SHA256', initiator: true, staticPrivateKey: sk.privateKey })).reason).toBe('MISSING_KEY');
    expect(errorOf(() => createNoiseChannel({ protocol: 'Noise_XX_25519_AESGCM_SHA256', initiator: true, staticPrivateKey: sk.privateKey, remoteStaticKey: sk.publicKey })).reason).toBe('UNEXPECTED_KEY');
    expect(errorOf(() => createNoiseChannel({ protocol: 'Noise_XX_25519_AESGCM_SHA256', initiator: true, staticPrivateKey: bytes(31) })).kind).toBe('decode_failure');
  });
});

describe('PSK', () => {
  it('NOISE-027: one 32-byte PSK per psk token', () => {
    expect(errorOf(() => makePair('Noise_XXpsk0+psk2_25519_AESGCM_SHA256', { psks: [bytes(32)] })).reason).toBe('PSK_COUNT');
    expect(errorOf(() => makePair('Noise_NNpsk0_25519_AESGCM_SHA256', { psks: [bytes(31)] })).kind).toBe('decode_failure');
    const ok = makePair('Noise_XXpsk0+psk2_25519_AESGCM_SHA256', { psks: [bytes(32, 1), bytes(32, 2)] });
    handshake(ok);
    expect(ok.i.handshakeHash()).toEqual(ok.r.handshakeHash());
    const differ = makePair('Noise_NNpsk0_25519_AESGCM_SHA256', { i: { psks: [bytes(32, 1)] }, r: { psks: [bytes(32, 2)] } });
    expect(errorOf(() => differ.r.readMessage(differ.i.writeMessage())).kind).toBe('auth_failure');
  });

  it('NOISE-028: in PSK handshakes every e is followed by MixKey(e): the first payload is already encrypted', () => {
    const pair = makePair('Noise_NNpsk0_25519_ChaChaPoly_SHA256');
    expect(pair.i.writeMessage(new Uint8Array(0)).length).toBe(32 + 16);
  });

  it('NOISE-029: psk0 opens the first message, pskN closes the Nth, several combine', () => {
    expect(buildPattern('XX', ['psk0', 'psk2']).messages).toEqual([['psk', 'e'], ['e', 'ee', 's', 'es', 'psk'], ['s', 'se']]);
    expect(buildPattern('IK', ['psk1']).messages[0]).toEqual(['e', 'es', 's', 'ss', 'psk']);
    expect(buildPattern('XX', ['psk3']).messages[2]).toEqual(['s', 'se', 'psk']);
    expect(errorOf(() => buildPattern('XX', ['psk4'])).kind).toBe('decode_failure');
    for (const name of BASE_PATTERN_NAMES) {
      const n = buildPattern(name, []).messages.length;
      for (let k = 0; k <= n; k++) expect(buildPattern(name, [`psk${k}`]).hasPsk).toBe(true);
    }
  });

  it('NOISE-030: patterns breaking the psk validity rule are refused', () => {
    const bad: HandshakePattern = { name: 'custom', initiatorPre: [], responderPre: ['s'], messages: [['s', 'psk'], ['e', 'ee']], oneWay: false, hasPsk: true, hfs: false };
    expect(errorOf(() => checkPskValidity(bad)).reason).toBe('PSK_VALIDITY');
    const good: HandshakePattern = { ...bad, messages: [['e', 's', 'psk'], ['e', 'ee']] };
    expect(() => checkPskValidity(good)).not.toThrow();
  });
});

describe('ephemeral keys', () => {
  it('NOISE-031: ephemerals are fresh per handshake; a fixed one only through agentsec/testing, never an option of the public API', () => {
    const a = makePair('Noise_NN_25519_ChaChaPoly_SHA256').i.writeMessage();
    const b = makePair('Noise_NN_25519_ChaChaPoly_SHA256').i.writeMessage();
    expect(a).not.toEqual(b);
    const e = bytes(32, 5);
    const fixed = () => createNoiseChannel(withFixedNoiseKeysForTestingOnly({ protocol: 'Noise_NN_25519_ChaChaPoly_SHA256', initiator: true }, { ephemeral: e })).writeMessage();
    const c = fixed();
    expect(fixed()).toEqual(c);
    expect(c).toEqual(noble.x25519.publicKey(e));
    // A plain option of that name (what the API offered before) is no way to fix it.
    const plain = { protocol: 'Noise_NN_25519_ChaChaPoly_SHA256', initiator: true, fixedEphemeralForTestingOnly: e, ephemeral: e };
    expect(createNoiseChannel(plain).writeMessage()).not.toEqual(c);
    expect(Object.keys(createNoiseChannel({ protocol: 'Noise_NN_25519_ChaChaPoly_SHA256', initiator: true }).toJSON())).not.toContain('e');
  });
});

describe('provider interop', () => {
  it('NOISE-004 NOISE-050: noble and node interoperate for IK and XX over every cipher and hash', () => {
    for (const p of ['IK', 'XX']) for (const c of CIPHER_NAMES) for (const h of NOISE_HASH_NAMES) {
      const pair = makePair(`Noise_${p}_25519_${c}_${h}`, { provider: getProvider('noble'), responderProvider: getProvider('node') });
      handshake(pair);
      expect(pair.i.handshakeHash()).toEqual(pair.r.handshakeHash());
      expect(pair.i.readMessage(pair.r.writeMessage(utf8('x')))).toEqual(utf8('x'));
    }
  });
});

describe('secrets stay out of logs', () => {
  it('NOISE-031: a channel serializes without key material', () => {
    const sk = bytes(32, 0x42);
    const ch = createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, staticPrivateKey: sk });
    const json = JSON.stringify(ch);
    expect(json).not.toContain('4242');
    expect(json).toContain('Noise_XX');
  });
});

describe('split records', () => {
  it('NOISE-019: Split returns two different keys and the records are not modified by transitions', () => {
    const f = fns('Noise_NN_25519_ChaChaPoly_SHA256');
    const s = mixKey(f, initializeSymmetric(f, utf8('n')), bytes(32));
    const before = { ...s };
    const [c1, c2] = split(f, s);
    expect(c1.k).not.toEqual(c2.k);
    encryptAndHash(f, s, utf8('p'));
    expect(s).toEqual(before);
  });
});
