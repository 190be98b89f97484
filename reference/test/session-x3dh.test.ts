import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentsecError } from '../errors.js';
import { toHex, utf8 } from '../bytes.js';
import {
  associatedData,
  decodeBundle,
  decodeInitial,
  decodeMessage,
  encodeInitial,
  handshakeKdf,
  PQXDH_INFO,
  SessionAgent,
  X3DH_INFO,
  prekeySignedMessage,
  type HandshakeKind,
} from '../session/index.js';
import { dec, enc, refused, seededProvider, snapshot } from './session-fixtures.js';

const KINDS: HandshakeKind[] = ['x3dh', 'pqxdh'];

describe.each(KINDS)('%s bundles', (kind) => {
  const p = seededProvider(`bundle-${kind}`);
  const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 3 });

  it('X3DH-001 X3DH-002 PQXDH-001: a bundle parses strictly and every prekey is signed by the identity signing key', () => {
    const b = decodeBundle(p, bob.bundle());
    expect(toHex(b.identitySigning)).toBe(toHex(bob.identity.signingPublic));
    expect(toHex(b.identityAgreement)).toBe(toHex(bob.identity.agreementPublic));
    expect(b.oneTimePrekey).toBeDefined();
    if (kind === 'pqxdh') expect(b.pqPrekey).toMatchObject({ kind: 'oneTime' });
    else expect(b.pqPrekey).toBeUndefined();
    const value = new Uint8Array(37);
    new DataView(value.buffer).setUint32(0, b.signedPrekey.id);
    value[4] = 1;
    value.set(b.signedPrekey.publicKey, 5);
    expect(p.ed25519.verify(b.identitySigning, prekeySignedMessage('signedPrekey', value, b.identitySigning, b.identityAgreement), b.signedPrekey.signature)).toBe(true);
    // The same bytes signed for another role do not verify.
    expect(p.ed25519.verify(b.identitySigning, prekeySignedMessage('oneTimePrekey', value, b.identitySigning, b.identityAgreement), b.signedPrekey.signature)).toBe(false);
  });

  it('X3DH-011 PQXDH-001: each bundle carries a different one-time prekey while any remain; then none (PQ: the last-resort key)', () => {
    const q = seededProvider(`handout-${kind}`);
    const b2 = SessionAgent.create(q, { kind, oneTimePrekeys: 2 });
    const bundles = [b2.bundle(), b2.bundle(), b2.bundle(), b2.bundle()].map((x) => decodeBundle(q, x));
    expect(bundles[0]!.oneTimePrekey!.id).not.toBe(bundles[1]!.oneTimePrekey!.id);
    expect(bundles[2]!.oneTimePrekey).toBeUndefined();
    expect(bundles[3]!.oneTimePrekey).toBeUndefined();
    if (kind === 'pqxdh') {
      expect(bundles[0]!.pqPrekey!.id).not.toBe(bundles[1]!.pqPrekey!.id);
      expect(bundles[2]!.pqPrekey).toMatchObject({ kind: 'lastResort' });
      expect(bundles[3]!.pqPrekey!.id).toBe(bundles[2]!.pqPrekey!.id);
    }
  });

  it('SESS-003: 100 one-time prekeys by default, configurable', () => {
    const q = seededProvider(`count-${kind}`);
    expect(SessionAgent.create(q, { kind }).state.prekeys.oneTime.length).toBe(100);
    expect(SessionAgent.create(q, { kind, oneTimePrekeys: 7 }).state.prekeys.oneTime.length).toBe(7);
    expect(() => SessionAgent.create(q, { kind, oneTimePrekeys: -1 })).toThrow(/prekey count/);
  });

  it('X3DH-013 X3DH-003: every single-byte corruption of a bundle is refused at initiate, before any session exists', () => {
    const bundle = bob.bundle();
    const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    const before = snapshot(alice);
    let refusedCount = 0;
    for (let i = 0; i < bundle.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const c = bundle.slice();
        c[i]! ^= mask;
        expect(() => alice.initiate('bob', c, enc('x')), `byte ${i} ^ ${mask}`).toThrow();
        refusedCount++;
      }
    }
    expect(snapshot(alice)).toBe(before);
    expect(alice.state.peers.length).toBe(0);
    expect(refusedCount).toBe(bundle.length * 2);
    // Truncations and an appended byte too.
    for (const cut of [0, 1, 10, bundle.length - 1]) expect(() => alice.initiate('bob', bundle.subarray(0, cut), enc('x'))).toThrow();
    const longer = new Uint8Array(bundle.length + 1);
    longer.set(bundle);
    expect(() => alice.initiate('bob', longer, enc('x'))).toThrow(/unexpected bytes/);
    console.log(`[session-x3dh] ${kind}: ${refusedCount} single-byte corruptions of a ${bundle.length}-byte bundle refused`);
    expect(dec(bob.decrypt('alice', alice.initiate('bob', bundle, enc('genuine'))))).toBe('genuine');
  });

  it('SESS-002: an unknown key type byte is refused as UNKNOWN_KEY_TYPE', () => {
    const bundle = bob.bundle();
    const c = bundle.slice();
    c[4] = 0x07; // type byte of the identity signing key (version, tag, u16 length, type)
    expect(() => decodeBundle(p, c)).toThrow(expect.objectContaining({ reason: 'UNKNOWN_KEY_TYPE' }));
  });
});

describe.each(KINDS)('%s handshake', (kind) => {
  it('X3DH-004 X3DH-005 X3DH-006 PQXDH-002: SK uses the versioned info string; AD binds both identity keys of both parties', () => {
    const p = seededProvider('kdf-info');
    const km = [p.randomBytes(32), p.randomBytes(32), p.randomBytes(32)];
    const ikm = new Uint8Array(32 + 96).fill(0xff);
    km.forEach((k, i) => ikm.set(k, 32 + 32 * i));
    const info = kind === 'x3dh' ? X3DH_INFO : PQXDH_INFO;
    expect(toHex(handshakeKdf(p, kind, km))).toBe(toHex(p.hkdf('SHA-256', ikm, new Uint8Array(32), utf8(info), 32)));
    expect(toHex(handshakeKdf(p, 'x3dh', km))).not.toBe(toHex(handshakeKdf(p, 'pqxdh', km)));
    const a = { signing: p.randomBytes(32), agreement: p.randomBytes(32) };
    const b = { signing: p.randomBytes(32), agreement: p.randomBytes(32) };
    const ad = associatedData(a, b);
    expect(ad.length).toBe(4 * 33);
    expect(toHex(ad)).toBe(['02', toHex(a.signing), '01', toHex(a.agreement), '02', toHex(b.signing), '01', toHex(b.agreement)].join(''));
  });

  it('X3DH-008: a one-time prekey is used at most once (a second initial message naming it is refused, duplicate)', () => {
    const p = seededProvider(`once-${kind}`);
    const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 1 });
    const bundle = bob.bundle();
    const a1 = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    const a2 = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    expect(dec(bob.decrypt('a1', a1.initiate('bob', bundle, enc('one'))))).toBe('one');
    expect(bob.state.prekeys.oneTime.length).toBe(0);
    const e = refused(() => bob.decrypt('a2', a2.initiate('bob', bundle, enc('two'))), bob);
    expect(e).toMatchObject({ kind: 'duplicate', reason: 'PREKEY_ALREADY_USED' });
  });

  it('X3DH-009 PQXDH-005: a replayed initial message is refused as duplicate, with or without one-time prekeys', () => {
    const p = seededProvider(`replay-${kind}`);
    const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 0, pqOneTimePrekeys: 0 });
    const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    const bundle = decodeBundle(p, bob.bundle());
    expect(bundle.oneTimePrekey).toBeUndefined();
    if (kind === 'pqxdh') expect(bundle.pqPrekey?.kind).toBe('lastResort');
    const m = alice.initiate('bob', bob.bundle(), enc('hi'));
    expect(dec(bob.decrypt('alice', m))).toBe('hi');
    expect(refused(() => bob.decrypt('alice', m), bob).kind).toBe('duplicate');
    // Even once the session is gone (a fresh agent restored from the same prekeys but no session), the base key is remembered.
    const noSession = new SessionAgent(p, bob.identity, { ...bob.state, peers: [] });
    expect(refused(() => noSession.decrypt('alice', m), noSession)).toMatchObject({ kind: 'duplicate', reason: 'REPLAYED_INITIAL_MESSAGE' });
    if (kind === 'pqxdh') expect(bob.state.prekeys.pqLastResort).toBeDefined();
  });

  it('X3DH-010: a tampered initial message creates no session and consumes no prekey; the genuine one works after', () => {
    const p = seededProvider(`tamper-${kind}`);
    const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 2 });
    const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    const m = alice.initiate('bob', bob.bundle(), enc('genuine'));
    const step = kind === 'pqxdh' ? 13 : 1;
    let count = 0;
    for (let i = 0; i < m.length; i += step) {
      const t = m.slice();
      t[i]! ^= 0x04;
      refused(() => bob.decrypt('alice', t), bob);
      count++;
    }
    expect(bob.state.peers.length).toBe(0);
    expect(bob.state.prekeys.oneTime.length).toBe(2);
    expect(dec(bob.decrypt('alice', m))).toBe('genuine');
    expect(bob.state.prekeys.oneTime.length).toBe(1);
    console.log(`[session-x3dh] ${kind}: ${count} tampered initial messages refused with no state change`);
  });

  it('X3DH-012 X3DH-015: until the initiator hears back, every message repeats the prefix, so a lost first message does not lose the session', () => {
    const p = seededProvider(`prefix-${kind}`);
    const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 1 });
    const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    alice.initiate('bob', bob.bundle(), enc('lost'));
    const m2 = alice.encrypt('bob', enc('second'));
    const im = decodeInitial(m2);
    expect(im.kind).toBe(kind);
    expect(toHex(encodeInitial(im))).toBe(toHex(m2));
    expect(dec(bob.decrypt('alice', m2))).toBe('second');
    expect(dec(alice.decrypt('bob', bob.encrypt('alice', enc('reply'))))).toBe('reply');
    expect(alice.encrypt('bob', enc('plain'))[1]).toBe(2);
  });

  it('X3DH-015: every byte of a repeated prefix is authenticated, also once the session exists', () => {
    const p = seededProvider(`prefix-auth-${kind}`);
    const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 1 });
    const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    expect(dec(bob.decrypt('alice', alice.initiate('bob', bob.bundle(), enc('first'))))).toBe('first');
    const second = alice.encrypt('bob', enc('second'));
    const prefixLength = second.length - decodeInitial(second).ratchetMessage.length - 3;
    const step = kind === 'pqxdh' ? 7 : 1;
    let count = 0;
    for (let i = 0; i < prefixLength; i += step) {
      const t = second.slice();
      t[i]! ^= 0x10;
      refused(() => bob.decrypt('alice', t), bob);
      count++;
    }
    expect(count).toBeGreaterThan(40);
    expect(dec(bob.decrypt('alice', second))).toBe('second');
  });

  it('X3DH-014: a peer address is pinned to its identity keys', () => {
    const p = seededProvider(`pin-${kind}`);
    const bob = SessionAgent.create(p, { kind, oneTimePrekeys: 2 });
    const mallory = SessionAgent.create(p, { kind, oneTimePrekeys: 2 });
    const alice = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    bob.decrypt('alice', alice.initiate('bob', bob.bundle(), enc('hi')));
    expect(refused(() => alice.initiate('bob', mallory.bundle(), enc('x')), alice)).toMatchObject({ kind: 'policy_reject', reason: 'IDENTITY_CHANGED' });
    const eve = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
    const fromEve = eve.initiate('bob', bob.bundle(), enc('x'));
    expect(refused(() => bob.decrypt('alice', fromEve), bob)).toMatchObject({ reason: 'IDENTITY_CHANGED' });
  });
});

describe('PQXDH downgrade', () => {
  const p = seededProvider('downgrade');
  it('PQXDH-003: a PQXDH initiator refuses a bundle without a PQ prekey', () => {
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 });
    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0, pqOneTimePrekeys: 0 });
    expect(refused(() => alice.initiate('bob', bob.bundle(), enc('x')), alice)).toMatchObject({ kind: 'policy_reject', reason: 'PQ_PREKEY_MISSING' });
  });
  it('PQXDH-004: a PQXDH responder refuses an X3DH initial message', () => {
    const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 1, pqOneTimePrekeys: 1 });
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const m = alice.initiate('bob', bob.bundle(), enc('x'));
    expect(refused(() => bob.decrypt('alice', m), bob)).toMatchObject({ kind: 'policy_reject', reason: 'DOWNGRADE' });
  });
  it('SESS-004: the initiator\'s AEAD travels in the initial message and the responder follows it', () => {
    const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 1, aead: 'AES-256-GCM' });
    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0, aead: 'ChaCha20-Poly1305' });
    const m = alice.initiate('bob', bob.bundle(), enc('x'));
    expect(decodeInitial(m).aead).toBe('ChaCha20-Poly1305');
    bob.decrypt('alice', m);
    expect(bob.state.peers[0]!.current.ratchet.aead).toBe('ChaCha20-Poly1305');
    expect(dec(alice.decrypt('bob', bob.encrypt('alice', enc('back'))))).toBe('back');
  });
});

describe('secret hygiene', () => {
  it('X3DH-007: after initiate the ephemeral private key and the handshake DH outputs are wiped', () => {
    const base = seededProvider('wipe');
    const bob = SessionAgent.create(base, { kind: 'x3dh', oneTimePrekeys: 1 });
    const keys: Uint8Array[] = [];
    const outs: Uint8Array[] = [];
    const spy = {
      ...base,
      x25519: {
        ...base.x25519,
        generateKeyPair: () => {
          const k = base.x25519.generateKeyPair();
          keys.push(k.privateKey);
          return k;
        },
        dh: (a: Uint8Array, b: Uint8Array) => {
          const o = base.x25519.dh(a, b);
          outs.push(o);
          return o;
        },
      },
    };
    const alice = SessionAgent.create(spy, { kind: 'x3dh', oneTimePrekeys: 0 });
    keys.length = 0;
    outs.length = 0;
    const m = alice.initiate('bob', bob.bundle(), enc('x'));
    const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);
    expect(zero(keys[0]!)).toBe(true);
    expect(outs.slice(0, 4).every(zero)).toBe(true);
    expect(dec(bob.decrypt('alice', m))).toBe('x');
  });
});

describe('parsers under arbitrary input', () => {
  it('X3DH-001 X3DH-015 DR-015: arbitrary and mutated bytes only ever give AgentsecErrors (never a crash)', () => {
    const p = seededProvider('fuzz');
    const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 4 });
    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    const bundle = bob.bundle();
    const initial = alice.initiate('bob', bob.bundle(), enc('x'));
    const seeds = [bundle, initial, decodeInitial(initial).ratchetMessage];
    let runs = 0;
    const only = (f: () => unknown): void => {
      try {
        f();
      } catch (e) {
        if (!(e instanceof AgentsecError)) throw e;
      }
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([s, cut, at, junk]) => {
            const b = s.slice(0, s.length - (cut % 40));
            if (b.length > 0) b[at % b.length]! ^= junk[0] ?? 1;
            const out = new Uint8Array(b.length + junk.length);
            out.set(b);
            out.set(junk, b.length);
            return out;
          }),
        ),
        (bytes) => {
          only(() => decodeBundle(p, bytes));
          only(() => decodeInitial(bytes));
          only(() => decodeMessage(bytes));
          only(() => bob.decrypt('alice', bytes));
          runs++;
        },
      ),
      { seed: 77, numRuns: 400 },
    );
    console.log(`[session-x3dh] parser fuzz seed=77: ${runs} inputs, only AgentsecErrors`);
    expect(runs).toBe(400);
  });
});
