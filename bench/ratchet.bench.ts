/**
 * Asynchronous sessions on the reference: X3DH / PQXDH session setup (the initiator processing a
 * bundle and sending, the responder receiving: both sides), and Double Ratchet messages on an
 * established session, one direction (symmetric step) and alternating (a DH ratchet step each
 * message), through the SessionAgent API and through the bare ratchet transitions.
 */
import {
  SessionAgent,
  initAlice,
  initBob,
  ratchetDecrypt,
  ratchetEncrypt,
  type AeadName,
  type AgentState,
  type CryptoProvider,
  type HandshakeKind,
  type RatchetState,
} from '../reference/index.js';
import { benchBytes } from './_fixtures.js';
import { expectBytes, expectTrue, VerificationError, type BenchCase, type GroupInfo, type Suite } from './case.js';
import { libsignalCases } from './libsignal.js';
import { availableProviders, type NamedProvider } from './providers.js';

const MSG = 64;
const AEADS: readonly AeadName[] = ['AES-256-GCM', 'ChaCha20-Poly1305'];

function refused(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}

/** Two agents with a session in both directions (the initial message answered). */
function establishedPair(p: CryptoProvider, kind: HandshakeKind, aead: AeadName): { alice: SessionAgent; bob: SessionAgent } {
  const alice = SessionAgent.create(p, { kind, aead, oneTimePrekeys: 1 });
  const bob = SessionAgent.create(p, { kind, aead, oneTimePrekeys: 1 });
  const hello = benchBytes('session-hello', MSG);
  expectBytes(bob.decrypt('alice', alice.initiate('bob', bob.bundle(), hello)), hello, 'initial message');
  expectBytes(alice.decrypt('bob', bob.encrypt('alice', hello)), hello, 'first reply');
  return { alice, bob };
}

// ---- session setup -------------------------------------------------------------------------------

function setupCases(kind: HandshakeKind, providers: NamedProvider[]): BenchCase[] {
  const cases: BenchCase[] = [];
  const pt = benchBytes('session-first', MSG);
  for (const { name, provider } of providers) {
    // Built on first use: prekey generation is not part of the setup being measured.
    let ready: { alice: SessionAgent; aliceState: AgentState; bob: SessionAgent; bobState: AgentState; bundle: Uint8Array } | undefined;
    const prepare = () => {
      if (ready) return ready;
      const alice = SessionAgent.create(provider, { kind, oneTimePrekeys: 1 });
      const bob = SessionAgent.create(provider, { kind, oneTimePrekeys: 1 });
      // The directory hands out the bundle ahead of time; each run starts from the state right after.
      const bundle = bob.bundle();
      ready = { alice, aliceState: alice.state, bob, bobState: bob.state, bundle };
      return ready;
    };
    /** Fresh copies of both agents as they were, so every run consumes the same one-time prekey. */
    const run = (bundle?: Uint8Array): { alice: SessionAgent; bob: SessionAgent; plaintext: Uint8Array } => {
      const r = prepare();
      const alice = new SessionAgent(provider, r.alice.identity, r.aliceState);
      const bob = new SessionAgent(provider, r.bob.identity, r.bobState);
      const plaintext = bob.decrypt('alice', alice.initiate('bob', bundle ?? r.bundle, pt));
      return { alice, bob, plaintext };
    };
    cases.push({
      group: `${kind}-setup`,
      name: `provider:${name} AES-256-GCM`,
      kind: 'provider',
      verify() {
        const r = run();
        expectBytes(r.plaintext, pt, 'responder decrypts the initial message');
        const reply = benchBytes('session-reply', MSG);
        expectBytes(r.alice.decrypt('bob', r.bob.encrypt('alice', reply)), reply, 'session works in the other direction');
        const b = prepare().bundle;
        for (const at of [0, b.length >> 1, b.length - 1]) {
          const bad = b.slice();
          bad[at]! ^= 1;
          expectTrue(refused(() => run(bad)), `bundle with byte ${at} altered refused`);
        }
        const checks = ['round-trip', 'reply-decrypts', 'altered-bundle-refused'];
        for (const other of providers.filter((o) => o.provider !== provider)) {
          // Same wire format across providers: this provider initiates, the other responds.
          const remote = SessionAgent.create(other.provider, { kind, oneTimePrekeys: 1 });
          const local = new SessionAgent(provider, prepare().alice.identity, prepare().aliceState);
          expectBytes(remote.decrypt('alice', local.initiate('bob', remote.bundle(), pt)), pt, `interop with provider:${other.name}`);
          checks.push(`interop with provider:${other.name}`);
        }
        return checks;
      },
      fn: () => run().plaintext,
    });
  }
  return cases;
}

// ---- ratchet messages ------------------------------------------------------------------------------

/** The bare transitions: a session between two RatchetStates, both chains started. */
function corePair(p: CryptoProvider, aead: AeadName): { a: RatchetState; b: RatchetState } {
  const sk = benchBytes('ratchet-sk', 32);
  const ad = benchBytes('ratchet-ad', 64);
  const spk = p.x25519.generateKeyPair();
  let a = initAlice(p, sk, ad, spk.publicKey, aead);
  let b = initBob(sk, ad, spk, aead);
  const m = benchBytes('ratchet-first', MSG);
  const e1 = ratchetEncrypt(p, a, m);
  a = e1.state;
  const d1 = ratchetDecrypt(p, b, e1.message);
  if (!d1.ok) throw new VerificationError(`ratchet core: first message refused (${d1.error.message})`);
  b = d1.state;
  const e2 = ratchetEncrypt(p, b, m);
  b = e2.state;
  const d2 = ratchetDecrypt(p, a, e2.message);
  if (!d2.ok) throw new VerificationError(`ratchet core: reply refused (${d2.error.message})`);
  return { a: d2.state, b };
}

function ratchetCases(alternating: boolean, providers: NamedProvider[]): BenchCase[] {
  const group = alternating ? 'ratchet-64B-alternating' : 'ratchet-64B-one-way';
  const pt = benchBytes('ratchet-msg', MSG);
  const cases: BenchCase[] = [];
  for (const aead of AEADS) {
    for (const { name, provider } of providers) {
      // Agent level: what an application calls (state records, watermarks, session lookup).
      let agents: { alice: SessionAgent; bob: SessionAgent } | undefined;
      let turn = 0;
      const agentOp = (): Uint8Array => {
        const { alice, bob } = agents!;
        const aliceSends = !alternating || turn++ % 2 === 0;
        return aliceSends ? bob.decrypt('alice', alice.encrypt('bob', pt)) : alice.decrypt('bob', bob.encrypt('alice', pt));
      };
      cases.push({
        group,
        name: `agent provider:${name} ${aead}`,
        kind: 'provider',
        verify() {
          agents = establishedPair(provider, 'x3dh', aead);
          for (let i = 0; i < 4; i++) expectBytes(agentOp(), pt, `message ${i} round trip`);
          const m = agents.alice.encrypt('bob', pt);
          const before = JSON.stringify(agents.bob.state, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
          const bad = m.slice();
          bad[bad.length - 3]! ^= 1;
          expectTrue(refused(() => agents!.bob.decrypt('alice', bad)), 'tampered message refused');
          const after = JSON.stringify(agents.bob.state, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
          expectTrue(before === after, 'a refused message leaves the state unchanged');
          expectBytes(agents.bob.decrypt('alice', m), pt, 'the genuine message still decrypts');
          return ['round-trip', 'tamper-refused', 'state-unchanged-on-refusal'];
        },
        fn: agentOp,
      });
      // Core level: the pure ratchet transitions alone.
      let core: { a: RatchetState; b: RatchetState } | undefined;
      let coreTurn = 0;
      const coreOp = (): Uint8Array => {
        const s = core!;
        const aSends = !alternating || coreTurn++ % 2 === 0;
        const e = ratchetEncrypt(provider, aSends ? s.a : s.b, pt);
        const d = ratchetDecrypt(provider, aSends ? s.b : s.a, e.message);
        if (!d.ok) throw d.error;
        core = aSends ? { a: e.state, b: d.state } : { a: d.state, b: e.state };
        return d.plaintext;
      };
      cases.push({
        group,
        name: `core provider:${name} ${aead}`,
        kind: 'provider',
        verify() {
          core = corePair(provider, aead);
          for (let i = 0; i < 4; i++) expectBytes(coreOp(), pt, `message ${i} round trip`);
          const e = ratchetEncrypt(provider, core.a, pt);
          const bad = e.message.slice();
          bad[bad.length - 1]! ^= 1;
          const r = ratchetDecrypt(provider, core.b, bad);
          expectTrue(!r.ok, 'tampered message refused');
          return ['round-trip', 'tamper-refused'];
        },
        fn: coreOp,
      });
    }
  }
  return cases;
}

export const RATCHET_GROUPS: GroupInfo[] = [
  { id: 'x3dh-setup', title: 'X3DH session setup + first 64 B message, both sides (one-time prekey used)', op: 'initiate + responder decrypt' },
  { id: 'pqxdh-setup', title: 'PQXDH session setup (ML-KEM-1024) + first 64 B message, both sides', op: 'initiate + responder decrypt' },
  { id: 'ratchet-64B-one-way', title: 'Double Ratchet, 64 B messages in one direction (symmetric-key step)', op: 'one encrypt and one decrypt' },
  { id: 'ratchet-64B-alternating', title: 'Double Ratchet, 64 B messages alternating direction (DH ratchet step each)', op: 'one encrypt and one decrypt' },
];

export async function ratchetSuite(): Promise<Suite> {
  const { providers, unavailable } = availableProviders(RATCHET_GROUPS.map((g) => g.id));
  return {
    cases: [
      ...setupCases('x3dh', providers),
      ...setupCases('pqxdh', providers),
      ...ratchetCases(false, providers),
      ...ratchetCases(true, providers),
      ...(await libsignalCases(unavailable)),
    ],
    groups: RATCHET_GROUPS,
    unavailable,
  };
}
