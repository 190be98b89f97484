import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { decodeMessage, exportAgent, FileWatermarkStore, importAgent, MemoryWatermarkStore, SessionAgent } from '../session/index.js';
import { dec, enc, refused, seededProvider } from './session-fixtures.js';

const KEY = fromHex('1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100');

/** Wraps a provider so every AEAD seal's (key, nonce) pair is recorded. */
function recording(p: CryptoProvider): { p: CryptoProvider; pairs: string[] } {
  const pairs: string[] = [];
  const aead = p.aead.bind(p);
  return {
    pairs,
    p: { ...p, aead: (n) => ({ ...aead(n), seal: (k, nonce, pt, ad) => (pairs.push(toHex(k) + toHex(nonce)), aead(n).seal(k, nonce, pt, ad)) }) },
  };
}

function pair(seed: string, watermarks = new MemoryWatermarkStore()) {
  const base = seededProvider(seed);
  const rec = recording(base);
  const alice = SessionAgent.create(rec.p, { kind: 'x3dh', oneTimePrekeys: 1, watermarks });
  const bob = SessionAgent.create(rec.p, { kind: 'x3dh', oneTimePrekeys: 1 });
  bob.decrypt('alice', alice.initiate('bob', bob.bundle(), enc('hi')));
  alice.decrypt('bob', bob.encrypt('alice', enc('ack')));
  return { base, rec, alice, bob, watermarks };
}

describe('rollback watermark', () => {
  it('SESS-010: the watermark is advanced before the ciphertext is returned and lives outside the record', () => {
    const { alice, watermarks } = pair('wm1');
    const m = alice.encrypt('bob', enc('x'));
    const entry = alice.state.peers[0]!.current;
    const wm = watermarks.get(toHex(entry.id))!;
    expect(wm).toMatchObject({ epoch: entry.ratchet.sendEpoch, chain: toHex(entry.ratchet.dhsPublic), next: decodeMessage(m).header.n + 1 });
  });

  it('SESS-012: a restored snapshot of the same chain skips every used message number: no key reused, the peer decrypts all (crash between send and persist)', () => {
    const { base, rec, alice, bob, watermarks } = pair('wm2');
    const snapshot = exportAgent(base, alice, KEY);
    const sent = [alice.encrypt('bob', enc('s0')), alice.encrypt('bob', enc('s1'))];
    // Crash: the sends happened, the new state was never persisted. Restart from the snapshot.
    const restored = importAgent(rec.p, snapshot, KEY, { watermarks });
    const after = restored.encrypt('bob', enc('after restart'));
    expect(decodeMessage(after).header.n).toBe(decodeMessage(sent[1]!).header.n + 1);
    expect(dec(bob.decrypt('alice', after))).toBe('after restart');
    expect(dec(bob.decrypt('alice', sent[0]!))).toBe('s0');
    expect(dec(bob.decrypt('alice', sent[1]!))).toBe('s1');
    expect(new Set(rec.pairs).size).toBe(rec.pairs.length);
  });

  it('SESS-011: a snapshot older than a chain that already sent is refused (state_failure ROLLBACK_DETECTED), state unchanged', () => {
    const { base, rec, alice, bob, watermarks } = pair('wm3');
    const snapshot = exportAgent(base, alice, KEY);
    bob.decrypt('alice', alice.encrypt('bob', enc('old chain')));
    alice.decrypt('bob', bob.encrypt('alice', enc('new ratchet key')));
    alice.encrypt('bob', enc('new chain'));
    const restored = importAgent(rec.p, snapshot, KEY, { watermarks });
    expect(refused(() => restored.encrypt('bob', enc('must not send')), restored)).toMatchObject({ kind: 'state_failure', reason: 'ROLLBACK_DETECTED' });
    // Recovery: a new session.
    const fresh = restored.initiate('bob', bob.bundle(), enc('fresh session'));
    expect(dec(bob.decrypt('alice', fresh))).toBe('fresh session');
    expect(new Set(rec.pairs).size).toBe(rec.pairs.length);
  });

  it('SESS-010: the file watermark store survives a restart and never moves backwards', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-wm-')), 'watermarks.json');
    const store = new FileWatermarkStore(path);
    store.advance('s', { epoch: 2, chain: 'aa', next: 5 });
    store.advance('s', { epoch: 2, chain: 'aa', next: 3 });
    store.advance('s', { epoch: 1, chain: 'bb', next: 9 });
    expect(new FileWatermarkStore(path).get('s')).toEqual({ epoch: 2, chain: 'aa', next: 5 });
    const { base, rec, alice, bob } = pair('wm4', new FileWatermarkStore(path));
    const snapshot = exportAgent(base, alice, KEY);
    alice.encrypt('bob', enc('a'));
    const restored = importAgent(rec.p, snapshot, KEY, { watermarks: new FileWatermarkStore(path) });
    expect(dec(bob.decrypt('alice', restored.encrypt('bob', enc('b'))))).toBe('b');
    expect(new Set(rec.pairs).size).toBe(rec.pairs.length);
  });
  it('SESS-033: a snapshot rolled back on its chain closes that chain at its next DH ratchet step with PN past every number it sent, so the peer still decrypts the messages sent before the rollback', () => {
    const { base, rec, alice, bob, watermarks } = pair('wm5');
    const snapshot = exportAgent(base, alice, KEY);
    // Sent on the current chain, not yet delivered; then the state is lost and the snapshot restored.
    const inFlight = [alice.encrypt('bob', enc('m0')), alice.encrypt('bob', enc('m1')), alice.encrypt('bob', enc('m2'))];
    const restored = importAgent(rec.p, snapshot, KEY, { watermarks });
    // Bob takes the first, and answers under a new ratchet key: the restored Alice closes her chain.
    expect(dec(bob.decrypt('alice', inFlight[0]!))).toBe('m0');
    expect(dec(restored.decrypt('bob', bob.encrypt('alice', enc('new ratchet key'))))).toBe('new ratchet key');
    const next = restored.encrypt('bob', enc('new chain'));
    expect(decodeMessage(next).header.pn).toBe(decodeMessage(inFlight[2]!).header.n + 1);
    // Bob takes the new chain first, then the late messages of the closed one: none is lost.
    expect(dec(bob.decrypt('alice', next))).toBe('new chain');
    expect(inFlight.slice(1).map((m) => dec(bob.decrypt('alice', m)))).toEqual(['m1', 'm2']);
    expect(new Set(rec.pairs).size).toBe(rec.pairs.length);
  });
});
