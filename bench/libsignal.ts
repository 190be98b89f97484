/**
 * Peer for the session groups: libsignal-client (Signal's Rust implementation over N-API), with
 * in-memory stores as its API requires. Its sessions are always PQXDH (Kyber1024, XEdDSA-signed
 * prekeys) and its messages AES-256-CBC + HMAC, so it joins `pqxdh-setup` and the ratchet groups.
 */
import { benchBytes } from './_fixtures.js';
import { expectBytes, expectTrue, type BenchCase, type Unavailable } from './case.js';
import { loadBenchPeer, packageVersion } from './peers.js';

/**
 * libsignal-client is AGPL-3.0: it is not a dependency of the package but a benchmark peer that
 * `npm run bench:peers` installs on demand into .bench-peers/. Its types are therefore not at hand
 * when the project type-checks; the glue below is typed loosely and checked by the bench's own
 * round-trip expectations.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lib = any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

interface Party {
  readonly address: Obj;
  readonly identity: Obj;
  readonly registrationId: number;
  sessions: Obj;
  identities: Obj;
}

/** The stores, in memory. Prekeys are never removed, so every run can reuse the same bundle. */
function stores(lib: Lib) {
  class Sessions extends lib.SessionStore {
    readonly map = new Map<string, Obj>();
    async saveSession(a: Obj, r: Obj): Promise<void> {
      this.map.set(a.toString(), r);
    }
    async getSession(a: Obj): Promise<Obj | null> {
      return this.map.get(a.toString()) ?? null;
    }
    async getExistingSessions(as: Obj[]): Promise<Obj[]> {
      return as.map((a) => this.map.get(a.toString())).filter((r): r is Obj => r !== undefined);
    }
  }
  class Identities extends lib.IdentityKeyStore {
    readonly known = new Map<string, Obj>();
    constructor(
      private readonly pair: Obj,
      private readonly registrationId: number,
    ) {
      super();
    }
    async getIdentityKey(): Promise<Obj> {
      return this.pair.privateKey;
    }
    async getLocalRegistrationId(): Promise<number> {
      return this.registrationId;
    }
    async saveIdentity(a: Obj, key: Obj): Promise<Obj> {
      const had = this.known.get(a.toString());
      this.known.set(a.toString(), key);
      return had && !had.equals(key) ? lib.IdentityChange.ReplacedExisting : lib.IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(a: Obj, key: Obj): Promise<boolean> {
      const had = this.known.get(a.toString());
      return !had || had.equals(key);
    }
    async getIdentity(a: Obj): Promise<Obj | null> {
      return this.known.get(a.toString()) ?? null;
    }
  }
  class PreKeys extends lib.PreKeyStore {
    readonly map = new Map<number, Obj>();
    async savePreKey(id: number, r: Obj): Promise<void> {
      this.map.set(id, r);
    }
    async getPreKey(id: number): Promise<Obj> {
      const r = this.map.get(id);
      if (!r) throw new Error(`no prekey ${id}`);
      return r;
    }
    async removePreKey(): Promise<void> {}
  }
  class SignedPreKeys extends lib.SignedPreKeyStore {
    readonly map = new Map<number, Obj>();
    async saveSignedPreKey(id: number, r: Obj): Promise<void> {
      this.map.set(id, r);
    }
    async getSignedPreKey(id: number): Promise<Obj> {
      const r = this.map.get(id);
      if (!r) throw new Error(`no signed prekey ${id}`);
      return r;
    }
  }
  class KyberPreKeys extends lib.KyberPreKeyStore {
    readonly map = new Map<number, Obj>();
    async saveKyberPreKey(id: number, r: Obj): Promise<void> {
      this.map.set(id, r);
    }
    async getKyberPreKey(id: number): Promise<Obj> {
      const r = this.map.get(id);
      if (!r) throw new Error(`no kyber prekey ${id}`);
      return r;
    }
    async markKyberPreKeyUsed(): Promise<void> {}
  }
  return { Sessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys };
}

export async function libsignalCases(unavailable: Unavailable[]): Promise<BenchCase[]> {
  let lib: Lib;
  try {
    lib = await loadBenchPeer('@signalapp/libsignal-client');
    lib.PrivateKey.generate();
  } catch (e) {
    unavailable.push({ implementation: 'libsignal-client', groups: ['pqxdh-setup', 'ratchet-'], reason: `did not load (AGPL-3.0, not a dependency: npm run bench:peers installs it): ${(e as Error).message.split('\n')[0]}` });
    return [];
  }
  const version = packageVersion('@signalapp/libsignal-client') ?? 'unknown';
  const S = stores(lib);
  const party = (name: string, registrationId: number): Party => {
    const identity = lib.IdentityKeyPair.generate();
    return { address: lib.ProtocolAddress.new(name, 1), identity, registrationId, sessions: new S.Sessions(), identities: new S.Identities(identity, registrationId) };
  };
  const fresh = (p: Party): Party => ({ ...p, sessions: new S.Sessions(), identities: new S.Identities(p.identity, p.registrationId) });

  // Bob's prekeys, made once: a one-time prekey, a signed prekey and a signed Kyber1024 prekey.
  const bobBase = party('bob', 2);
  const preKeys = new S.PreKeys();
  const signedPreKeys = new S.SignedPreKeys();
  const kyberPreKeys = new S.KyberPreKeys();
  const opk = lib.PrivateKey.generate();
  const spk = lib.PrivateKey.generate();
  const kyber = lib.KEMKeyPair.generate();
  const spkSig = bobBase.identity.privateKey.sign(spk.getPublicKey().serialize());
  const kyberSig = bobBase.identity.privateKey.sign(kyber.getPublicKey().serialize());
  await preKeys.savePreKey(1, lib.PreKeyRecord.new(1, opk.getPublicKey(), opk));
  await signedPreKeys.saveSignedPreKey(1, lib.SignedPreKeyRecord.new(1, 0, spk.getPublicKey(), spk, spkSig));
  await kyberPreKeys.saveKyberPreKey(1, lib.KyberPreKeyRecord.new(1, 0, kyber, kyberSig));
  const bundle = lib.PreKeyBundle.new(2, 1, 1, opk.getPublicKey(), 1, spk.getPublicKey(), spkSig, bobBase.identity.publicKey, 1, kyber.getPublicKey(), kyberSig);
  const aliceBase = party('alice', 1);

  const send = async (from: Party, to: Party, pt: Uint8Array<ArrayBuffer>): Promise<Obj> => lib.signalEncrypt(pt, to.address, from.address, from.sessions, from.identities);
  const receive = async (at: Party, from: Party, m: Obj): Promise<Uint8Array> =>
    m.type() === lib.CiphertextMessageType.PreKey
      ? lib.signalDecryptPreKey(lib.PreKeySignalMessage.deserialize(m.serialize()), from.address, at.address, at.sessions, at.identities, preKeys, signedPreKeys, kyberPreKeys)
      : lib.signalDecrypt(lib.SignalMessage.deserialize(m.serialize()), from.address, at.address, at.sessions, at.identities);

  /** Both sides from scratch: Alice processes the bundle and sends, Bob receives (the setup op). */
  const setup = async (pt: Uint8Array<ArrayBuffer>): Promise<{ alice: Party; bob: Party; plaintext: Uint8Array }> => {
    const alice = fresh(aliceBase);
    const bob = fresh(bobBase);
    await lib.processPreKeyBundle(bundle, bob.address, alice.address, alice.sessions, alice.identities);
    const plaintext = await receive(bob, alice, await send(alice, bob, pt));
    return { alice, bob, plaintext };
  };
  const name = `libsignal-client ${version} (Kyber1024, AES-CBC+HMAC)`;
  const first = new Uint8Array(benchBytes('session-first', 64));
  const cases: BenchCase[] = [
    {
      group: 'pqxdh-setup',
      name,
      kind: 'peer',
      async: true,
      async verify() {
        const r = await setup(first);
        expectBytes(r.plaintext, first, 'responder decrypts the first message');
        const reply = new Uint8Array(benchBytes('session-reply', 64));
        const m = await send(r.bob, r.alice, reply);
        expectTrue(m.type() === lib.CiphertextMessageType.Whisper, 'the reply is a plain ratchet message');
        expectBytes(await receive(r.alice, r.bob, m), reply, 'session works in the other direction');
        return ['round-trip', 'reply-decrypts'];
      },
      fn: async () => (await setup(first)).plaintext,
    },
  ];
  const pt = new Uint8Array(benchBytes('ratchet-msg', 64));
  for (const alternating of [false, true]) {
    let pair: { alice: Party; bob: Party } | undefined;
    let turn = 0;
    const op = async (): Promise<Uint8Array> => {
      const { alice, bob } = pair!;
      return !alternating || turn++ % 2 === 0 ? receive(bob, alice, await send(alice, bob, pt)) : receive(alice, bob, await send(bob, alice, pt));
    };
    cases.push({
      group: alternating ? 'ratchet-64B-alternating' : 'ratchet-64B-one-way',
      name,
      kind: 'peer',
      async: true,
      async verify() {
        const r = await setup(first);
        // Answered once, so Alice's messages are plain ratchet messages from here on.
        await receive(r.alice, r.bob, await send(r.bob, r.alice, first));
        pair = r;
        for (let i = 0; i < 4; i++) expectBytes(await op(), pt, `message ${i} round trip`);
        const m = await send(r.alice, r.bob, pt);
        const bad = m.serialize().slice();
        bad[bad.length - 12]! ^= 1;
        let refused = false;
        try {
          await lib.signalDecrypt(lib.SignalMessage.deserialize(bad), r.alice.address, r.bob.address, r.bob.sessions, r.bob.identities);
        } catch {
          refused = true;
        }
        expectTrue(refused, 'tampered message refused');
        expectBytes(await receive(r.bob, r.alice, m), pt, 'the genuine message still decrypts');
        return ['round-trip', 'tamper-refused'];
      },
      fn: op,
    });
  }
  return cases;
}
