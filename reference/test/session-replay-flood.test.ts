/**
 * Replay of initial messages without a one-time prekey under a flood (spec/x3dh.md X3DH-009,
 * X3DH-020, X3DH-021): the digests live per signed prekey as long as it opens initial messages, so
 * however many other initial messages arrive, the first one is never accepted twice.
 */
import { describe, expect, it } from 'vitest';
import { getProvider } from '../crypto/index.js';
import { exportAgent, importAgent, MAX_REMEMBERED_BASE_KEYS, SessionAgent, SIGNED_PREKEY_GRACE_MS } from '../session/index.js';
import { dec, enc, refused } from './session-fixtures.js';

const KEY = new Uint8Array(32).fill(7);
/** The flood runs against a small bound (same code path as the default, MAX_REMEMBERED_BASE_KEYS). */
const BOUND = 250;

describe('initial-message replay under a flood', () => {
  it('X3DH-009 X3DH-020 X3DH-021: a flood past the bound never re-admits a replay; at the bound the signed prekey must be rotated', () => {
    const p = getProvider('node');
    let now = 1_800_000_000_000;
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0, clock: () => now, maxReplayDigests: BOUND });
    // One attacker identity re-initiating is enough to flood (anyone may initiate).
    const mallory = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const bundle = bob.reusableBundle();
    const first = alice.initiate('bob', bundle, enc('first'));
    expect(dec(bob.decrypt('alice', first))).toBe('first');

    // The flood: fill the first signed prekey's digest list, then go past it.
    for (let i = 1; i < BOUND; i++) bob.decrypt('mallory', mallory.initiate('bob', bundle, enc('x')));
    expect(bob.prekeyStatus()).toMatchObject({ replayDigests: BOUND, replayDigestsFull: true });
    // Past the bound: every further message is refused, however many.
    for (let i = 0; i < 20; i++) expect(refused(() => bob.decrypt('mallory', mallory.initiate('bob', bundle, enc('x'))), bob).reason).toBe('REPLAY_DIGESTS_FULL');
    const extra = mallory.initiate('bob', bundle, enc('one too many'));
    const full = refused(() => bob.decrypt('mallory', extra), bob);
    expect(full).toMatchObject({ kind: 'policy_reject', reason: 'REPLAY_DIGESTS_FULL' });
    // The replay of the first message is still refused: its digest was never evicted.
    const forgetful = new SessionAgent(p, bob.identity, { ...bob.state, peers: bob.state.peers.filter((x) => x.address !== 'alice') }, bob.watermarks, {});
    expect(refused(() => forgetful.decrypt('alice', first), forgetful)).toMatchObject({ kind: 'duplicate', reason: 'REPLAYED_INITIAL_MESSAGE' });

    // The digests survive a restart (record field 0x0c).
    const restored = importAgent(p, exportAgent(p, bob, KEY), KEY, { clock: () => now, maxReplayDigests: BOUND });
    expect(restored.prekeyStatus()).toMatchObject({ replayDigests: BOUND, replayDigestsFull: true });
    const restoredNoSession = new SessionAgent(p, restored.identity, { ...restored.state, peers: [] }, restored.watermarks, { clock: () => now });
    expect(refused(() => restoredNoSession.decrypt('alice', first), restoredNoSession)).toMatchObject({ kind: 'duplicate', reason: 'REPLAYED_INITIAL_MESSAGE' });

    // Rotation: new bundles work again; the old signed prekey keeps its digests through its grace period.
    bob.rotateSignedPrekey();
    expect(bob.prekeyStatus()).toMatchObject({ replayDigests: 0, replayDigestsFull: false });
    expect(dec(bob.decrypt('carol', SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 }).initiate('bob', bob.reusableBundle(), enc('after rotation'))))).toBe('after rotation');
    const noSession = new SessionAgent(p, bob.identity, { ...bob.state, peers: [] }, bob.watermarks, { clock: () => now });
    expect(refused(() => noSession.decrypt('alice', first), noSession)).toMatchObject({ kind: 'duplicate', reason: 'REPLAYED_INITIAL_MESSAGE' });

    // Pruned after its grace period: the signed prekey and its digests go together; the replay cannot open any more.
    now += SIGNED_PREKEY_GRACE_MS + 1;
    bob.prune();
    expect(bob.state.prekeys.replayDigests.length).toBe(1);
    const pruned = new SessionAgent(p, bob.identity, { ...bob.state, peers: [] }, bob.watermarks, { clock: () => now });
    expect(refused(() => pruned.decrypt('alice', first), pruned)).toMatchObject({ kind: 'state_failure', reason: 'SIGNED_PREKEY_RETIRED' });
  }, 900_000);

  it('X3DH-021: the bound defaults to MAX_REMEMBERED_BASE_KEYS and a bound outside 1..MAX_REMEMBERED_BASE_KEYS is refused', () => {
    const p = getProvider('node');
    expect(MAX_REMEMBERED_BASE_KEYS).toBe(10_000);
    expect(SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 }).prekeyStatus()).toMatchObject({ replayDigests: 0, replayDigestsFull: false });
    for (const bad of [0, -1, 1.5, MAX_REMEMBERED_BASE_KEYS + 1]) {
      expect(() => SessionAgent.create(p, { kind: 'x3dh', maxReplayDigests: bad })).toThrow(expect.objectContaining({ kind: 'policy_reject', reason: 'BAD_LIMIT' }));
    }
  });
});
