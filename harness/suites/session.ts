/**
 * The `session` suite (issue 4, spec/session.md SESS-030..): asynchronous sessions through an
 * adversarial network the harness plays. Same-implementation pairs are driven through reorder,
 * drop, duplicate, delay, tamper, truncate, restart (export/import), offline queues and several
 * sessions per peer; after every refused input the exported state must be unchanged. Interop
 * with the reference runs both ways when the implementation claims the agentsec/1 profile.
 * Every random choice comes from ctx.rng, so `--only <id> --seed N` reproduces a failure.
 */
import { callMethod } from '../conform/call.js';
import { check, CheckFailure, expectRefusal } from '../conform/assert.js';
import { knownAnswerTests } from './session-kat.js';
import { AdapterCallError, type Adapter, type Capabilities, type Rng, type Suite, type TestCase, type TestContext } from '../conform/types.js';
import type { ErrorKind } from '../../protocol/types.js';

export const PROFILE = 'agentsec/1';
/** MAX_SKIP of the agentsec/1 profile (spec/double-ratchet.md DR-007). */
export const PROFILE_MAX_SKIP = 1000;
/** Bundle byte positions tried per kind in a --quick run (all positions otherwise). */
export const QUICK_BUNDLE_POSITIONS = 48;
/** Initial messages of the replay flood (CONF-120) with --quick and without; --replay-flood overrides, up to the cap. */
export const REPLAY_FLOOD_QUICK = 32;
export const REPLAY_FLOOD_FULL = 400;
export const MAX_REPLAY_FLOOD = 100_000;

type Kind = 'x3dh' | 'pqxdh';
const KINDS: readonly Kind[] = ['x3dh', 'pqxdh'];

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const HEX = /^(?:[0-9a-f]{2})*$/;

function field(method: string, r: unknown, name: string): string {
  const v = typeof r === 'object' && r !== null ? (r as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string') throw new CheckFailure(`${method}: result field "${name}" must be a string`);
  return v;
}

/** One agent living in an implementation. */
class Side {
  constructor(
    readonly impl: Adapter,
    public id: string,
    readonly name: string,
    readonly label: string,
  ) {}
}

interface Sent {
  readonly from: Side;
  readonly to: Side;
  readonly message: string;
  readonly plaintext: string;
  readonly seq: number;
}

class Net {
  private seq = 0;
  constructor(readonly ctx: TestContext) {}

  plaintext(): string {
    return hex(this.ctx.rng.bytes(1 + this.ctx.rng.int(48)));
  }

  async agent(impl: Adapter, name: string, kind: Kind, oneTimePrekeys = 4, label = 'iut'): Promise<Side> {
    const r = await callMethod(impl, 'session.agent', { name, kind, one_time_prekeys: oneTimePrekeys });
    return new Side(impl, field('session.agent', r, 'agent'), name, `${label}:${name}`);
  }

  async bundle(s: Side): Promise<string> {
    const b = (await callMethod(s.impl, 'session.bundle', { agent: s.id })) as Record<string, unknown>;
    const v = b.bundle;
    if (typeof v !== 'string' || !HEX.test(v)) throw new CheckFailure('session.bundle: "bundle" must be lowercase hex (bytes travel as hex)');
    return v;
  }

  async initiate(from: Side, to: Side, bundle: string, plaintext = this.plaintext()): Promise<Sent> {
    const r = await callMethod(from.impl, 'session.initiate', { agent: from.id, peer: to.name, bundle, plaintext });
    return { from, to, message: field('session.initiate', r, 'message'), plaintext, seq: this.seq++ };
  }

  async send(from: Side, to: Side, plaintext = this.plaintext()): Promise<Sent> {
    const r = await callMethod(from.impl, 'session.encrypt', { agent: from.id, peer: to.name, plaintext });
    return { from, to, message: field('session.encrypt', r, 'message'), plaintext, seq: this.seq++ };
  }

  async decryptRaw(to: Side, from: Side, message: string): Promise<string> {
    return field('session.decrypt', await callMethod(to.impl, 'session.decrypt', { agent: to.id, peer: from.name, message }), 'plaintext');
  }

  /** Delivers a message that must decrypt to what was sent. */
  async deliver(m: Sent, what = 'message'): Promise<void> {
    let got: string;
    try {
      got = await this.decryptRaw(m.to, m.from, m.message);
    } catch (e) {
      throw new CheckFailure(`${what} #${m.seq} from ${m.from.label} to ${m.to.label} was refused: ${(e as Error).message}`);
    }
    check(got === m.plaintext, `${what} #${m.seq} from ${m.from.label} decrypted at ${m.to.label} to different plaintext`);
  }

  async export(s: Side): Promise<string> {
    const r = (await callMethod(s.impl, 'session.export', { agent: s.id })) as Record<string, unknown>;
    if (r.state === undefined || r.state === null) throw new CheckFailure('session.export: no "state"');
    return JSON.stringify(r.state);
  }

  async import(impl: Adapter, state: string): Promise<string> {
    return field('session.import', await callMethod(impl, 'session.import', { state: JSON.parse(state) as string }), 'agent');
  }

  /** A restart: export, free the old id, import; the side continues under the new id. */
  async restart(s: Side): Promise<void> {
    const state = await this.export(s);
    await callMethod(s.impl, 'free', { id: s.id });
    s.id = await this.import(s.impl, state);
  }

  /**
   * Feeds input that must be refused, and checks the receiver's exported state is byte-identical
   * before and after (CONV-003, DR-008). Returns the error kind.
   */
  async refusedUnchanged(to: Side, from: Side, message: string, what: string, kinds: ErrorKind[] = []): Promise<ErrorKind> {
    const before = await this.export(to);
    const kind = await expectRefusal(this.decryptRaw(to, from, message), `${what} (at ${to.label})`, kinds);
    const after = await this.export(to);
    check(before === after, `${what}: refused with ${kind}, but the exported state of ${to.label} changed`);
    return kind;
  }

  /**
   * Feeds a tampered or truncated copy of `genuine` (byte `pos` changed, or cut at `pos`). A refusal
   * must leave the state unchanged. An acceptance is judged (CONF-042): a different plaintext, or a
   * state other than the genuine message gives, is a failure; the genuine plaintext with the state
   * the genuine message gives is a malleable, unauthenticated byte: a warning with its position.
   * After an accepted copy the receiver is restored from the snapshot taken before it, so the test
   * goes on with the genuine message still undelivered.
   */
  async tampered(to: Side, from: Side, bad: string, genuine: Sent, what: string, pos: number): Promise<void> {
    const before = await this.export(to);
    let got: string;
    try {
      got = await this.decryptRaw(to, from, bad);
    } catch (e) {
      if (!(e instanceof AdapterCallError)) throw e;
      const after = await this.export(to);
      check(before === after, `${what}: refused with ${e.kind}, but the exported state of ${to.label} changed`);
      return;
    }
    // @req CONF-042
    check(to.impl.hello.capabilities.session?.profile !== PROFILE, `${what} (at ${to.label}): accepted, but under ${PROFILE} every message byte is authenticated`);
    check(got === genuine.plaintext, `${what} (at ${to.label}): accepted with a different plaintext`);
    const afterTampered = await this.export(to);
    await callMethod(to.impl, 'free', { id: to.id });
    to.id = await this.import(to.impl, before);
    const afterGenuine: string[] = [];
    for (let k = 0; k < 2; k++) {
      const clone = new Side(to.impl, await this.import(to.impl, before), to.name, `${to.label}:clone`);
      await this.deliver({ ...genuine, to: clone }, 'the genuine message at a copy of the receiver');
      afterGenuine.push(await this.export(clone));
      await callMethod(to.impl, 'free', { id: clone.id });
    }
    if (afterGenuine[0] === afterGenuine[1]) {
      check(afterTampered === afterGenuine[0], `${what} (at ${to.label}): accepted with the genuine plaintext, but the receiver's state differs from the state the genuine message gives (the changed byte changed state)`);
      this.ctx.warn(`${what} (at ${to.label}): accepted with the genuine plaintext and the same state as the genuine message: byte ${pos} is malleable (not authenticated)`);
    } else {
      this.ctx.warn(`${what} (at ${to.label}): accepted with the genuine plaintext: byte ${pos} is malleable (not authenticated); receiving is randomized here, so the states could not be compared`);
    }
  }

  /** Two agents of `a`/`b` implementations with a session from a to b, first message delivered. */
  async pair(kind: Kind, a: Adapter = this.ctx.iut, b: Adapter = this.ctx.iut, labels: [string, string] = ['iut', 'iut']): Promise<{ a: Side; b: Side }> {
    const alice = await this.agent(a, 'alice', kind, 4, labels[0]);
    const bob = await this.agent(b, 'bob', kind, 4, labels[1]);
    await this.deliver(await this.initiate(alice, bob, await this.bundle(bob)), 'initial message');
    return { a: alice, b: bob };
  }
}

function flip(h: string, rng: Rng, pos?: number): string {
  return flipAt(h, rng, pos).hex;
}

/** Flips one bit of byte `pos` (random when absent); returns the copy and the byte position. */
function flipAt(h: string, rng: Rng, pos?: number): { hex: string; pos: number } {
  const b = bytes(h);
  const i = pos ?? rng.int(b.length);
  b[i]! ^= 1 << rng.int(8);
  return { hex: hex(b), pos: i };
}

function profileKinds(caps: Capabilities): ErrorKind[] | undefined {
  return caps.session?.profile === PROFILE ? undefined : [];
}

// ---- applicability ----

function needsKind(kind: Kind) {
  return (caps: Capabilities): true | string => (caps.session?.kinds.includes(kind) ? true : `implementation does not claim session kind ${kind}`);
}

function needsExport(kind: Kind) {
  return (caps: Capabilities): true | string => {
    const k = needsKind(kind)(caps);
    if (k !== true) return k;
    return caps.session?.export ? true : 'implementation does not claim session export';
  };
}

function needsProfile(kind: Kind) {
  return (caps: Capabilities): true | string => {
    const k = needsExport(kind)(caps);
    if (k !== true) return k;
    return caps.session?.profile === PROFILE ? true : `the check is specific to the ${PROFILE} profile`;
  };
}

/** The kind used by ratchet-level tests (the Double Ratchet is the same after either handshake). */
function ratchetKind(caps: Capabilities): Kind {
  return caps.session?.kinds.includes('x3dh') ? 'x3dh' : 'pqxdh';
}
const anyKind = (caps: Capabilities): true | string => (caps.session?.kinds.some((k) => k === 'x3dh' || k === 'pqxdh') ? true : 'implementation claims no session kinds');
const anyKindExport = (caps: Capabilities): true | string => (anyKind(caps) !== true ? anyKind(caps) : caps.session?.export ? true : 'implementation does not claim session export');

// ---- tests ----

function kindTests(kind: Kind, opts: { quick: boolean; replayFlood?: number }): TestCase[] {
  const P = kind === 'pqxdh' ? ['PQXDH-002'] : [];
  return [
    {
      id: `session/${kind}/ping-pong`,
      reqs: ['X3DH-006', 'DR-006', ...P],
      applies: needsKind(kind),
      async run(ctx) {
        const net = new Net(ctx);
        const { a, b } = await net.pair(kind);
        for (let round = 0; round < 6; round++) {
          for (let i = 0; i <= ctx.rng.int(3); i++) await net.deliver(await net.send(b, a));
          for (let i = 0; i <= ctx.rng.int(3); i++) await net.deliver(await net.send(a, b));
        }
      },
    },
    {
      id: `session/${kind}/network`,
      reqs: ['DR-006', 'DR-008', 'DR-009', 'SESS-007', 'SESS-008'],
      applies: needsExport(kind),
      async run(ctx) {
        await adversarialNetwork(ctx, kind, opts.quick ? 80 : 240);
      },
    },
    {
      id: `session/${kind}/bundle-corruption`,
      reqs: ['X3DH-013', 'X3DH-003', 'X3DH-001', 'CONF-043'],
      applies: needsExport(kind),
      async run(ctx) {
        await bundleCorruption(ctx, kind, opts.quick);
      },
    },
    {
      id: `session/${kind}/initial-tampered`,
      reqs: ['X3DH-010', 'CONF-042'],
      applies: needsExport(kind),
      async run(ctx) {
        const net = new Net(ctx);
        const alice = await net.agent(ctx.iut, 'alice', kind, 0);
        const bob = await net.agent(ctx.iut, 'bob', kind, 2);
        const m = await net.initiate(alice, bob, await net.bundle(bob));
        const len = m.message.length / 2;
        const n = opts.quick ? 16 : 64;
        for (let k = 0; k < n; k++) {
          const pos = k < 4 ? [0, 1, len - 1, len - 17][k]! : ctx.rng.int(len);
          await net.tampered(bob, alice, flip(m.message, ctx.rng, pos), m, `initial message with byte ${pos} flipped`, pos);
        }
        await net.deliver(m, 'genuine initial message after tampered copies');
      },
    },
    {
      id: `session/${kind}/initial-replayed`,
      reqs: ['X3DH-009', ...(kind === 'pqxdh' ? ['PQXDH-005'] : [])],
      applies: needsExport(kind),
      async run(ctx) {
        const net = new Net(ctx);
        for (const otp of [2, 0]) {
          const alice = await net.agent(ctx.iut, `alice${otp}`, kind, 0);
          const bob = await net.agent(ctx.iut, `bob${otp}`, kind, otp);
          const m = await net.initiate(alice, bob, await net.bundle(bob));
          await net.deliver(m);
          await net.refusedUnchanged(bob, alice, m.message, `replayed initial message (${otp ? 'with' : 'without'} one-time prekeys)`, profileKinds(ctx.iut.hello.capabilities) ?? ['duplicate']);
        }
      },
    },
    {
      id: `session/${kind}/initial-replay-after-flood`,
      reqs: ['X3DH-009', 'X3DH-020', 'X3DH-021', 'CONF-120', ...(kind === 'pqxdh' ? ['PQXDH-005'] : [])],
      applies: needsExport(kind),
      // A deadline that only catches hangs: a handshake per flood message, however slow the machine.
      timeoutMs: 120_000 + 2_000 * (opts.replayFlood ?? REPLAY_FLOOD_FULL),
      async run(ctx) {
        await replayAfterFlood(ctx, kind, opts.replayFlood ?? (opts.quick ? REPLAY_FLOOD_QUICK : REPLAY_FLOOD_FULL));
      },
    },
    {
      id: `session/${kind}/one-time-prekey-once`,
      reqs: ['X3DH-008'],
      applies: needsExport(kind),
      async run(ctx) {
        const net = new Net(ctx);
        const bob = await net.agent(ctx.iut, 'bob', kind, 1);
        const bundle = await net.bundle(bob);
        const a1 = await net.agent(ctx.iut, 'alice1', kind, 0);
        const a2 = await net.agent(ctx.iut, 'alice2', kind, 0);
        const m1 = await net.initiate(a1, bob, bundle);
        const m2 = await net.initiate(a2, bob, bundle);
        await net.deliver(m1);
        await net.refusedUnchanged(bob, a2, m2.message, 'a second initial message naming a used one-time prekey', profileKinds(ctx.iut.hello.capabilities) ?? ['duplicate']);
      },
    },
    {
      id: `session/${kind}/identity-changed`,
      reqs: ['X3DH-014', 'SESS-032'],
      applies: needsExport(kind),
      async run(ctx) {
        await identityChanged(ctx, kind);
      },
    },
    {
      id: `session/${kind}/interop/iut-initiates`,
      reqs: ['X3DH-006', 'X3DH-015', 'DR-006', 'SESS-030', ...P],
      applies: (caps) => (needsKind(kind)(caps) !== true ? needsKind(kind)(caps) : caps.session?.profile === PROFILE ? true : `interop with the reference needs profile ${PROFILE}`),
      async run(ctx) {
        await interop(ctx, kind, true);
      },
    },
    {
      id: `session/${kind}/interop/reference-initiates`,
      reqs: ['X3DH-006', 'X3DH-015', 'DR-006', 'SESS-030', ...P],
      applies: (caps) => (needsKind(kind)(caps) !== true ? needsKind(kind)(caps) : caps.session?.profile === PROFILE ? true : `interop with the reference needs profile ${PROFILE}`),
      async run(ctx) {
        await interop(ctx, kind, false);
      },
    },
  ];
}

/**
 * CONF-120: an initial message without a one-time prekey, replayed after a flood of other such
 * initial messages (X3DH-009, X3DH-020, X3DH-021). The flood alternates re-initiations by the
 * replayed message's own sender (pushing its earlier sessions out of the responder's memory) and
 * initiations under fresh peer names. Each flood message is accepted with its plaintext or refused
 * at a bound with the state unchanged (`policy_reject` under agentsec/1); whatever the mechanism,
 * the first message and accepted flood messages replayed afterwards are refused with the state
 * unchanged, also after a restart. The responder is asked for a bound of half the flood
 * (`max_replay_digests`), so an implementation with such a bound reaches it within the run.
 */
async function replayAfterFlood(ctx: TestContext, kind: Kind, flood: number): Promise<void> {
  const net = new Net(ctx);
  const profile = ctx.iut.hello.capabilities.session?.profile === PROFILE;
  const bound = Math.max(1, Math.floor(flood / 2));
  let bob: Side;
  try {
    const r = await callMethod(ctx.iut, 'session.agent', { name: 'bob', kind, one_time_prekeys: 0, max_replay_digests: bound });
    bob = new Side(ctx.iut, field('session.agent', r, 'agent'), 'bob', 'iut:bob');
  } catch (e) {
    if (!(e instanceof AdapterCallError) || e.kind !== 'policy_reject') throw e;
    ctx.log(`max_replay_digests ${bound} refused (${e.kind}): the flood meets the implementation's own bound`);
    bob = await net.agent(ctx.iut, 'bob', kind, 0);
  }
  const alice = await net.agent(ctx.iut, 'alice', kind, 0);
  const mallory = await net.agent(ctx.iut, 'mallory', kind, 0);
  const bundle = await net.bundle(bob);
  const first = await net.initiate(alice, bob, bundle);
  await net.deliver(first, 'the first initial message (no one-time prekey)');
  const accepted: Sent[] = [];
  let refused = 0;
  for (let i = 0; i < flood; i++) {
    // Anyone may initiate: one attacker identity under ever new names is enough to flood.
    const from = i % 2 === 0 ? alice : new Side(ctx.iut, mallory.id, `flood-${i}`, `iut:flood-${i}`);
    const m = await net.initiate(from, bob, bundle);
    const checkState = refused < 4 || i % 16 === 0;
    const before = checkState ? await net.export(bob) : '';
    let got: string;
    try {
      got = await net.decryptRaw(bob, from, m.message);
    } catch (e) {
      if (!(e instanceof AdapterCallError)) throw e;
      // @req X3DH-021: at the bound the flood is refused, never made room for by forgetting.
      if (profile) check(e.kind === 'policy_reject', `flood message ${i}: refused with ${e.kind}, expected policy_reject (a full replay memory, X3DH-021)`);
      if (checkState) check(before === (await net.export(bob)), `flood message ${i}: refused with ${e.kind}, but the responder's exported state changed`);
      refused++;
      continue;
    }
    check(got === m.plaintext, `flood message ${i} decrypted to different plaintext`);
    accepted.push(m);
  }
  const what = `replayed after a flood of ${flood} initial messages (${accepted.length} accepted, ${refused} refused)`;
  const kinds: ErrorKind[] = profile ? ['duplicate'] : [];
  const replays: [Sent, string][] = [[first, 'the first initial message']];
  if (accepted.length > 0) replays.push([accepted[0]!, 'the first accepted flood message'], [accepted[accepted.length - 1]!, 'the last accepted flood message']);
  // @req X3DH-020: a replay is refused however many initial messages came in between.
  for (const [m, name] of replays) await net.refusedUnchanged(bob, m.from, m.message, `${name}, ${what}`, kinds);
  await net.restart(bob);
  await net.refusedUnchanged(bob, alice, first.message, `the first initial message, ${what} and a restart`, kinds);
  ctx.log(`replay flood ${kind}: ${flood} initial messages (bound asked: ${bound}), ${accepted.length} accepted, ${refused} refused; ${replays.length + 1} replays refused`);
}

/**
 * A known peer comes back under another identity key (SESS-032): its initial message, and a bundle
 * of it, meet the trust policy the implementation claims: `pin` refuses them (policy_reject, state
 * unchanged), `surface` accepts them and says so (`identity_changed: true` in the result). Without a
 * claim, agentsec/1 means `pin`; elsewhere either is accepted and silent acceptance is a warning.
 */
async function identityChanged(ctx: TestContext, kind: Kind): Promise<void> {
  const net = new Net(ctx);
  const caps = ctx.iut.hello.capabilities.session;
  const policy = caps?.identity_policy ?? (caps?.profile === PROFILE ? 'pin' : undefined);
  const { a, b } = await net.pair(kind);
  await net.deliver(await net.send(b, a));
  // Someone else, under the known peer's name, with a fresh identity key.
  const impostor = await net.agent(ctx.iut, a.name, kind, 0, 'impostor');
  const m = await net.initiate(impostor, b, await net.bundle(b));
  const judge = async (what: string, attempt: () => Promise<unknown>, state: Side): Promise<void> => {
    const before = await net.export(state);
    let result: unknown;
    try {
      result = await attempt();
    } catch (e) {
      if (!(e instanceof AdapterCallError)) throw e;
      check(policy !== 'surface', `${what}: refused with ${e.kind}, but the implementation claims identity_policy "surface" (accept and report)`);
      check(e.kind === 'policy_reject', `${what}: refused with ${e.kind}, expected policy_reject (identity changed)`);
      check(before === (await net.export(state)), `${what}: refused, but the exported state of ${state.label} changed`);
      return;
    }
    const surfaced = typeof result === 'object' && result !== null && (result as Record<string, unknown>).identity_changed === true;
    if (policy === 'pin') throw new CheckFailure(`${what}: accepted, but the identity key of a known peer changed (identity_policy "pin")`);
    if (policy === 'surface') check(surfaced, `${what}: accepted without "identity_changed": true (identity_policy "surface")`);
    else if (!surfaced) ctx.warn(`${what}: accepted silently (no identity_policy claimed; a failure under ${PROFILE})`);
  };
  await judge(`an initial message from "${a.name}" under another identity key`, () => callMethod(b.impl, 'session.decrypt', { agent: b.id, peer: a.name, message: m.message }), b);
  // The other direction: the known peer's name now hands out a bundle under another identity.
  const impostorB = await net.agent(ctx.iut, b.name, kind, 2, 'impostor');
  const bundle = await net.bundle(impostorB);
  await judge(`a bundle of "${b.name}" under another identity key`, () => callMethod(a.impl, 'session.initiate', { agent: a.id, peer: b.name, bundle, plaintext: '00' }), a);
  if (policy === 'pin') {
    // The genuine session still works both ways after the refusals.
    await net.deliver(await net.send(a, b), 'message on the genuine session after an impostor was refused');
    await net.deliver(await net.send(b, a), 'reply on the genuine session after an impostor was refused');
  }
}

async function interop(ctx: TestContext, kind: Kind, iutInitiates: boolean): Promise<void> {
  if (!ctx.reference.hello.capabilities.session?.kinds.includes(kind)) throw new CheckFailure(`the reference does not offer ${kind}`);
  const net = new Net(ctx);
  const [ai, bi, la, lb] = iutInitiates ? [ctx.iut, ctx.reference, 'iut', 'ref'] : [ctx.reference, ctx.iut, 'ref', 'iut'];
  const { a, b } = await net.pair(kind, ai, bi, [la, lb]);
  const held: Sent[] = [];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 3; i++) held.push(await net.send(b, a));
    for (const m of ctx.rng.shuffle(held.splice(0))) await net.deliver(m, 'interop message');
    for (let i = 0; i < 3; i++) held.push(await net.send(a, b));
    for (const m of ctx.rng.shuffle(held.splice(0))) await net.deliver(m, 'interop message');
  }
}

/** Random schedule of sends, deliveries, drops, duplicates, tampering, truncation and restarts. */
async function adversarialNetwork(ctx: TestContext, kind: Kind, steps: number): Promise<void> {
  const net = new Net(ctx);
  const rng = ctx.rng;
  const { a, b } = await net.pair(kind);
  const kinds = profileKinds(ctx.iut.hello.capabilities);
  let pending: (Sent & { born: number })[] = [];
  const delivered: Sent[] = [];
  const counts = { send: 0, deliver: 0, drop: 0, duplicate: 0, tamper: 0, truncate: 0, restart: 0 };
  for (let step = 0; step < steps; step++) {
    // A message never waits more than 20 steps: keeps every delay inside the profile's windows
    // (MAX_SKIP, old chains kept), so a refusal is always a finding.
    const overdue = pending.filter((m) => step - m.born > 20);
    for (const m of overdue) {
      await net.deliver(m, 'delayed message');
      delivered.push(m);
      counts.deliver++;
    }
    pending = pending.filter((m) => !overdue.includes(m));
    const r = rng.int(100);
    if (r < 35) {
      const [from, to] = rng.int(2) === 0 ? [a, b] : [b, a];
      pending.push({ ...(await net.send(from, to)), born: step });
      counts.send++;
    } else if (r < 65 && pending.length > 0) {
      const m = pending.splice(rng.int(pending.length), 1)[0]!;
      await net.deliver(m, 'reordered message');
      delivered.push(m);
      counts.deliver++;
    } else if (r < 70 && pending.length > 0) {
      pending.splice(rng.int(pending.length), 1);
      counts.drop++;
    } else if (r < 78 && delivered.length > 0) {
      const m = delivered[rng.int(delivered.length)]!;
      await net.refusedUnchanged(m.to, m.from, m.message, `duplicate of message #${m.seq}`, kinds ?? ['duplicate']);
      counts.duplicate++;
    } else if (r < 88 && pending.length > 0) {
      const m = pending[rng.int(pending.length)]!;
      const t = flipAt(m.message, rng);
      await net.tampered(m.to, m.from, t.hex, m, `tampered copy of message #${m.seq} (byte ${t.pos})`, t.pos);
      counts.tamper++;
    } else if (r < 93 && pending.length > 0) {
      const m = pending[rng.int(pending.length)]!;
      const cut = rng.int(m.message.length / 2);
      await net.tampered(m.to, m.from, m.message.slice(0, 2 * cut), m, `copy of message #${m.seq} truncated to ${cut} bytes`, cut);
      counts.truncate++;
    } else if (r < 100) {
      await net.restart(rng.int(2) === 0 ? a : b);
      counts.restart++;
    }
  }
  for (const m of pending) await net.deliver(m, 'message delivered at the end');
  ctx.log(`network ${kind}: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

async function bundleCorruption(ctx: TestContext, kind: Kind, quick: boolean): Promise<void> {
  const net = new Net(ctx);
  const strict = ctx.iut.hello.capabilities.session?.profile === PROFILE;
  let bob = await net.agent(ctx.iut, 'bob', kind, 64);
  let bundle = await net.bundle(bob);
  const len = bundle.length / 2;
  const positions = quick ? Array.from({ length: Math.min(QUICK_BUNDLE_POSITIONS, len) }, (_, i) => (i < 2 ? i : ctx.rng.int(len))) : Array.from({ length: len }, (_, i) => i);
  let alice = await net.agent(ctx.iut, 'alice', kind, 0);
  let refused = 0;
  let harmless = 0;
  for (const [k, pos] of positions.entries()) {
    if (pos >= bundle.length / 2) continue;
    const corrupted = flip(bundle, ctx.rng, pos);
    const checkState = k % 16 === 0;
    const before = checkState ? await net.export(alice) : '';
    let m: Sent;
    try {
      m = await net.initiate(alice, bob, corrupted);
    } catch {
      refused++;
      if (checkState) check(before === (await net.export(alice)), `bundle byte ${pos} corrupted: refused, but the initiator's exported state changed`);
      continue;
    }
    // @req X3DH-013: under agentsec/1 every bundle byte is authenticated, so acceptance is a finding.
    check(!strict, `bundle byte ${pos} corrupted: initiate accepted it, but under ${PROFILE} every bundle byte is authenticated`);
    // Otherwise the byte must have carried nothing the keys depend on: the genuine peer decrypts.
    await net.deliver(m, `message initiated from a bundle with byte ${pos} corrupted`);
    harmless++;
    // @req CONF-043: the delivered message consumed the bundle's one-time prekey and made a session;
    // the next positions start over from a fresh responder, bundle and initiator.
    bob = await net.agent(ctx.iut, `bob${k}`, kind, 64);
    bundle = await net.bundle(bob);
    alice = await net.agent(ctx.iut, `alice${k}`, kind, 0);
  }
  ctx.log(`bundle corruption ${kind}: ${positions.length} positions of ${len} bytes, ${refused} refused, ${harmless} accepted and working`);
}

function ratchetTests(opts: { quick: boolean }): TestCase[] {
  const unchanged = (name: string, reqs: string[], body: (net: Net, a: Side, b: Side, ctx: TestContext) => Promise<void>, applies = anyKindExport): TestCase => ({
    id: `session/state-unchanged/${name}`,
    reqs: ['DR-008', 'CONV-003', ...reqs],
    applies,
    async run(ctx) {
      const net = new Net(ctx);
      const { a, b } = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
      await net.deliver(await net.send(b, a));
      await body(net, a, b, ctx);
    },
  });
  return [
    unchanged('tampered-mac', ['DR-010'], async (net, a, b, ctx) => {
      const m = await net.send(a, b);
      const t = bytes(m.message);
      t[t.length - 1]! ^= 0x01;
      await net.refusedUnchanged(b, a, hex(t), 'message with a flipped tag byte', profileKinds(ctx.iut.hello.capabilities) ?? ['auth_failure']);
      await net.deliver(m, 'genuine message after a tampered copy');
    }),
    unchanged('tampered-any-byte', ['CONF-042'], async (net, a, b, ctx) => {
      // The first message of the chain makes the receiver's DH ratchet step (random in many
      // implementations); the tampered one is the next on the same chain, so the state the genuine
      // message gives is deterministic and can be compared (CONF-042).
      await net.deliver(await net.send(a, b));
      const m = await net.send(a, b);
      const len = m.message.length / 2;
      const n = opts.quick ? 12 : 48;
      for (let i = 0; i < n; i++) {
        const t = flipAt(m.message, ctx.rng, i < 2 ? [0, len - 1][i] : undefined);
        await net.tampered(b, a, t.hex, m, `message with byte ${t.pos} flipped`, t.pos);
      }
      await net.deliver(m, 'genuine message after tampered copies');
    }),
    unchanged('forged-header-key', [], async (net, a, b, ctx) => {
      const m = await net.send(a, b);
      const other = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
      await net.deliver(await net.send(other.b, other.a));
      const foreign = await net.send(other.a, other.b);
      // A message of another session, presented as coming from the same peer.
      await net.refusedUnchanged(b, a, foreign.message, 'a message from a different session');
      await net.deliver(m, 'genuine message after a forged one');
    }),
    unchanged('truncated', ['CONF-042'], async (net, a, b, ctx) => {
      const m = await net.send(a, b);
      const len = m.message.length / 2;
      for (const cut of [0, 1, 2, len - 1, ctx.rng.int(len)]) await net.tampered(b, a, m.message.slice(0, 2 * cut), m, `message truncated to ${cut} bytes`, cut);
      await net.deliver(m, 'genuine message after truncated copies');
    }),
    unchanged('duplicate', ['DR-009', 'DR-010'], async (net, a, b, ctx) => {
      const ms = [await net.send(a, b), await net.send(a, b)];
      await net.deliver(ms[1]!);
      await net.deliver(ms[0]!);
      for (const m of ms) await net.refusedUnchanged(b, a, m.message, 'a message delivered twice', profileKinds(ctx.iut.hello.capabilities) ?? ['duplicate']);
      await net.deliver(await net.send(a, b));
    }),
    unchanged(
      'max-skip',
      ['DR-007', 'DR-010'],
      async (net, a, b) => {
        // The receiver has N_r = 1 on this chain after the warm-up; message N = MAX_SKIP + 2 would skip MAX_SKIP + 1 keys.
        const warm = await net.send(a, b);
        await net.deliver(warm);
        const ms: Sent[] = [];
        for (let i = 0; i < PROFILE_MAX_SKIP + 2; i++) ms.push(await net.send(a, b));
        await net.refusedUnchanged(b, a, ms[PROFILE_MAX_SKIP + 1]!.message, `a message ${PROFILE_MAX_SKIP + 1} ahead`, ['policy_reject']);
        await net.deliver(ms[PROFILE_MAX_SKIP]!, `a message exactly ${PROFILE_MAX_SKIP} ahead`);
        await net.deliver(ms[PROFILE_MAX_SKIP + 1]!, 'the refused message, once in range');
        await net.deliver(ms[0]!, 'a skipped message');
      },
      (caps) => needsProfile(ratchetKind(caps))(caps),
    ),
    unchanged('unknown-peer', [], async (net, a, b) => {
      const m = await net.send(a, b);
      await net.refusedUnchanged(b, new Side(a.impl, a.id, 'nobody-knows-me', 'iut:stranger'), m.message, 'a message attributed to an unknown peer');
      await net.deliver(m, 'genuine message after a misattributed copy');
    }),
    {
      id: 'session/restart/offline-queue',
      reqs: ['SESS-008', 'REC-001'],
      applies: anyKindExport,
      async run(ctx) {
        const net = new Net(ctx);
        const { a, b } = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
        await net.deliver(await net.send(b, a));
        await net.restart(b);
        const queued: Sent[] = [];
        for (let i = 0; i < 12; i++) queued.push(await net.send(a, b));
        await net.restart(b);
        await net.restart(a);
        for (const m of ctx.rng.shuffle(queued)) await net.deliver(m, 'message queued while the receiver was offline');
        for (let i = 0; i < 3; i++) {
          await net.deliver(await net.send(b, a), 'message after restart');
          await net.deliver(await net.send(a, b), 'message after restart');
        }
      },
    },
    {
      id: 'session/restart/rollback-no-key-reuse',
      reqs: ['SESS-011', 'SESS-012', 'DR-016', 'CONF-044'],
      applies: anyKindExport,
      async run(ctx) {
        // @req CONF-044: SESS-011/012 (rollback watermarks) are agentsec/1 rules; elsewhere a reused
        // message key after a restore is a warning (Double Ratchet state rollback is out of its scope).
        const profile = ctx.iut.hello.capabilities.session?.profile === PROFILE;
        const finding = (f: string): void => {
          if (profile) throw new CheckFailure(f);
          ctx.warn(`${f} (a failure under ${PROFILE}: SESS-011, SESS-012)`);
        };
        const net = new Net(ctx);
        const { a, b } = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
        await net.deliver(await net.send(b, a));
        const old = await net.export(a);
        const sent = [await net.send(a, b), await net.send(a, b)];
        for (const m of sent) await net.deliver(m);
        // Crash before the new state was persisted: restart from the older snapshot.
        await callMethod(a.impl, 'free', { id: a.id });
        a.id = await net.import(a.impl, old);
        let m: Sent;
        try {
          m = await net.send(a, b);
        } catch {
          // Refusing to send is accepted only from a working restored session: it must still receive.
          await net.deliver(await net.send(b, a), 'a peer message to the restored snapshot, which refused to send (the refusal must come from rollback detection, not a lost session)');
          ctx.log('rollback: the restored snapshot refused to send and still receives (accepted behaviour)');
          return;
        }
        let got: string;
        try {
          got = await net.decryptRaw(b, a, m.message);
        } catch (e) {
          finding(`after a restart from an older snapshot the sender's next message was refused by the peer (${(e as Error).message}): it reused an already-used message key`);
          return;
        }
        if (got !== m.plaintext) finding('after a restart from an older snapshot the peer decrypted the next message to different plaintext');
      },
    },
    {
      id: 'session/restart/older-epoch',
      reqs: ['SESS-011', 'DR-016', 'CONF-044'],
      applies: anyKindExport,
      async run(ctx) {
        // A snapshot from an older sending chain (epoch): restoring it and sending would reuse a
        // message key of that chain. agentsec/1 refuses to send (SESS-011); elsewhere key reuse is a warning.
        const net = new Net(ctx);
        const profile = ctx.iut.hello.capabilities.session?.profile === PROFILE;
        const { a, b } = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
        await net.deliver(await net.send(b, a));
        await net.deliver(await net.send(a, b));
        const old = await net.export(a);
        await net.deliver(await net.send(a, b), 'a message on the chain of the snapshot');
        // A round trip: a's next message starts a new sending chain.
        await net.deliver(await net.send(b, a));
        await net.deliver(await net.send(a, b), 'a message on the next sending chain');
        await callMethod(a.impl, 'free', { id: a.id });
        a.id = await net.import(a.impl, old);
        let m: Sent;
        try {
          m = await net.send(a, b);
        } catch (e) {
          if (!(e instanceof AdapterCallError)) throw e;
          // @req SESS-011
          if (profile) check(e.kind === 'state_failure', `restored from an older sending epoch: send refused with ${e.kind}, expected state_failure (rollback detected)`);
          return;
        }
        const finding = 'restored from an older sending epoch, the sender sent again on that chain';
        let got: string | undefined;
        try {
          got = await net.decryptRaw(b, a, m.message);
        } catch {
          got = undefined;
        }
        if (profile) throw new CheckFailure(`${finding} (${got === undefined ? 'the peer refused it: a reused message key' : 'it should have refused to send'}; SESS-011)`);
        if (got !== m.plaintext) ctx.warn(`${finding} and the peer ${got === undefined ? 'refused it' : 'decrypted other plaintext'}: a reused message key (a failure under ${PROFILE})`);
      },
    },
    {
      id: 'session/many-sessions/late-message-for-older-session',
      reqs: ['SESS-005', 'SESS-006'],
      applies: anyKindExport,
      async run(ctx) {
        const net = new Net(ctx);
        const kind = ratchetKind(ctx.iut.hello.capabilities);
        const { a, b } = await net.pair(kind);
        await net.deliver(await net.send(b, a));
        const late = [await net.send(a, b), await net.send(a, b)];
        const second = await net.initiate(a, b, await net.bundle(b));
        await net.deliver(second, 'initial message of a newer session');
        await net.deliver(await net.send(b, a), 'reply on the newer session');
        await net.refusedUnchanged(b, a, flip(late[0]!.message, ctx.rng), 'tampered late message for the older session');
        for (const m of ctx.rng.shuffle(late)) await net.deliver(m, 'late message for the older session');
        for (let i = 0; i < 3; i++) {
          await net.deliver(await net.send(a, b), 'message on the newer session after late ones');
          await net.deliver(await net.send(b, a), 'reply on the newer session after late ones');
        }
      },
    },
    {
      id: 'session/forward-secrecy',
      reqs: ['DR-013'],
      applies: anyKindExport,
      async run(ctx) {
        const net = new Net(ctx);
        const { a, b } = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
        const earlier: Sent[] = [];
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < 2; i++) earlier.push(await net.send(a, b));
          for (const m of ctx.rng.shuffle(earlier.slice(-2))) await net.deliver(m);
          await net.deliver(await net.send(b, a));
        }
        const captured = new Side(b.impl, await net.import(b.impl, await net.export(b)), b.name, 'iut:captured-bob');
        // The capture must be a working state, or the check below would prove nothing.
        const fresh = await net.send(a, b);
        await net.deliver({ ...fresh, to: captured }, 'a message sent right after the capture, at the captured state (export/import must keep the session)');
        await net.deliver(fresh);
        for (const m of earlier) {
          let plaintext: string | undefined;
          try {
            plaintext = await net.decryptRaw(captured, a, m.message);
          } catch {
            plaintext = undefined;
          }
          check(plaintext === undefined, `a state captured after delivery decrypted earlier message #${m.seq}: no forward secrecy`);
        }
        await callMethod(b.impl, 'free', { id: captured.id });
      },
    },
    {
      id: 'session/post-compromise',
      reqs: ['DR-014'],
      applies: anyKindExport,
      async run(ctx) {
        const net = new Net(ctx);
        const { a, b } = await net.pair(ratchetKind(ctx.iut.hello.capabilities));
        await net.deliver(await net.send(b, a));
        await net.deliver(await net.send(a, b));
        const captured = new Side(b.impl, await net.import(b.impl, await net.export(b)), b.name, 'iut:captured-bob');
        // Healing: the captured party receives a fresh ratchet key and answers with a fresh one of its own.
        for (let i = 0; i < 2; i++) {
          const toB = await net.send(a, b);
          // The first one is still on a chain the capture knows: it must decrypt, or the capture is no working state.
          if (i === 0) await net.deliver({ ...toB, to: captured }, 'a message sent right after the capture, at the captured state (export/import must keep the session)');
          else await net.decryptRaw(captured, a, toB.message).catch(() => undefined);
          await net.deliver(toB);
          await net.deliver(await net.send(b, a));
        }
        for (let i = 0; i < 3; i++) {
          const m = await net.send(a, b);
          let plaintext: string | undefined;
          try {
            plaintext = await net.decryptRaw(captured, a, m.message);
          } catch {
            plaintext = undefined;
          }
          check(plaintext === undefined, `a state captured before two round trips decrypted message #${m.seq} sent after them: no post-compromise security`);
          await net.deliver(m);
        }
        await callMethod(b.impl, 'free', { id: captured.id });
      },
    },
  ];
}

export const sessionSuite: Suite = {
  name: 'session',
  description: 'asynchronous sessions: X3DH / PQXDH + Double Ratchet through an adversarial network, restarts, interop with the reference',
  tests(opts) {
    return [...KINDS.flatMap((k) => kindTests(k, opts)), ...ratchetTests(opts), ...knownAnswerTests()];
  },
};
