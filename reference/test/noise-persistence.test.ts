import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  AgentsecError,
  equalBytes,
  acceptNonce,
  checkReplay,
  defaultSecurityConfig,
  EMPTY_REPLAY_WINDOW,
  FileNoiseStateStore,
  getProvider,
  MemoryNoiseStateStore,
  MemoryWatermarkStore,
  NoiseChannel,
  NoiseExplicitNonceChannel,
  NonceReservation,
  NONCE_RESERVE,
  REPLAY_WINDOW,
  sealRecord,
  encodeTransportBody,
  decodeTransportBody,
  toHex,
  type NoiseStateStore,
  type SecurityConfig,
} from '../index.js';
import { errorOf, handshake, makePair, type Pair } from './noise-helpers.js';

const KEY = new Uint8Array(32).fill(0x33);
const p = getProvider('noble');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function completed(protocol = 'Noise_XX_25519_ChaChaPoly_SHA256'): Pair {
  const pair = makePair(protocol);
  handshake(pair);
  return pair;
}

function explicitPair(reserve?: bigint): { a: NoiseExplicitNonceChannel; b: NoiseExplicitNonceChannel; sa: MemoryNoiseStateStore; sb: MemoryNoiseStateStore } {
  const pair = completed();
  const sa = new MemoryNoiseStateStore();
  const sb = new MemoryNoiseStateStore();
  const o = reserve === undefined ? {} : { reserve };
  return {
    a: NoiseExplicitNonceChannel.fromHandshake(pair.i, { store: sa, storageKey: KEY, ...o }),
    b: NoiseExplicitNonceChannel.fromHandshake(pair.r, { store: sb, storageKey: KEY, ...o }),
    sa,
    sb,
  };
}

const nonceOf = (frame: Uint8Array): bigint => new DataView(frame.buffer, frame.byteOffset, 8).getBigUint64(0, false);

describe('Noise transport records (in-order hand-over)', () => {
  for (const protocol of ['Noise_XX_25519_ChaChaPoly_SHA256', 'Noise_IK_25519_AESGCM_SHA512', 'Noise_NNpsk0_25519_ChaChaPoly_BLAKE2b', 'Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256']) {
    it(`NOISE-060 NOISE-065: ${protocol}: both parties export and import mid-conversation and continue exactly`, () => {
      const pair = completed(protocol);
      for (let k = 0; k < 3; k++) expect(pair.r.readMessage(pair.i.writeMessage(enc(`i${k}`)))).toEqual(enc(`i${k}`));
      expect(pair.i.readMessage(pair.r.writeMessage(enc('r0')))).toEqual(enc('r0'));
      const h = pair.i.handshakeHash();
      const rs = pair.i.remoteStaticKey();
      const i2 = NoiseChannel.importTransport(KEY, pair.i.exportTransport(KEY));
      const r2 = NoiseChannel.importTransport(KEY, pair.r.exportTransport(KEY));
      expect(i2.phase).toBe('transport');
      expect(i2.protocol.name).toBe(protocol);
      expect(i2.handshakeHash()).toEqual(h);
      expect(i2.remoteStaticKey()).toEqual(rs);
      expect(i2.nonce('send')).toBe(3n);
      expect(i2.nonce('recv')).toBe(1n);
      expect(r2.readMessage(i2.writeMessage(enc('after')))).toEqual(enc('after'));
      expect(i2.readMessage(r2.writeMessage(enc('back')))).toEqual(enc('back'));
      // The exporters are retired: two live copies of a sending CipherState would reuse nonces.
      expect(pair.i.phase).toBe('exported');
      expect(errorOf(() => pair.i.writeMessage(enc('x')))).toEqual({ kind: 'state_failure', reason: 'EXPORTED' });
      expect(errorOf(() => pair.r.readMessage(new Uint8Array(32)))).toEqual({ kind: 'state_failure', reason: 'EXPORTED' });
      expect(errorOf(() => pair.i.exportTransport(KEY))).toEqual({ kind: 'state_failure', reason: 'EXPORTED' });
    });
  }

  it('NOISE-060: a one-way pattern exports only the direction its role has', () => {
    const pair = completed('Noise_N_25519_ChaChaPoly_SHA256');
    const i2 = NoiseChannel.importTransport(KEY, pair.i.exportTransport(KEY));
    const r2 = NoiseChannel.importTransport(KEY, pair.r.exportTransport(KEY));
    expect(r2.readMessage(i2.writeMessage(enc('one way')))).toEqual(enc('one way'));
    expect(errorOf(() => r2.writeMessage(enc('no')))).toEqual({ kind: 'state_failure', reason: 'ONE_WAY' });
  });

  it('NOISE-060: export is refused before the handshake completes and with a bad storage key, leaving the channel usable', () => {
    const pair = makePair('Noise_NN_25519_ChaChaPoly_SHA256');
    expect(errorOf(() => pair.i.exportTransport(KEY))).toEqual({ kind: 'state_failure', reason: 'HANDSHAKE_INCOMPLETE' });
    handshake(pair);
    expect(errorOf(() => pair.i.exportTransport(new Uint8Array(16)))).toMatchObject({ kind: 'decode_failure' });
    expect(pair.r.readMessage(pair.i.writeMessage(enc('still')))).toEqual(enc('still'));
  });

  it('NOISE-060 REC-002: every flipped bit of a record is refused; a wrong storage key too', () => {
    const pair = completed('Noise_IK_25519_ChaChaPoly_SHA256');
    const rec = pair.i.exportTransport(KEY);
    for (let i = 0; i < rec.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = rec.slice();
        t[i]! ^= 1 << bit;
        const e = errorOf(() => NoiseChannel.importTransport(KEY, t));
        if (i === 0) expect(['RECORD_VERSION_TOO_OLD', 'RECORD_VERSION_TOO_NEW']).toContain(e.reason);
        else if (i === 1) expect(e).toEqual({ kind: 'decode_failure', reason: 'RECORD_TYPE' });
        else expect(e).toEqual({ kind: 'auth_failure', reason: 'RECORD_MAC' });
      }
    }
    const wrong = KEY.slice();
    wrong[31]! ^= 0x80;
    expect(errorOf(() => NoiseChannel.importTransport(wrong, rec))).toEqual({ kind: 'auth_failure', reason: 'RECORD_MAC' });
    expect(errorOf(() => NoiseChannel.importTransport(KEY, rec.subarray(0, rec.length - 1)))).toEqual({ kind: 'auth_failure', reason: 'RECORD_MAC' });
    expect(errorOf(() => NoiseChannel.importTransport(KEY, new Uint8Array(0)))).toMatchObject({ kind: 'decode_failure' });
  });

  it('NOISE-060 REC-003 REC-004: a too-old and a too-new version are different errors', () => {
    const rec = completed().i.exportTransport(KEY);
    const old = rec.slice();
    old[0] = 0;
    expect(errorOf(() => NoiseChannel.importTransport(KEY, old))).toEqual({ kind: 'state_failure', reason: 'RECORD_VERSION_TOO_OLD' });
    const fresh = rec.slice();
    fresh[0] = 2;
    expect(errorOf(() => NoiseChannel.importTransport(KEY, fresh))).toEqual({ kind: 'unsupported', reason: 'RECORD_VERSION_TOO_NEW' });
  });

  it('NOISE-060: the body is read strictly (authentic but malformed bodies are refused)', () => {
    const pair = completed();
    const snap = decodeTransportBody(encodeTransportBodyOf(pair), p);
    const good = encodeTransportBody(snap);
    const sealed = (body: Uint8Array): Uint8Array => sealRecord(p, KEY, 'noise', body);
    expect(NoiseChannel.importTransport(KEY, sealed(good)).handshakeHash()).toEqual(snap.h);
    expect(errorOf(() => NoiseChannel.importTransport(KEY, sealed(new Uint8Array([...good, 0x09, 0, 0, 0, 0]))))).toEqual({ kind: 'decode_failure', reason: 'TRAILING_BYTES' });
    expect(errorOf(() => NoiseChannel.importTransport(KEY, sealed(encodeTransportBody({ ...snap, h: snap.h.subarray(1) }))))).toEqual({ kind: 'decode_failure', reason: 'BAD_LENGTH' });
    expect(errorOf(() => NoiseChannel.importTransport(KEY, sealed(encodeTransportBody({ ...snap, transport: { send: snap.transport.send, recv: null } }))))).toEqual({ kind: 'decode_failure', reason: 'BAD_FIELD' });
    expect(errorOf(() => NoiseChannel.importTransport(KEY, sealed(good.subarray(0, good.length - 3))))).toMatchObject({ kind: 'decode_failure' });
  });

  it('NOISE-061: an in-order record is not restored as an explicit-nonce channel, nor the reverse', () => {
    const rec = completed().i.exportTransport(KEY);
    const store = new MemoryNoiseStateStore();
    store.save(rec);
    expect(errorOf(() => NoiseExplicitNonceChannel.restore({ store, storageKey: KEY }))).toEqual({ kind: 'state_failure', reason: 'RECORD_FRAMING' });
    const { sa } = explicitPair();
    expect(errorOf(() => NoiseChannel.importTransport(KEY, sa.load()!))).toEqual({ kind: 'state_failure', reason: 'RECORD_FRAMING' });
  });
});

/** An in-order body shaped like a completed pair's initiator (its own keys stand in for the real ones). */
function encodeTransportBodyOf(pair: Pair): Uint8Array {
  const ch = pair.i;
  return encodeTransportBody({
    protocol: ch.protocol,
    initiator: ch.initiator,
    h: ch.handshakeHash(),
    rs: ch.remoteStaticKey(),
    transport: { send: { k: new Uint8Array(32).fill(1), n: ch.nonce('send') }, recv: { k: new Uint8Array(32).fill(2), n: ch.nonce('recv') } },
    framing: 'in-order',
    window: EMPTY_REPLAY_WINDOW,
  });
}

describe('Explicit-nonce channel', () => {
  it('NOISE-067: a frame is u64be(n) || Noise ciphertext; a changed nonce fails authentication and changes nothing', () => {
    const { a, b } = explicitPair();
    const f0 = a.send(enc('zero'));
    const f1 = a.send(enc('one'));
    expect(nonceOf(f0)).toBe(0n);
    expect(nonceOf(f1)).toBe(1n);
    expect(f0.length).toBe(8 + 4 + 16);
    const moved = f1.slice();
    moved[7] = 0;
    expect(errorOf(() => b.receive(moved))).toEqual({ kind: 'auth_failure', reason: 'AEAD_TAG' });
    expect(b.highestReceived).toBeNull();
    expect(b.receive(f1)).toEqual(enc('one'));
    expect(b.receive(f0)).toEqual(enc('zero'));
    expect(errorOf(() => b.receive(f0.subarray(0, 23)))).toEqual({ kind: 'decode_failure', reason: 'TRUNCATED' });
    expect(a.receive(b.send(enc('back')))).toEqual(enc('back'));
  });

  it('NOISE-017 NOISE-062 NOISE-063: a recipient using SetNonce refuses replays: window boundaries (width 1024)', () => {
    const { a, b } = explicitPair();
    const frames = Array.from({ length: 2101 }, (_, i) => a.send(enc(`m${i}`)));
    expect(b.receive(frames[2000]!)).toEqual(enc('m2000'));
    // top - 1023 is the oldest nonce still inside the window; top - 1024 is outside.
    expect(b.receive(frames[2000 - (REPLAY_WINDOW - 1)]!)).toEqual(enc(`m${2000 - (REPLAY_WINDOW - 1)}`));
    expect(errorOf(() => b.receive(frames[2000 - REPLAY_WINDOW]!))).toEqual({ kind: 'state_failure', reason: 'REPLAY_TOO_OLD' });
    expect(errorOf(() => b.receive(frames[2000]!))).toEqual({ kind: 'duplicate', reason: 'REPLAY' });
    expect(errorOf(() => b.receive(frames[2000 - (REPLAY_WINDOW - 1)]!))).toEqual({ kind: 'duplicate', reason: 'REPLAY' });
    // Out of order inside the window: each accepted once.
    for (const i of [1999, 1500, 1998, 1700]) expect(b.receive(frames[i]!)).toEqual(enc(`m${i}`));
    for (const i of [1999, 1500]) expect(errorOf(() => b.receive(frames[i]!)).kind).toBe('duplicate');
    // A jump of more than the window forgets everything below it.
    expect(b.receive(frames[2100]!)).toEqual(enc('m2100'));
    expect(errorOf(() => b.receive(frames[2100 - REPLAY_WINDOW]!)).reason).toBe('REPLAY_TOO_OLD');
    expect(b.receive(frames[2100 - REPLAY_WINDOW + 1]!)).toEqual(enc(`m${2100 - REPLAY_WINDOW + 1}`));
    expect(b.highestReceived).toBe(2100n);
  });

  it('NOISE-062 NOISE-063: the window as a pure record', () => {
    let w = EMPTY_REPLAY_WINDOW;
    w = acceptNonce(w, 5n);
    expect(errorOf(() => checkReplay(w, 5n))).toEqual({ kind: 'duplicate', reason: 'REPLAY' });
    expect(() => checkReplay(w, 0n)).not.toThrow();
    const w2 = acceptNonce(w, 5n + BigInt(REPLAY_WINDOW) * 3n);
    expect(w2.seen).toBe(1n);
    expect(errorOf(() => checkReplay(w2, 5n))).toEqual({ kind: 'state_failure', reason: 'REPLAY_TOO_OLD' });
    expect(w).toEqual({ top: 5n, seen: 1n });
    const w3 = acceptNonce(acceptNonce(w, 6n), 4n);
    expect(w3).toEqual({ top: 6n, seen: 0b111n });
  });

  it('NOISE-060 NOISE-061: every flipped bit of an explicit-nonce record (with its window) is refused by restore', () => {
    const { a, b, sb } = explicitPair();
    for (let i = 0; i < 5; i++) b.receive(a.send(enc(`m${i}`)));
    const rec = sb.load()!;
    expect(rec.length).toBeGreaterThan(34 + 137);
    for (let i = 0; i < rec.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = rec.slice();
        t[i]! ^= 1 << bit;
        const store = new MemoryNoiseStateStore();
        store.save(t);
        const e = errorOf(() => NoiseExplicitNonceChannel.restore({ store, storageKey: KEY }));
        if (i >= 2) expect(e).toEqual({ kind: 'auth_failure', reason: 'RECORD_MAC' });
        else expect(['RECORD_VERSION_TOO_OLD', 'RECORD_VERSION_TOO_NEW', 'RECORD_TYPE']).toContain(e.reason);
      }
    }
    expect(NoiseExplicitNonceChannel.restore({ store: sb, storageKey: KEY }).highestReceived).toBe(4n);
  });

  it('NOISE-060: arbitrary changes to a record are refused with a typed error, never accepted', () => {
    const { sa } = explicitPair();
    const rec = sa.load()!;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat({ max: 40 }), (edits, cut) => {
        let t = rec.slice();
        for (const [pos, x] of edits) t[pos % t.length]! ^= x;
        if (cut > 20) t = t.subarray(0, t.length - (cut - 20));
        // Edits at one position can cancel out: an unchanged record must of course still load.
        fc.pre(!equalBytes(t, rec));
        const store = new MemoryNoiseStateStore();
        store.save(t);
        try {
          NoiseExplicitNonceChannel.restore({ store, storageKey: KEY });
        } catch (e) {
          expect(e).toBeInstanceOf(AgentsecError);
          return;
        }
        throw new Error('a changed record was accepted');
      }),
      { numRuns: 300, seed: 437615480 },
    );
  });

  it('NOISE-013 NOISE-062: a frame claiming nonce 2^64-1 is refused and marks nothing', () => {
    const { a, b } = explicitPair();
    const f = a.send(enc('x'));
    const forged = f.slice();
    forged.fill(0xff, 0, 8);
    expect(errorOf(() => b.receive(forged))).toEqual({ kind: 'state_failure', reason: 'NONCE_EXHAUSTED' });
    expect(b.highestReceived).toBeNull();
    expect(b.receive(f)).toEqual(enc('x'));
  });

  it('NOISE-064: the sender persists n + NONCE_RESERVE before using n and resumes there after a crash', () => {
    expect(NONCE_RESERVE).toBe(1024n);
    const { a, b, sa } = explicitPair();
    expect(a.reservedUpTo).toBe(0n);
    const f0 = a.send(enc('0'));
    expect(a.reservedUpTo).toBe(NONCE_RESERVE);
    for (let i = 1; i < 10; i++) b.receive(a.send(enc(String(i))));
    b.receive(f0);
    // Crash: the in-memory sender is gone; the store says nonces below 1024 may have been used.
    const a2 = NoiseExplicitNonceChannel.restore({ store: sa, storageKey: KEY });
    expect(a2.sendNonce).toBe(NONCE_RESERVE);
    const f = a2.send(enc('after crash'));
    expect(nonceOf(f)).toBe(NONCE_RESERVE);
    expect(a2.reservedUpTo).toBe(2n * NONCE_RESERVE);
    // The receiver accepts the jump: the nonce travels in the frame.
    expect(b.receive(f)).toEqual(enc('after crash'));
  });

  it('NOISE-064: a failing store write refuses the send and changes nothing (no seal happened)', () => {
    let fail = false;
    const inner = new MemoryNoiseStateStore();
    const store: NoiseStateStore = {
      save: (r) => {
        if (fail) throw new Error('disk full');
        inner.save(r);
      },
      load: () => inner.load(),
    };
    const pair = completed();
    const a = NoiseExplicitNonceChannel.fromHandshake(pair.i, { store, storageKey: KEY, reserve: 2n });
    const b = NoiseExplicitNonceChannel.fromHandshake(pair.r, { store: new MemoryNoiseStateStore(), storageKey: KEY });
    b.receive(a.send(enc('a')));
    b.receive(a.send(enc('b')));
    fail = true;
    expect(() => a.send(enc('c'))).toThrow('disk full');
    expect(a.sendNonce).toBe(2n);
    expect(a.reservedUpTo).toBe(2n);
    fail = false;
    const f = a.send(enc('c'));
    expect(nonceOf(f)).toBe(2n);
    expect(b.receive(f)).toEqual(enc('c'));
  });

  it('NOISE-064: NonceReservation persists before covering and caps at 2^64-1', () => {
    const persisted: bigint[] = [];
    const r = new NonceReservation(10n, (l) => persisted.push(l), 5n);
    r.cover(9n);
    expect(persisted).toEqual([]);
    r.cover(10n);
    expect(persisted).toEqual([15n]);
    r.cover(14n);
    expect(persisted).toEqual([15n]);
    const failing = new NonceReservation(0n, () => {
      throw new Error('no');
    });
    expect(() => failing.cover(0n)).toThrow('no');
    expect(failing.limit).toBe(0n);
    const top = new NonceReservation(0xfffffffffffffff0n, (l) => persisted.push(l), 1024n);
    top.cover(0xfffffffffffffff0n);
    expect(top.limit).toBe(0xffffffffffffffffn);
    expect(errorOf(() => new NonceReservation(0n, 1 as never))).toEqual({ kind: 'policy_reject', reason: 'PERSISTENCE_REQUIRED' });
    expect(errorOf(() => new NonceReservation(0n, () => undefined, 0n))).toMatchObject({ kind: 'decode_failure' });
  });

  it('NOISE-071: with a watermark store, a record restored from an older copy resumes past the watermark', () => {
    const pair = completed();
    const store = new MemoryNoiseStateStore();
    const watermarks = new MemoryWatermarkStore();
    const opts = { store, storageKey: KEY, reserve: 4n, watermarks, sessionId: 'peer-b' };
    const a = NoiseExplicitNonceChannel.fromHandshake(pair.i, opts);
    const b = NoiseExplicitNonceChannel.fromHandshake(pair.r, { store: new MemoryNoiseStateStore(), storageKey: KEY });
    b.receive(a.send(enc('0')));
    const backup = store.load()!; // reserved up to 4
    for (let i = 1; i < 10; i++) b.receive(a.send(enc(String(i))));
    expect(a.reservedUpTo).toBe(12n);
    // The store is rolled back (a backup restored); the watermark, kept apart, is not.
    store.save(backup);
    const a2 = NoiseExplicitNonceChannel.restore(opts);
    expect(a2.sendNonce).toBe(12n);
    expect(b.receive(a2.send(enc('after rollback')))).toEqual(enc('after rollback'));
    // Without the guard the same rollback would reuse nonce 4 (what the guard exists for).
    store.save(backup);
    expect(NoiseExplicitNonceChannel.restore({ store, storageKey: KEY }).sendNonce).toBe(4n);
    // A watermark id belongs to one session.
    const other = completed();
    expect(errorOf(() => NoiseExplicitNonceChannel.fromHandshake(other.i, { ...opts, store: new MemoryNoiseStateStore() }))).toEqual({ kind: 'state_failure', reason: 'WATERMARK_SESSION' });
    expect(other.i.phase).toBe('transport');
    const otherStore = new MemoryNoiseStateStore();
    NoiseExplicitNonceChannel.fromHandshake(other.i, { store: otherStore, storageKey: KEY });
    expect(errorOf(() => NoiseExplicitNonceChannel.restore({ ...opts, store: otherStore }))).toEqual({ kind: 'state_failure', reason: 'WATERMARK_SESSION' });
    expect(errorOf(() => NoiseExplicitNonceChannel.restore({ store, storageKey: KEY, watermarks }))).toMatchObject({ kind: 'decode_failure', reason: 'BAD_PARAM' });
  });

  it('NOISE-068: the receiver stores its window before delivering: a replay after a restart is still refused', () => {
    const { a, b, sb } = explicitPair();
    const f = a.send(enc('once'));
    expect(b.receive(f)).toEqual(enc('once'));
    const b2 = NoiseExplicitNonceChannel.restore({ store: sb, storageKey: KEY });
    expect(errorOf(() => b2.receive(f))).toEqual({ kind: 'duplicate', reason: 'REPLAY' });
    // A receiver whose write fails does not deliver, and the frame is accepted later.
    const pair = completed();
    let fail = false;
    const inner = new MemoryNoiseStateStore();
    const x = NoiseExplicitNonceChannel.fromHandshake(pair.i, { store: new MemoryNoiseStateStore(), storageKey: KEY });
    const y = NoiseExplicitNonceChannel.fromHandshake(pair.r, {
      store: {
        save: (r) => {
          if (fail) throw new Error('crash');
          inner.save(r);
        },
        load: () => inner.load(),
      },
      storageKey: KEY,
    });
    const g = x.send(enc('later'));
    fail = true;
    expect(() => y.receive(g)).toThrow('crash');
    expect(y.highestReceived).toBeNull();
    fail = false;
    expect(y.receive(g)).toEqual(enc('later'));
  });

  it('NOISE-066 CONFIG-005: a persistent channel needs a store; a config without persistence is refused', () => {
    const pair = completed();
    expect(errorOf(() => NoiseExplicitNonceChannel.fromHandshake(pair.i, { storageKey: KEY } as never))).toEqual({ kind: 'policy_reject', reason: 'PERSISTENCE_REQUIRED' });
    const none: SecurityConfig = { ...defaultSecurityConfig, encryption: { ...defaultSecurityConfig.encryption, nonceStrategy: 'random-12-byte', ratchetPersistence: 'none' } };
    expect(errorOf(() => NoiseExplicitNonceChannel.fromHandshake(pair.i, { store: new MemoryNoiseStateStore(), storageKey: KEY, config: none }))).toEqual({
      kind: 'policy_reject',
      reason: 'PERSISTENCE_REQUIRED',
    });
    expect(errorOf(() => NoiseExplicitNonceChannel.restore({ store: new MemoryNoiseStateStore(), storageKey: KEY }))).toEqual({ kind: 'state_failure', reason: 'NO_RECORD' });
    // A store that fails the first write leaves the handshake channel usable.
    const broken: NoiseStateStore = {
      save: () => {
        throw new Error('read-only');
      },
      load: () => undefined,
    };
    expect(() => NoiseExplicitNonceChannel.fromHandshake(pair.i, { store: broken, storageKey: KEY, config: defaultSecurityConfig })).toThrow('read-only');
    expect(pair.i.phase).toBe('transport');
    expect(pair.r.readMessage(pair.i.writeMessage(enc('ok')))).toEqual(enc('ok'));
    const ch = NoiseExplicitNonceChannel.fromHandshake(pair.i, { store: new MemoryNoiseStateStore(), storageKey: KEY, config: defaultSecurityConfig });
    expect(ch.sendNonce).toBe(1n);
    expect(pair.i.phase).toBe('exported');
  });

  it('NOISE-069: keys, the storage key and plaintext never appear in inspect, JSON or errors', () => {
    const pair = completed();
    const storageKey = new Uint8Array(32).fill(0xab);
    const rec = pair.i.exportTransport(storageKey);
    const i2 = NoiseChannel.importTransport(storageKey, rec);
    const store = new MemoryNoiseStateStore();
    const ch = NoiseExplicitNonceChannel.fromHandshake(i2, { store, storageKey });
    const secret = enc('top secret payload');
    const frame = ch.send(secret);
    const texts = [inspect(ch), JSON.stringify(ch), inspect(i2), JSON.stringify(i2)];
    for (const bad of [frame.slice(), frame.subarray(0, 30)]) {
      bad[bad.length - 1]! ^= 1;
      try {
        ch.receive(bad);
      } catch (e) {
        texts.push(String(e), JSON.stringify(e), inspect(e));
      }
    }
    try {
      NoiseExplicitNonceChannel.restore({ store, storageKey: new Uint8Array(32) });
    } catch (e) {
      texts.push(String(e), JSON.stringify(e));
    }
    const all = texts.join('\n');
    expect(texts.length).toBeGreaterThan(6);
    expect(all).not.toContain(toHex(storageKey));
    expect(all).not.toContain('top secret');
    expect(all).not.toMatch(/[0-9a-f]{64}/);
    expect(all).toContain('NoiseExplicitNonceChannel(Noise_XX_25519_ChaChaPoly_SHA256');
  });

  it('NOISE-064 REC-006: the file store survives a restart: atomic replacement, mode 0600, no temp files left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-noise-'));
    try {
      const path = join(dir, 'peer.noise');
      const pair = completed();
      const a = NoiseExplicitNonceChannel.fromHandshake(pair.i, { store: new FileNoiseStateStore(path), storageKey: KEY, reserve: 4n });
      const b = NoiseExplicitNonceChannel.fromHandshake(pair.r, { store: new MemoryNoiseStateStore(), storageKey: KEY });
      for (let i = 0; i < 6; i++) b.receive(a.send(enc(`m${i}`)));
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual(['peer.noise']);
      const a2 = NoiseExplicitNonceChannel.restore({ store: new FileNoiseStateStore(path), storageKey: KEY, reserve: 4n });
      expect(a2.sendNonce).toBe(8n);
      expect(b.receive(a2.send(enc('after restart')))).toEqual(enc('after restart'));
      expect(new FileNoiseStateStore(join(dir, 'missing')).load()).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
