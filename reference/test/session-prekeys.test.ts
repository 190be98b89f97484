/** Signed prekey rotation with a grace period, one-time prekey replenishment, and agents configured by a SecurityConfig. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../vectors/external.js';
import { fromHex, toHex } from '../bytes.js';
import { defaultSecurityConfig, parseSecurityConfig, type SecurityConfig } from '../config/index.js';
import { AgentsecError } from '../errors.js';
import { SoftwareKeyStore } from '../identity/index.js';
import {
  agentOptionsFromConfig,
  decodeBundle,
  decodeInitial,
  exportAgent,
  importAgent,
  keyStoreIdentity,
  MAX_PREVIOUS_SIGNED_PREKEYS,
  MAX_SKIP,
  SessionAgent,
  SIGNED_PREKEY_GRACE_MS,
} from '../session/index.js';
import { dec, enc, refused, seededProvider, snapshot } from './session-fixtures.js';

const KEY = new Uint8Array(32).fill(7);
const DAY = 24 * 60 * 60 * 1000;
const T0 = 1_800_000_000_000;

/** An agent whose clock is a variable the test moves. */
function clocked(seed: string, kind: 'x3dh' | 'pqxdh' = 'x3dh', oneTimePrekeys = 3): { bob: SessionAgent; time: { now: number } } {
  const time = { now: T0 };
  const bob = SessionAgent.create(seededProvider(seed), { kind, oneTimePrekeys, clock: () => time.now });
  return { bob, time };
}

function spkId(p: ReturnType<typeof seededProvider>, bundle: Uint8Array): number {
  return decodeBundle(p, bundle).signedPrekey.id;
}

describe('signed prekey rotation', () => {
  it('X3DH-016: a rotated agent hands out the new signed prekey; an initial message on the previous one decrypts within the grace period', () => {
    const p = seededProvider('rot-1');
    const { bob, time } = clocked('rot-1b');
    const oldBundle = bob.bundle();
    const oldId = bob.prekeyStatus().signedPrekeyId;
    expect(spkId(p, oldBundle)).toBe(oldId);
    bob.rotateSignedPrekey();
    const st = bob.prekeyStatus();
    expect(st.signedPrekeyId).not.toBe(oldId);
    expect(st.previousSignedPrekeys).toEqual([{ id: oldId, retiredAt: T0 }]);
    const newBundle = bob.bundle();
    expect(spkId(p, newBundle)).toBe(st.signedPrekeyId);

    time.now = T0 + SIGNED_PREKEY_GRACE_MS - 1;
    bob.prune();
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    expect(dec(bob.decrypt('alice', alice.initiate('bob', oldBundle, enc('late but in time'))))).toBe('late but in time');
    const carol = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    expect(dec(bob.decrypt('carol', carol.initiate('bob', newBundle, enc('on the new key'))))).toBe('on the new key');
    // Both sessions continue in both directions.
    expect(dec(alice.decrypt('bob', bob.encrypt('alice', enc('reply'))))).toBe('reply');
  });

  it('X3DH-017 X3DH-018: after the grace period prune deletes the old key; its initial messages are refused with state unchanged', () => {
    const p = seededProvider('rot-2');
    const { bob, time } = clocked('rot-2b');
    const oldBundle = bob.bundle();
    bob.rotateSignedPrekey();
    time.now = T0 + SIGNED_PREKEY_GRACE_MS;
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const m = alice.initiate('bob', oldBundle, enc('too late'));
    // Past the grace period but not pruned yet: already refused.
    expect(bob.prekeyStatus().previousSignedPrekeys).toHaveLength(1);
    const e1 = refused(() => bob.decrypt('alice', m), bob);
    expect([e1.kind, e1.reason]).toEqual(['state_failure', 'SIGNED_PREKEY_RETIRED']);
    const before = snapshot(bob);
    bob.prune();
    expect(bob.prekeyStatus().previousSignedPrekeys).toEqual([]);
    expect(snapshot(bob)).not.toBe(before);
    const e2 = refused(() => bob.decrypt('alice', m), bob);
    expect([e2.kind, e2.reason]).toEqual(['state_failure', 'SIGNED_PREKEY_RETIRED']);
    expect(e2.message).toMatch(/fetch a fresh bundle/);
    // The one-time prekey that message named was not consumed: it is still held.
    expect(bob.prekeyStatus().oneTimeHeld).toBe(3);
  });

  it('X3DH-016 X3DH-017 PQXDH-005: a PQXDH agent replaces its last-resort PQ prekey with the signed prekey; the old one works through the grace period and the record', () => {
    const p = seededProvider('rot-pq');
    const { bob, time } = clocked('rot-pq-b', 'pqxdh', 0);
    const oldReusable = bob.reusableBundle();
    const oldLast = decodeBundle(p, oldReusable).pqPrekey!;
    expect(oldLast.kind).toBe('lastResort');
    expect(bob.prekeyStatus().pqLastResortId).toBe(oldLast.id);
    bob.rotateSignedPrekey();
    const newLast = decodeBundle(p, bob.reusableBundle()).pqPrekey!;
    expect(newLast.kind).toBe('lastResort');
    expect(newLast.id).not.toBe(oldLast.id);
    expect(bob.prekeyStatus()).toMatchObject({ pqLastResortId: newLast.id, previousPqLastResortIds: [oldLast.id] });
    const restored = importAgent(p, exportAgent(p, bob, KEY), KEY, { clock: () => time.now });
    expect(exportAgent(p, restored, KEY)).toEqual(exportAgent(p, bob, KEY));
    time.now += SIGNED_PREKEY_GRACE_MS - 1;
    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    const m = alice.initiate('bob', oldReusable, enc('on the old last-resort key'));
    expect(dec(restored.decrypt('alice', m))).toBe('on the old last-resort key');
    // The replaced last-resort key is kept (reusable) but each initial message on it is accepted once.
    expect(refused(() => restored.decrypt('alice2', m), restored).kind).toBe('duplicate');
    time.now += 1;
    restored.prune();
    expect(restored.prekeyStatus()).toMatchObject({ previousPqLastResortIds: [], previousSignedPrekeys: [] });
    const carol = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    expect(refused(() => restored.decrypt('carol', carol.initiate('bob', oldReusable, enc('too late'))), restored).reason).toBe('SIGNED_PREKEY_RETIRED');
  });

  it('X3DH-018: a signed prekey id this agent never issued is UNKNOWN_PREKEY', () => {
    const p = seededProvider('rot-3');
    const { bob } = clocked('rot-3b');
    const other = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const m = alice.initiate('bob', other.bundle(), enc('x'));
    const im = decodeInitial(m);
    // Fixed seeds: the two agents' random id ranges are far apart.
    expect(Math.abs(im.signedPrekeyId - bob.prekeyStatus().signedPrekeyId)).toBeGreaterThan(10);
    const e = refused(() => bob.decrypt('alice', m), bob);
    expect([e.kind, e.reason]).toEqual(['state_failure', 'UNKNOWN_PREKEY']);
  });

  it('X3DH-017: a clock set back keeps the old key; more than MAX_PREVIOUS_SIGNED_PREKEYS rotations drop the oldest at once', () => {
    const { bob, time } = clocked('rot-4');
    const first = bob.prekeyStatus().signedPrekeyId;
    bob.rotateSignedPrekey();
    time.now = T0 - 5 * DAY;
    bob.prune();
    expect(bob.prekeyStatus().previousSignedPrekeys.map((k) => k.id)).toEqual([first]);
    for (let i = 0; i < MAX_PREVIOUS_SIGNED_PREKEYS; i++) bob.rotateSignedPrekey(T0 + i);
    const ids = bob.prekeyStatus().previousSignedPrekeys.map((k) => k.id);
    expect(ids).toHaveLength(MAX_PREVIOUS_SIGNED_PREKEYS);
    expect(ids).not.toContain(first);
    const e = refused(() => bob.rotateSignedPrekey(-1), bob);
    expect([e.kind, e.reason]).toEqual(['policy_reject', 'BAD_TIME']);
    expect(() => bob.prune(Number.NaN)).toThrow(expect.objectContaining({ reason: 'BAD_TIME' }));
  });

  it('X3DH-017 REC-005: export/import keeps the replaced keys and their times; the record re-exports byte-identically', () => {
    const p = seededProvider('rot-5');
    const { bob, time } = clocked('rot-5b', 'pqxdh', 1);
    const plain = exportAgent(p, bob, KEY);
    const oldBundle = bob.bundle();
    bob.rotateSignedPrekey(T0 + 1000);
    const rec = exportAgent(p, bob, KEY);
    // The optional field appears only with a rotation: records of agents that never rotated keep their bytes.
    expect(rec.length).toBeGreaterThan(plain.length);
    const back = importAgent(p, rec, KEY, { clock: () => time.now });
    expect(exportAgent(p, back, KEY)).toEqual(rec);
    expect(back.prekeyStatus().previousSignedPrekeys).toEqual([{ id: spkId(p, oldBundle), retiredAt: T0 + 1000 }]);
    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    time.now = T0 + 2 * DAY;
    expect(dec(back.decrypt('alice', alice.initiate('bob', oldBundle, enc('after restore'))))).toBe('after restore');
    time.now = T0 + 1000 + SIGNED_PREKEY_GRACE_MS;
    back.prune();
    const again = importAgent(p, exportAgent(p, back, KEY), KEY, { clock: () => time.now });
    expect(again.prekeyStatus().previousSignedPrekeys).toEqual([]);
  });
});

describe('golden record with a replaced signed prekey', () => {
  it('REC-005 X3DH-017: agent-v1-rotated.json imports, re-exports byte-identically, opens its queued message within the grace period and refuses it after', () => {
    const v = JSON.parse(readFileSync(join(REPO_ROOT, 'vectors/records/agent-v1-rotated.json'), 'utf8')) as {
      storage_key: string;
      record: string;
      rotated_at: number;
      peer: string;
      queued_message: string;
      queued_plaintext: string;
    };
    const p = seededProvider('golden-rotated');
    const key = fromHex(v.storage_key);
    const time = { now: v.rotated_at + SIGNED_PREKEY_GRACE_MS - 1 };
    const agent = importAgent(p, fromHex(v.record), key, { clock: () => time.now });
    expect(toHex(exportAgent(p, agent, key))).toBe(v.record);
    const im = decodeInitial(fromHex(v.queued_message));
    expect(agent.prekeyStatus().previousSignedPrekeys).toEqual([{ id: im.signedPrekeyId, retiredAt: v.rotated_at }]);
    expect(agent.prekeyStatus().previousPqLastResortIds).toEqual([im.pq!.id]);
    const late = importAgent(p, fromHex(v.record), key, { clock: () => v.rotated_at + SIGNED_PREKEY_GRACE_MS });
    expect(refused(() => late.decrypt(v.peer, fromHex(v.queued_message)), late).reason).toBe('SIGNED_PREKEY_RETIRED');
    expect(dec(agent.decrypt(v.peer, fromHex(v.queued_message)))).toBe(v.queued_plaintext);
  });
});

describe('one-time prekey replenishment', () => {
  it('X3DH-019: prekeyStatus counts prekeys not handed out and held; replenish adds keys with ids never issued before', () => {
    const p = seededProvider('rep-1');
    const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 2 });
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 2, oneTimeHeld: 2, pqOneTimeAvailable: 2, pqOneTimeHeld: 2 });
    const ids = new Set<number>();
    const take = (): Uint8Array => {
      const b = bob.bundle();
      const d = decodeBundle(p, b);
      for (const id of [d.oneTimePrekey?.id, d.pqPrekey?.kind === 'oneTime' ? d.pqPrekey.id : undefined]) {
        if (id === undefined) continue;
        expect(ids.has(id)).toBe(false);
        ids.add(id);
      }
      return b;
    };
    const b1 = take();
    take();
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 0, oneTimeHeld: 2, pqOneTimeAvailable: 0, pqOneTimeHeld: 2 });
    expect(decodeBundle(p, bob.bundle()).oneTimePrekey).toBeUndefined();
    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    bob.decrypt('alice', alice.initiate('bob', b1, enc('uses one')));
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeHeld: 1, pqOneTimeHeld: 1 });
    bob.rotateSignedPrekey(T0);
    bob.replenish(3);
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 3, oneTimeHeld: 4, pqOneTimeAvailable: 3, pqOneTimeHeld: 4 });
    const spk = bob.prekeyStatus().signedPrekeyId;
    for (let i = 0; i < 3; i++) {
      const d = decodeBundle(p, take());
      expect(d.oneTimePrekey?.id).toBeGreaterThan(spk);
    }
    expect(ids.size).toBe(10);
    // A fresh key decrypts like any other.
    const carol = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    bob.replenish(1);
    expect(dec(bob.decrypt('carol', carol.initiate('bob', take(), enc('fresh'))))).toBe('fresh');
    expect(ids.size).toBe(12);
  });

  it('X3DH-019 X3DH-016: over any sequence of bundles, uses, rotations, replenishments and restores, no prekey id is ever issued twice', () => {
    const op = fc.oneof(
      fc.constant({ t: 'bundle' as const }),
      fc.constant({ t: 'use' as const }),
      fc.constant({ t: 'rotate' as const }),
      fc.constant({ t: 'restore' as const }),
      fc.integer({ min: 0, max: 4 }).map((n) => ({ t: 'replenish' as const, n })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), fc.integer({ min: 0, max: 3 }), (ops, initial) => {
        const p = seededProvider(`ids-${initial}-${ops.length}`);
        let bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: initial });
        const spks = new Set<number>([bob.prekeyStatus().signedPrekeyId]);
        const opks = new Set<number>();
        const pending: Uint8Array[] = [];
        let time = T0;
        for (const o of ops) {
          if (o.t === 'bundle') {
            const b = bob.bundle();
            const id = decodeBundle(p, b).oneTimePrekey?.id;
            if (id !== undefined) {
              expect(opks.has(id) || spks.has(id)).toBe(false);
              opks.add(id);
              pending.push(b);
            }
          } else if (o.t === 'use' && pending.length > 0) {
            const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
            bob.decrypt(`a${opks.size}-${pending.length}`, alice.initiate('bob', pending.shift()!, enc('x')));
          } else if (o.t === 'rotate') {
            bob.rotateSignedPrekey((time += 1000));
            const id = bob.prekeyStatus().signedPrekeyId;
            expect(spks.has(id) || opks.has(id)).toBe(false);
            spks.add(id);
          } else if (o.t === 'replenish') {
            bob.replenish(o.n);
          } else if (o.t === 'restore') {
            bob = importAgent(p, exportAgent(p, bob, KEY), KEY, { clock: () => time });
          }
        }
        const st = bob.prekeyStatus();
        expect(st.oneTimeHeld).toBe(st.oneTimeAvailable + pending.length);
      }),
      { numRuns: 40, seed: 19 },
    );
  });

  it('X3DH-019: bad replenish counts are refused with state unchanged', () => {
    const bob = SessionAgent.create(seededProvider('rep-2'), { kind: 'x3dh', oneTimePrekeys: 1 });
    for (const n of [-1, 1.5, Number.NaN, 100_001]) {
      const e = refused(() => bob.replenish(n), bob);
      expect([e.kind, e.reason]).toEqual(['policy_reject', 'BAD_PREKEY_COUNT']);
    }
    bob.replenish(99_999);
    const e = refused(() => bob.replenish(1), bob);
    expect([e.kind, e.reason]).toEqual(['policy_reject', 'TOO_MANY_PREKEYS']);
  });

  it('DIR-007: bundleBatch tops up and returns count single-use bundles, then the reusable one', () => {
    const p = seededProvider('rep-3');
    const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 1 });
    const batch = bob.bundleBatch(3);
    expect(batch).toHaveLength(4);
    const decoded = batch.map((b) => decodeBundle(p, b));
    expect(decoded.slice(0, 3).every((d) => d.oneTimePrekey && d.pqPrekey?.kind === 'oneTime')).toBe(true);
    expect(decoded[3]!.oneTimePrekey).toBeUndefined();
    expect(decoded[3]!.pqPrekey?.kind).toBe('lastResort');
    expect(new Set(decoded.slice(0, 3).map((d) => d.oneTimePrekey!.id)).size).toBe(3);
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 0, oneTimeHeld: 3 });
    const e = refused(() => bob.bundleBatch(1001), bob);
    expect(e.reason).toBe('BAD_PREKEY_COUNT');
  });
});

describe('bundle batches from a key-store identity', () => {
  it('DIR-007 SESS-001: bundleBatchAsync signs each bundle through the key store; sessions open on the single-use and the reusable bundle', async () => {
    const p = seededProvider('batch-ks');
    const store = new SoftwareKeyStore({ dir: mkdtempSync(join(tmpdir(), 'agentsec-batch-ks-')), provider: p, key: p.randomBytes(32) });
    const created = await store.createIdentityKeys();
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0, keyStoreIdentity: await keyStoreIdentity(store, created.handle) });
    expect(() => bob.bundleBatch(1)).toThrow(expect.objectContaining({ reason: 'IDENTITY_NOT_PREPARED' }));
    expect(bob.prekeyStatus().oneTimeHeld).toBe(0);
    const batch = await bob.bundleBatchAsync(2);
    expect(batch.map((b) => decodeBundle(p, b).oneTimePrekey !== undefined)).toEqual([true, true, false]);
    for (const [i, b] of [batch[0]!, batch[2]!].entries()) {
      const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
      expect(dec(await bob.decryptAsync(`alice${i}`, alice.initiate('bob', b, enc(`via bundle ${i}`))))).toBe(`via bundle ${i}`);
    }
  });
});

describe('agents configured by a SecurityConfig', () => {
  const cfg = (x: object): SecurityConfig => parseSecurityConfig(x);

  it('SESS-014: kind, AEAD, prekey count and limits come from the config', () => {
    expect(agentOptionsFromConfig(defaultSecurityConfig)).toEqual({ kind: 'pqxdh', aead: 'AES-256-GCM', oneTimePrekeys: 100, pqOneTimePrekeys: 100, limits: { maxSkip: MAX_SKIP, maxSkippedKeys: 2 * MAX_SKIP } });
    const p = seededProvider('cfg-1');
    const c = cfg({ handshake: { asyncMessaging: 'Signal_X3DH_Ratchet', prekeyBatchSize: 3 }, encryption: { cipher: 'ChaCha20-Poly1305' }, session: { maxSkip: 5, maxSkippedKeys: 10 } });
    const bob = SessionAgent.fromConfig(p, c);
    expect(bob.kind).toBe('x3dh');
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 3, pqOneTimeAvailable: 0 });
    expect(bob.limits).toEqual({ maxSkip: 5, maxSkippedKeys: 10 });
    const alice = SessionAgent.fromConfig(p, c);
    const m = alice.initiate('bob', bob.bundle(), enc('hi'));
    expect(decodeInitial(m).aead).toBe('ChaCha20-Poly1305');
    expect(decodeInitial(m).kind).toBe('x3dh');
    expect(dec(bob.decrypt('alice', m))).toBe('hi');
  });

  it('SESS-014 CONFIG-012: a hand-built config outside the safe ranges is refused, as are bad limits given in code', () => {
    const p = seededProvider('cfg-2');
    const bad = [
      { ...defaultSecurityConfig, session: { maxSkip: 0, maxSkippedKeys: 10 } },
      { ...defaultSecurityConfig, session: { maxSkip: 10, maxSkippedKeys: 19 } },
      { ...defaultSecurityConfig, session: { maxSkip: 100_000, maxSkippedKeys: 200_001 } },
      { ...defaultSecurityConfig, handshake: { ...defaultSecurityConfig.handshake, prekeyBatchSize: 0 } },
    ] as SecurityConfig[];
    for (const c of bad) {
      const e = (() => {
        try {
          SessionAgent.fromConfig(p, c);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(AgentsecError);
      expect((e as AgentsecError).kind).toBe('policy_reject');
    }
    expect(parseSecurityConfig({ session: { maxSkip: 100_000, maxSkippedKeys: 200_000 } }).session.maxSkippedKeys).toBe(200_000);
    for (const limits of [{ maxSkip: 0, maxSkippedKeys: 10 }, { maxSkip: 5, maxSkippedKeys: 9 }, { maxSkip: 1.5, maxSkippedKeys: 10 }]) {
      expect(() => SessionAgent.create(p, { kind: 'x3dh', limits })).toThrow(expect.objectContaining({ kind: 'policy_reject', reason: 'BAD_LIMIT' }));
    }
  });

  it('SESS-015: a small maxSkip from the config moves the boundary; the refused message leaves the session unchanged', () => {
    const p = seededProvider('cfg-3');
    const small = cfg({ handshake: { asyncMessaging: 'Signal_X3DH_Ratchet', prekeyBatchSize: 2 }, session: { maxSkip: 5, maxSkippedKeys: 10 } });
    const run = (bob: SessionAgent): { far: Uint8Array; edge: Uint8Array } => {
      const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
      bob.decrypt('alice', alice.initiate('bob', bob.bundle(), enc('m0')));
      const msgs = Array.from({ length: 7 }, (_, i) => alice.encrypt('bob', enc(`m${i + 1}`)));
      // Bob has received m0 (nr = 1): m6 skips 5 keys, m7 skips 6.
      return { edge: msgs[5]!, far: msgs[6]! };
    };
    const bob = SessionAgent.fromConfig(p, small);
    const { edge, far } = run(bob);
    const e = refused(() => bob.decrypt('alice', far), bob);
    expect([e.kind, e.reason]).toEqual(['policy_reject', 'MAX_SKIP']);
    expect(e.message).toContain('(5)');
    expect(dec(bob.decrypt('alice', edge))).toBe('m6');
    // The profile's default limit accepts the same skip.
    const wide = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 2 });
    expect(dec(wide.decrypt('alice', run(wide).far))).toBe('m7');
    // The limits are not in the record: passed again at import, they apply again.
    const back = importAgent(p, exportAgent(p, SessionAgent.fromConfig(p, small), KEY), KEY, agentOptionsFromConfig(small));
    expect(back.limits).toEqual({ maxSkip: 5, maxSkippedKeys: 10 });
    expect(importAgent(p, exportAgent(p, back, KEY), KEY).limits).toEqual({ maxSkip: MAX_SKIP, maxSkippedKeys: 2 * MAX_SKIP });
  });

  it('SESS-015: maxSkippedKeys from the config bounds the skipped-key store (oldest evicted first)', () => {
    const p = seededProvider('cfg-4');
    const c = cfg({ handshake: { asyncMessaging: 'Signal_X3DH_Ratchet', prekeyBatchSize: 1 }, session: { maxSkip: 5, maxSkippedKeys: 10 } });
    const bob = SessionAgent.fromConfig(p, c);
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    bob.decrypt('alice', alice.initiate('bob', bob.bundle(), enc('m0')));
    const msgs = Array.from({ length: 18 }, (_, i) => alice.encrypt('bob', enc(`m${i + 1}`)));
    // Deliver every sixth message: each skips 5 keys, 15 skipped keys in all, 10 kept.
    for (const i of [5, 11, 17]) expect(dec(bob.decrypt('alice', msgs[i]!))).toBe(`m${i + 1}`);
    const evicted = refused(() => bob.decrypt('alice', msgs[0]!), bob);
    expect(evicted.reason).toBe('SKIPPED_KEY_EVICTED');
    expect(dec(bob.decrypt('alice', msgs[16]!))).toBe('m17');
    expect(dec(bob.decrypt('alice', msgs[6]!))).toBe('m7');
  });
});
