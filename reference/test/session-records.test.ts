import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { exportAgent, FileRecordStore, importAgent, openRecord, RECORD_VERSION, SessionAgent, softwareIdentity } from '../session/index.js';
import { writeFileAtomicSync } from '../atomic-file.js';
import { dec, enc, establishedPair, seededProvider } from './session-fixtures.js';
import { REPO_ROOT } from '../../vectors/external.js';

const KEY = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

function err(f: () => unknown): AgentsecError {
  try {
    f();
  } catch (e) {
    if (e instanceof AgentsecError) return e;
    throw e;
  }
  throw new Error('expected an AgentsecError');
}

describe('session records', () => {
  it('REC-001 REC-007: an agent record is version || type || salt || AEAD(body); the same state exports to the same bytes', () => {
    const { p, alice } = establishedPair('rec1', 'x3dh');
    const r1 = exportAgent(p, alice, KEY);
    expect(r1[0]).toBe(RECORD_VERSION);
    expect(r1[1]).toBe(0x01);
    expect(toHex(exportAgent(p, alice, KEY))).toBe(toHex(r1));
    alice.encrypt('bob', enc('changes the state'));
    expect(toHex(exportAgent(p, alice, KEY))).not.toBe(toHex(r1));
    // The body is encrypted: no private key appears in the record.
    const priv = alice.identity.exportPrivate!();
    expect(toHex(r1).includes(toHex(priv.signingPrivate))).toBe(false);
  });

  it('REC-002: any modified byte or a wrong storage key is refused (auth_failure RECORD_MAC), versions and type aside', () => {
    const p = seededProvider('rec2');
    const agent = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 });
    const rec = exportAgent(p, agent, KEY);
    for (let i = 2; i < rec.length; i++) {
      const t = rec.slice();
      t[i]! ^= 0x01;
      expect(err(() => importAgent(p, t, KEY))).toMatchObject({ kind: 'auth_failure', reason: 'RECORD_MAC' });
    }
    const wrong = KEY.slice();
    wrong[0]! ^= 1;
    expect(err(() => importAgent(p, rec, wrong))).toMatchObject({ kind: 'auth_failure', reason: 'RECORD_MAC' });
    const typed = rec.slice();
    typed[1] = 0x02;
    expect(err(() => importAgent(p, typed, KEY))).toMatchObject({ kind: 'decode_failure', reason: 'RECORD_TYPE' });
    expect(err(() => importAgent(p, rec.subarray(0, 40), KEY))).toMatchObject({ kind: 'decode_failure' });
  });

  it('REC-003 REC-004: a too-old and a too-new version give different errors', () => {
    const p = seededProvider('rec3');
    const rec = exportAgent(p, SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 }), KEY);
    const old = rec.slice();
    old[0] = 0;
    const newer = rec.slice();
    newer[0] = RECORD_VERSION + 1;
    const eOld = err(() => openRecord(p, KEY, 'agent', old));
    const eNew = err(() => openRecord(p, KEY, 'agent', newer));
    expect(eOld).toMatchObject({ kind: 'state_failure', reason: 'RECORD_VERSION_TOO_OLD' });
    expect(eNew).toMatchObject({ kind: 'unsupported', reason: 'RECORD_VERSION_TOO_NEW' });
  });

  it('REC-005: the golden version-1 record still imports, re-exports byte-identically and decrypts its queued message', () => {
    const v = JSON.parse(readFileSync(join(REPO_ROOT, 'vectors/records/agent-v1.json'), 'utf8')) as {
      storage_key: string;
      record: string;
      peer: string;
      queued_message: string;
      queued_plaintext: string;
    };
    const p = seededProvider('golden-import');
    const agent = importAgent(p, fromHex(v.record), fromHex(v.storage_key));
    expect(toHex(exportAgent(p, agent, fromHex(v.storage_key)))).toBe(v.record);
    expect(dec(agent.decrypt(v.peer, fromHex(v.queued_message)))).toBe(v.queued_plaintext);
  });

  it('SESS-008: restore continues both directions; messages queued while offline decrypt after restore in any order', () => {
    const { p, alice, bob } = establishedPair('rec5', 'pqxdh');
    alice.decrypt('bob', bob.encrypt('alice', enc('warm-up')));
    const bobRecord = exportAgent(p, bob, KEY);
    const queued = Array.from({ length: 12 }, (_, i) => ({ i, m: alice.encrypt('bob', enc(`q${i}`)) }));
    const bob2 = importAgent(p, bobRecord, KEY, { watermarks: bob.watermarks });
    const order = [7, 2, 11, 0, 5, 9, 1, 3, 10, 4, 8, 6];
    for (const i of order) expect(dec(bob2.decrypt('alice', queued[i]!.m))).toBe(`q${i}`);
    expect(dec(alice.decrypt('bob', bob2.encrypt('alice', enc('back'))))).toBe('back');
    const alice2 = importAgent(p, exportAgent(p, alice, KEY), KEY, { watermarks: alice.watermarks });
    expect(dec(bob2.decrypt('alice', alice2.encrypt('bob', enc('again'))))).toBe('again');
    expect(dec(alice2.decrypt('bob', bob2.encrypt('alice', enc('and back'))))).toBe('and back');
  });

  it('REC-006: records are written atomically (temp file, fsync, rename): no temp file remains, a reader sees old or new', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-rec-'));
    const store = new FileRecordStore(dir);
    const p = seededProvider('rec6');
    const agent = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 });
    store.save('alice.rec', exportAgent(p, agent, KEY));
    const first = store.load('alice.rec')!;
    agent.bundle();
    store.save('alice.rec', exportAgent(p, agent, KEY));
    expect(toHex(store.load('alice.rec')!)).toBe(toHex(exportAgent(p, agent, KEY)));
    expect(toHex(first)).not.toBe(toHex(store.load('alice.rec')!));
    expect(readdirSync(dir)).toEqual(['alice.rec']);
    // A crash mid-write leaves a stray temp file; the record itself is intact.
    writeFileSync(join(dir, '.alice.rec.1.dead.tmp'), 'partial');
    expect(importAgent(p, store.load('alice.rec')!, KEY).state.prekeys.oneTimeCursor).toBe(agent.state.prekeys.oneTimeCursor);
    expect(store.load('missing')).toBeUndefined();
    expect(() => store.save('../escape', new Uint8Array(1))).toThrow(/record name/);
    writeFileAtomicSync(join(dir, 'raw'), new Uint8Array([1, 2, 3]));
    expect([...readFileSync(join(dir, 'raw'))]).toEqual([1, 2, 3]);
    // exclusive: an existing file is refused and left as it was, and no temp file remains.
    expect(() => writeFileAtomicSync(join(dir, 'raw'), new Uint8Array([9]), { exclusive: true })).toThrow(expect.objectContaining({ reason: 'FILE_EXISTS' }));
    expect([...readFileSync(join(dir, 'raw'))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') && !f.includes('dead'))).toEqual([]);
  });

  it('SESS-001: a key-store identity is recorded by its public keys only and must be supplied at import', () => {
    const p = seededProvider('rec7');
    const soft = softwareIdentity(p);
    const { exportPrivate: _drop, ...held } = soft;
    const agent = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0, identity: held });
    const rec = exportAgent(p, agent, KEY);
    expect(err(() => importAgent(p, rec, KEY))).toMatchObject({ kind: 'state_failure', reason: 'IDENTITY_REQUIRED' });
    expect(err(() => importAgent(p, rec, KEY, { identity: softwareIdentity(p) }))).toMatchObject({ reason: 'IDENTITY_MISMATCH' });
    expect(toHex(importAgent(p, rec, KEY, { identity: held }).identity.signingPublic)).toBe(toHex(soft.signingPublic));
  });

  it('SESS-013: agents and identities print no key material', () => {
    const { alice } = establishedPair('rec8', 'x3dh');
    const priv = alice.identity.exportPrivate!();
    const shown = JSON.stringify({ alice, id: alice.identity }) + inspect(alice) + inspect(alice.identity);
    expect(shown).not.toContain(toHex(priv.signingPrivate));
    expect(shown).not.toContain(toHex(priv.agreementPrivate));
    expect(shown).toContain('SessionAgent(x3dh');
  });
});
