import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes, toHex, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import type { AgentsecError } from '../errors.js';
import {
  decodeMessage,
  encodeRatchetState,
  HEADER_LENGTH,
  initAlice,
  initBob,
  kdfChain,
  kdfRoot,
  MAX_OLD_CHAINS,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  messageKeys,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetState,
} from '../session/index.js';
import { seededProvider } from './session-fixtures.js';

/** A raw ratchet pair sharing SK, as after X3DH. */
function raw(p: CryptoProvider, aead: 'AES-256-GCM' | 'ChaCha20-Poly1305' = 'AES-256-GCM'): { a: RatchetState; b: RatchetState } {
  const sk = p.randomBytes(32);
  const ad = p.randomBytes(132);
  const spk = p.x25519.generateKeyPair();
  return { a: initAlice(p, sk, ad, spk.publicKey, aead), b: initBob(sk, ad, spk, aead) };
}

class Party {
  constructor(
    private readonly p: CryptoProvider,
    public s: RatchetState,
  ) {}
  send(text: string): Uint8Array {
    const r = ratchetEncrypt(this.p, this.s, utf8(text));
    this.s = r.state;
    return r.message;
  }
  recv(m: Uint8Array): string {
    const r = ratchetDecrypt(this.p, this.s, m);
    if (!r.ok) throw r.error;
    this.s = r.state;
    return new TextDecoder().decode(r.plaintext);
  }
  /** Decrypt expected to fail: returns the error and checks the state stayed byte-identical. */
  refuse(m: Uint8Array): AgentsecError {
    const before = encodeRatchetState(this.s);
    const r = ratchetDecrypt(this.p, this.s, m);
    expect(r.ok).toBe(false);
    expect(toHex(encodeRatchetState(this.s))).toBe(toHex(before));
    return (r as { error: AgentsecError }).error;
  }
}

function parties(seed: number, aead: 'AES-256-GCM' | 'ChaCha20-Poly1305' = 'AES-256-GCM'): { p: CryptoProvider; alice: Party; bob: Party } {
  const p = seededProvider(seed);
  const { a, b } = raw(p, aead);
  return { p, alice: new Party(p, a), bob: new Party(p, b) };
}

describe('Double Ratchet KDFs', () => {
  const p = seededProvider('kdf');
  it('DR-001: KDF_RK is HKDF-SHA256 with salt = rk and the profile info, split 32 || 32', () => {
    const rk = p.randomBytes(32);
    const dh = p.randomBytes(32);
    const okm = p.hkdf('SHA-256', dh, rk, utf8('agentsec/1 DR root'), 64);
    const out = kdfRoot(p, rk, dh);
    expect(toHex(out.rk)).toBe(toHex(okm.slice(0, 32)));
    expect(toHex(out.ck)).toBe(toHex(okm.slice(32)));
  });
  it('DR-002: KDF_CK is HMAC-SHA256 with 0x01 (message key) and 0x02 (next chain key)', () => {
    const ck = p.randomBytes(32);
    const out = kdfChain(p, ck);
    expect(toHex(out.mk)).toBe(toHex(p.hmac('SHA-256', ck, new Uint8Array([1]))));
    expect(toHex(out.ck)).toBe(toHex(p.hmac('SHA-256', ck, new Uint8Array([2]))));
  });
  it('DR-003: the AEAD key and nonce come from HKDF(mk) with the AEAD name in the info', () => {
    const mk = p.randomBytes(32);
    for (const aead of ['AES-256-GCM', 'ChaCha20-Poly1305'] as const) {
      const okm = p.hkdf('SHA-256', mk, new Uint8Array(32), utf8(`agentsec/1 DR message ${aead}`), 44);
      const k = messageKeys(p, mk, aead);
      expect(toHex(k.key)).toBe(toHex(okm.slice(0, 32)));
      expect(toHex(k.nonce)).toBe(toHex(okm.slice(32)));
    }
    expect(toHex(messageKeys(p, mk, 'AES-256-GCM').key)).not.toBe(toHex(messageKeys(p, mk, 'ChaCha20-Poly1305').key));
  });
  it('DR-004 DR-005 DR-015: a message is version || type || EncodeEC(dh) || PN || N || AEAD(mk, pt, lp(AD) || header)', () => {
    const { p: q, alice } = parties(3);
    const s0 = alice.s;
    const m = alice.send('x');
    expect(m[0]).toBe(1);
    expect(m[1]).toBe(2);
    expect(m[2]).toBe(0x01);
    expect(toHex(m.subarray(3, 35))).toBe(toHex(s0.dhsPublic));
    const { header, headerBytes, ciphertext } = decodeMessage(m);
    expect(header).toMatchObject({ pn: 0, n: 0 });
    expect(headerBytes.length).toBe(HEADER_LENGTH);
    const mk = kdfChain(q, s0.cks!).mk;
    const { key, nonce } = messageKeys(q, mk, 'AES-256-GCM');
    const ad = concatBytes(new Uint8Array([0, 0, 0, s0.ad.length]), s0.ad, headerBytes);
    expect(new TextDecoder().decode(q.aead('AES-256-GCM').open(key, nonce, ciphertext, ad))).toBe('x');
  });
});

describe('Double Ratchet sessions', () => {
  it('DR-006: in-order, out-of-order and ping-pong traffic decrypts with both AEADs', () => {
    for (const aead of ['AES-256-GCM', 'ChaCha20-Poly1305'] as const) {
      const { alice, bob } = parties(4, aead);
      const ms = [alice.send('a0'), alice.send('a1'), alice.send('a2')];
      expect(bob.recv(ms[2]!)).toBe('a2');
      expect(bob.recv(ms[0]!)).toBe('a0');
      const b0 = bob.send('b0');
      expect(alice.recv(b0)).toBe('b0');
      const a3 = alice.send('a3');
      expect(bob.recv(ms[1]!)).toBe('a1');
      expect(bob.recv(a3)).toBe('a3');
      expect(alice.recv(bob.send('b1'))).toBe('b1');
    }
  });

  it('DR-007: a gap of exactly MAX_SKIP is accepted, MAX_SKIP + 1 is refused (policy_reject) with the state unchanged', () => {
    const { alice, bob } = parties(5);
    expect(bob.recv(alice.send('first'))).toBe('first');
    const ms: Uint8Array[] = [];
    for (let i = 0; i < MAX_SKIP + 2; i++) ms.push(alice.send(`m${i}`));
    // bob.nr = 1: message index MAX_SKIP + 1 skips exactly MAX_SKIP keys (1..MAX_SKIP); the next one skips one more.
    const tooFar = ms[MAX_SKIP + 1]!;
    const err = bob.refuse(tooFar);
    expect(err).toMatchObject({ kind: 'policy_reject', reason: 'MAX_SKIP' });
    expect(bob.recv(ms[MAX_SKIP]!)).toBe(`m${MAX_SKIP}`);
    expect(bob.recv(ms[0]!)).toBe('m0');
    expect(bob.recv(tooFar)).toBe(`m${MAX_SKIP + 1}`);
  });

  it('DR-007: on a new ratchet key, PN and N are each limited by MAX_SKIP before any DH', () => {
    const { alice, bob } = parties(6);
    expect(bob.recv(alice.send('a'))).toBe('a');
    const far: Uint8Array[] = [];
    for (let i = 0; i < MAX_SKIP + 2; i++) far.push(bob.send(`b${i}`));
    // First message of a new chain with N = MAX_SKIP + 1 would skip MAX_SKIP + 1 keys.
    expect(alice.refuse(far[MAX_SKIP + 1]!)).toMatchObject({ kind: 'policy_reject', reason: 'MAX_SKIP' });
    expect(alice.recv(far[MAX_SKIP]!)).toBe(`b${MAX_SKIP}`);
    // PN: Bob's next chain reports PN = MAX_SKIP + 2 while Alice has N_r = 1: the old chain would skip MAX_SKIP + 1.
    const { alice: a2, bob: b2 } = parties(61);
    b2.recv(a2.send('a'));
    a2.recv(b2.send('seen'));
    for (let i = 0; i < MAX_SKIP + 1; i++) b2.send(`lost${i}`);
    const next = a2.send('a2');
    b2.recv(next);
    const b2m = b2.send('after-step');
    expect(decodeMessage(b2m).header.pn).toBe(MAX_SKIP + 2);
    expect(a2.refuse(b2m)).toMatchObject({ kind: 'policy_reject', reason: 'MAX_SKIP' });
  });

  it('DR-008: tampered MAC, forged header key, huge N, low-order key and truncation leave the state byte-identical; the genuine message decrypts after', () => {
    const { alice, bob } = parties(7);
    expect(bob.recv(alice.send('a0'))).toBe('a0');
    alice.recv(bob.send('b0'));
    const genuine = alice.send('genuine');
    const flipped = genuine.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(bob.refuse(flipped)).toMatchObject({ kind: 'auth_failure' });
    const forgedDh = genuine.slice();
    forgedDh.set(seededProvider('forge').x25519.generateKeyPair().publicKey, 3);
    expect(bob.refuse(forgedDh)).toMatchObject({ kind: 'auth_failure' });
    const hugeN = genuine.slice();
    new DataView(hugeN.buffer).setUint32(39, 0xfffffff0);
    expect(bob.refuse(hugeN)).toMatchObject({ kind: 'policy_reject', reason: 'MAX_SKIP' });
    const lowOrder = genuine.slice();
    lowOrder.set(new Uint8Array(32), 3);
    expect(bob.refuse(lowOrder).kind).toMatch(/policy_reject|auth_failure/);
    expect(bob.refuse(genuine.subarray(0, 50)).kind).toBe('decode_failure');
    for (let i = 0; i < genuine.length; i += 7) {
      const t = genuine.slice();
      t[i]! ^= 0x80;
      bob.refuse(t);
    }
    expect(bob.recv(genuine)).toBe('genuine');
  });

  it('DR-009 DR-010: a used key is deleted (duplicate), never decrypts twice; errors are distinct', () => {
    const { alice, bob } = parties(8);
    const m0 = alice.send('m0');
    const m1 = alice.send('m1');
    expect(bob.recv(m1)).toBe('m1');
    expect(bob.recv(m0)).toBe('m0');
    expect(bob.refuse(m0)).toMatchObject({ kind: 'duplicate' });
    expect(bob.refuse(m1)).toMatchObject({ kind: 'duplicate' });
    const t = alice.send('m2');
    t[t.length - 1]! ^= 1;
    expect(bob.refuse(t)).toMatchObject({ kind: 'auth_failure' });
  });

  it('DR-010 DR-011: beyond MAX_SKIPPED_KEYS the oldest keys are evicted first and their messages report SKIPPED_KEY_EVICTED', () => {
    const { alice, bob } = parties(9);
    expect(bob.recv(alice.send('start'))).toBe('start');
    const held: Uint8Array[] = [];
    // Three chains of 900 skipped messages each: 2700 > MAX_SKIPPED_KEYS.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 900; i++) held.push(alice.send(`r${round}-${i}`));
      expect(bob.recv(alice.send(`r${round}-last`))).toBe(`r${round}-last`);
      alice.recv(bob.send(`ack${round}`));
    }
    expect(bob.s.skip.skipped.length).toBe(MAX_SKIPPED_KEYS);
    const evicted = MAX_SKIPPED_KEYS < 2700 ? 2700 - MAX_SKIPPED_KEYS : 0;
    expect(bob.refuse(held[0]!)).toMatchObject({ kind: 'state_failure', reason: 'SKIPPED_KEY_EVICTED' });
    expect(bob.refuse(held[evicted - 1]!)).toMatchObject({ kind: 'state_failure', reason: 'SKIPPED_KEY_EVICTED' });
    expect(bob.recv(held[evicted]!)).toBe(`r${Math.floor(evicted / 900)}-${evicted % 900}`);
    expect(bob.refuse(held[evicted]!)).toMatchObject({ kind: 'duplicate' });
    expect(bob.recv(held[held.length - 1]!)).toBe('r2-899');
  });

  it(`DR-012: old receiving chains are remembered (at most ${MAX_OLD_CHAINS}); their skipped keys go with them`, () => {
    const { alice, bob } = parties(10);
    const late = alice.send('late');
    expect(bob.recv(alice.send('next'))).toBe('next');
    for (let i = 0; i < MAX_OLD_CHAINS + 2; i++) {
      alice.recv(bob.send(`b${i}`));
      bob.recv(alice.send(`a${i}`));
    }
    expect(bob.s.skip.oldChains.length).toBe(MAX_OLD_CHAINS);
    expect(bob.s.skip.skipped.length).toBe(0);
    expect(bob.refuse(late).kind).toBe('auth_failure');
    const { alice: a2, bob: b2 } = parties(11);
    const late2 = a2.send('late');
    b2.recv(a2.send('next'));
    a2.recv(b2.send('b'));
    b2.recv(a2.send('a'));
    expect(b2.s.skip.oldChains.length).toBe(1);
    expect(b2.recv(late2)).toBe('late');
    expect(b2.refuse(late2)).toMatchObject({ kind: 'duplicate' });
  });

  it('DR-016: every message key is distinct across chains (no (key, nonce) reuse in a long conversation)', () => {
    const { p, alice, bob } = parties(12);
    const seen = new Set<string>();
    const orig = p.aead.bind(p);
    const recording: CryptoProvider = {
      ...p,
      aead: (n) => {
        const a = orig(n);
        return { ...a, seal: (k, nonce, pt, ad) => (seen.add(toHex(k) + toHex(nonce)), a.seal(k, nonce, pt, ad)) };
      },
    };
    const A = new Party(recording, alice.s);
    const B = new Party(recording, bob.s);
    let count = 0;
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < (i % 4) + 1; j++, count++) B.recv(A.send(`a${i}.${j}`));
      for (let j = 0; j < (i % 3) + 1; j++, count++) A.recv(B.send(`b${i}.${j}`));
    }
    expect(seen.size).toBe(count);
    expect(equalBytes(A.s.rk, B.s.rk)).toBe(false);
  });
});
