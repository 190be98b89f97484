/**
 * Fuzz target `session`: two agents with an X3DH or PQXDH session (both in the IUT, or one of them
 * the reference for interop), then a random sequence of send, deliver (in any order), drop,
 * reorder, duplicate, tamper, truncate, restart (export, free, import), compromise (export and
 * import a copy, then try what was already delivered) and re-initiation (several sessions per peer),
 * checked against the delivered / pending model of the Double Ratchet (spec/models, restated):
 *
 * - every pending message decrypts exactly once, to what was sent, in any order (DR-006, SESS-006);
 * - a delivered message never decrypts again: `duplicate` under the agentsec/1 profile (DR-009, DR-010);
 * - a changed or cut message is refused and changes nothing: every pending message still decrypts
 *   afterwards (DR-008, SESS-007);
 * - after a restart both directions go on (SESS-008);
 * - a copy of a state cannot decrypt any message its owner already received (DR-013);
 * - a newer session with the same peer does not lose the older one's messages (SESS-005, SESS-006);
 * - a message that overtook earlier ones and then a restart of its receiver: the earlier ones still
 *   decrypt, their skipped message keys survive export and import (DR-009, SESS-008, REC-001);
 * - a rollback (the agent restored from an older export of the same sending chain, under the
 *   agentsec/1 profile) neither reuses a message key -- everything it sends afterwards decrypts at
 *   the peer next to what it sent before the rollback -- nor accepts again a message it had received
 *   (SESS-010, SESS-012, DR-016, DR-009).
 */
import type { Arbitrary } from 'fast-check';
import type { Adapter, Capabilities } from '../conform/types.js';
import { attempt, expectEq, flipBit, freeAll, mustOk, mustRefuse, outcomeText, payloadHex, truncateHex, Violation, type FuzzTarget, type Json, type StepData } from './kit.js';

const PROFILE = 'agentsec/1';
/** Re-initiations per run: below MAX_PREVIOUS_SESSIONS (5) of the profile and the one-time prekeys. */
const MAX_REINITS = 3;
const ONE_TIME_PREKEYS = 4;
const NAMES = ['alice', 'bob'] as const;

type Pairing = 'iut' | 'iut-ref' | 'ref-iut';

export interface SessionInit {
  [k: string]: Json;
  kind: 'x3dh' | 'pqxdh';
  pairing: Pairing;
  len: number;
  salt: number;
}

interface SMsg {
  id: number;
  from: 0 | 1;
  len: number;
  salt: number;
  /** Its receiver restarted while it was in flight. */
  restarted?: boolean;
  /** Its sender rolled back while it was in flight, or before sending it. */
  rollback?: boolean;
}

/** An export of one side's state that a rollback may restore. */
interface Snapshot {
  id: number;
  side: 0 | 1;
  /**
   * The side has neither received a message nor started a session since: its state differs from
   * the snapshot's only by sending on the same chain, the case SESS-012 defines exactly (a restore
   * to an older chain is refused to send, SESS-011, and needs a new session).
   */
  valid: boolean;
}

export interface SessionModel {
  pending: SMsg[];
  delivered: SMsg[];
  next: number;
  reinits: number;
  /** The implementation claims the agentsec/1 profile: error kinds are checked too. */
  profile: boolean;
  exportable: boolean;
  snapshots: Snapshot[];
  /** Sides that were restored from a snapshot in this run. */
  rolledBack: number[];
}

interface Side {
  a: Adapter;
  id: string;
}

interface SessionReal {
  sides: [Side, Side];
  bytes: Map<number, string>;
  /** Exported states by snapshot id. */
  snaps: Map<number, unknown>;
}

/** At most this many snapshots per run: each one is a whole exported agent. */
const MAX_SNAPSHOTS = 4;

const R_DELIVER = ['DR-006', 'SESS-006'];
const R_REFUSED = ['DR-008', 'SESS-007'];

export const sessionTarget: FuzzTarget<SessionInit, SessionModel, SessionReal> & { profileOf: (caps: Capabilities) => boolean } = {
  name: 'session',
  reqs: ['DR-006', 'DR-008', 'DR-009', 'DR-010', 'DR-013', 'DR-016', 'SESS-005', 'SESS-006', 'SESS-007', 'SESS-008', 'SESS-010', 'SESS-012', 'REC-001'],
  profileOf: (caps) => caps.session?.profile === PROFILE,

  applies: (caps) => (caps.session?.kinds.some((k) => k === 'x3dh' || k === 'pqxdh') ? true : 'the implementation claims no session kind (x3dh, pqxdh)'),

  init(fc, ctx) {
    const kinds = (ctx.caps.session?.kinds ?? []).filter((k): k is 'x3dh' | 'pqxdh' => k === 'x3dh' || k === 'pqxdh');
    const interop = !ctx.differential && ctx.refCaps !== undefined && ctx.caps.session?.profile === PROFILE;
    const pairing = interop ? fc.constantFrom<Pairing>('iut', 'iut-ref', 'ref-iut') : fc.constant<Pairing>('iut');
    return fc.record({ kind: fc.constantFrom(...kinds), pairing, len: fc.nat(64), salt: fc.nat(0xffff) });
  },

  steps(fc, ctx) {
    const side = fc.constantFrom<0 | 1>(0, 1);
    const out: Arbitrary<StepData>[] = [
      fc.record({ op: fc.constant('send'), from: side, len: fc.oneof({ weight: 5, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 4096 }) }), salt: fc.nat(0xffff) }),
      fc.record({ op: fc.constant('send'), from: side, len: fc.nat(32), salt: fc.nat(0xffff) }),
      fc.record({ op: fc.constant('deliver'), pick: fc.nat(31) }),
      fc.record({ op: fc.constant('deliver'), pick: fc.nat(31) }),
      fc.record({ op: fc.constant('drop'), pick: fc.nat(31) }),
      fc.record({ op: fc.constant('reorder') }),
      fc.record({ op: fc.constant('duplicate'), pick: fc.nat(31) }),
      fc.record({ op: fc.constant('tamper'), pick: fc.nat(31), pos: fc.nat(), bit: fc.nat(7) }),
      fc.record({ op: fc.constant('truncate'), pick: fc.nat(31), at: fc.nat() }),
      fc.record({ op: fc.constant('reinit'), from: side }),
    ];
    if (ctx.caps.session?.export) {
      out.push(fc.record({ op: fc.constant('restart'), side }));
      out.push(fc.record({ op: fc.constant('compromise'), side }));
      // @req CONF-180: out-of-order delivery with a restart in between.
      out.push(fc.record({ op: fc.constant('overtake_restart'), pick: fc.nat(31) }));
      // @req CONF-181: rollback watermarks are agentsec/1 rules (SESS-010..012, CONF-044).
      if (ctx.caps.session.profile === PROFILE) {
        out.push(fc.record({ op: fc.constant('snapshot'), side }));
        out.push(fc.record({ op: fc.constant('rollback'), pick: fc.nat(7) }));
      }
    }
    return out;
  },

  model() {
    return { pending: [], delivered: [], next: 0, reinits: 0, profile: false, exportable: false, snapshots: [], rolledBack: [] };
  },

  async setup(lane, init, model) {
    const ref = lane.reference ?? lane.iut;
    const on: [Adapter, Adapter] = [init.pairing === 'ref-iut' ? ref : lane.iut, init.pairing === 'iut-ref' ? ref : lane.iut];
    model.profile = lane.iut.hello.capabilities.session?.profile === PROFILE;
    model.exportable = lane.iut.hello.capabilities.session?.export === true;
    const sides: Side[] = [];
    for (const i of [0, 1] as const) {
      const id = mustOk(await attempt(on[i], 'session.agent', { name: NAMES[i], kind: init.kind, one_time_prekeys: ONE_TIME_PREKEYS }), `session.agent ${NAMES[i]} (${init.kind})`, 'agent', ['SESS-008']);
      sides.push({ a: on[i], id });
    }
    const real: SessionReal = { sides: sides as [Side, Side], bytes: new Map(), snaps: new Map() };
    const bundle = mustOk(await attempt(sides[1]!.a, 'session.bundle', { agent: sides[1]!.id }), 'session.bundle of bob', 'bundle', ['X3DH-006']);
    const pt = payloadHex(init.len, init.salt);
    const first = mustOk(await attempt(sides[0]!.a, 'session.initiate', { agent: sides[0]!.id, peer: NAMES[1], bundle, plaintext: pt }), 'alice initiates with bob\'s bundle', 'message', ['X3DH-006']);
    const got = mustOk(await attempt(sides[1]!.a, 'session.decrypt', { agent: sides[1]!.id, peer: NAMES[0], message: first }), 'bob decrypts the initial message', 'plaintext', ['X3DH-006']);
    expectEq(got, pt, 'the initial message', ['X3DH-006']);
    const id = model.next++;
    real.bytes.set(id, first);
    model.delivered.push({ id, from: 0, len: init.len, salt: init.salt });
    return real;
  },

  check(m, s) {
    switch (s.op) {
      case 'send':
        return true;
      case 'deliver':
      case 'drop':
      case 'tamper':
      case 'truncate':
        return m.pending.length > 0;
      case 'reorder':
        return m.pending.length > 1;
      case 'duplicate':
        return m.delivered.length > 0;
      case 'restart':
      case 'compromise':
        return m.exportable;
      case 'overtake_restart':
        return m.exportable && overtakers(m).length > 0;
      case 'snapshot':
        return m.exportable && m.profile && m.snapshots.length < MAX_SNAPSHOTS;
      case 'rollback':
        return m.exportable && m.profile && m.snapshots.some((x) => x.valid);
      case 'reinit':
        return m.reinits < MAX_REINITS;
      default:
        return false;
    }
  },

  async step(m, s, real) {
    const dec = (to: 0 | 1, message: string) => attempt(real.sides[to].a, 'session.decrypt', { agent: real.sides[to].id, peer: NAMES[1 - to], message });
    switch (s.op) {
      case 'send': {
        const from = s.from as 0 | 1;
        const len = s.len as number;
        const salt = s.salt as number;
        const o = await attempt(real.sides[from].a, 'session.encrypt', { agent: real.sides[from].id, peer: NAMES[1 - from], plaintext: payloadHex(len, salt) });
        const msg = mustOk(o, `${NAMES[from]} encrypts ${len} bytes`, 'message', ['DR-006']);
        const id = m.next++;
        real.bytes.set(id, msg);
        m.pending.push({ id, from, len, salt, ...(m.rolledBack.includes(from) ? { rollback: true } : {}) });
        return 'ok';
      }
      case 'reinit': {
        const from = s.from as 0 | 1;
        const to = (1 - from) as 0 | 1;
        const bundle = mustOk(await attempt(real.sides[to].a, 'session.bundle', { agent: real.sides[to].id }), `session.bundle of ${NAMES[to]}`, 'bundle', ['X3DH-006']);
        const salt = m.next;
        const o = await attempt(real.sides[from].a, 'session.initiate', { agent: real.sides[from].id, peer: NAMES[to], bundle, plaintext: payloadHex(8, salt) });
        const msg = mustOk(o, `${NAMES[from]} starts a new session with ${NAMES[to]}`, 'message', ['SESS-005']);
        const id = m.next++;
        real.bytes.set(id, msg);
        m.pending.push({ id, from, len: 8, salt });
        m.reinits++;
        // A new session (and the bundle it took) changes both states: older snapshots no longer fit SESS-012.
        for (const x of m.snapshots) x.valid = false;
        return 'ok';
      }
      case 'deliver':
        await deliver(m, real, m.pending[(s.pick as number) % m.pending.length]!);
        return 'ok';
      case 'overtake_restart': {
        // A message that overtook earlier ones of its sender: its receiver stores their skipped keys,
        // and must still have them after the restart.
        const c = overtakers(m);
        const msg = c[(s.pick as number) % c.length]!;
        await deliver(m, real, msg);
        await restart(m, real, (1 - msg.from) as 0 | 1);
        return 'ok';
      }
      case 'snapshot': {
        const side = s.side as 0 | 1;
        const id = m.snapshots.length;
        real.snaps.set(id, await exportState(real.sides[side], NAMES[side]));
        m.snapshots.push({ id, side, valid: true });
        return 'ok';
      }
      case 'rollback': {
        // @req CONF-181
        const valid = m.snapshots.filter((x) => x.valid);
        const snap = valid[(s.pick as number) % valid.length]!;
        const side = snap.side;
        const sd = real.sides[side];
        // The restored agent first: an implementation may refuse to import an older export
        // (spec/adapter-protocol.md, session.import), and then the side goes on as it was.
        const imported = await attempt(sd.a, 'session.import', { state: real.snaps.get(snap.id) });
        if (!imported.ok) {
          mustRefuse(imported, `${NAMES[side]} restores its older export (snapshot ${snap.id})`, ['SESS-011', 'SESS-012'], ['state_failure', 'policy_reject']);
          return outcomeText(imported);
        }
        const restored = mustOk(imported, `${NAMES[side]} restores its older export (snapshot ${snap.id}): rollback`, 'agent', ['SESS-008', 'SESS-012']);
        await attempt(sd.a, 'free', { id: sd.id });
        sd.id = restored;
        if (!m.rolledBack.includes(side)) m.rolledBack.push(side);
        for (const x of m.pending) {
          if (x.from === side) x.rollback = true;
          else x.restarted = true;
        }
        // What the restored state had received stays received: the latest one is refused again.
        const received = m.delivered.filter((x) => x.from !== side);
        const last = received[received.length - 1];
        if (last) {
          const o = await dec(side, real.bytes.get(last.id)!);
          mustRefuse(o, `message #${last.id} ${NAMES[last.from]} -> ${NAMES[side]} delivered again after the rollback to snapshot ${snap.id}`, ['DR-009', 'DR-010', 'SESS-012'], m.profile ? ['duplicate'] : []);
        }
        // Then it sends at once, and the peer takes it: on the snapshot's chain it must skip past every
        // message number used before the rollback (SESS-012), so this message -- and everything it sent
        // between the snapshot and the rollback, still in flight or not -- decrypts (no key used twice).
        const id = m.next++;
        const o = await attempt(sd.a, 'session.encrypt', { agent: sd.id, peer: NAMES[1 - side], plaintext: payloadHex(8, id) });
        real.bytes.set(id, mustOk(o, `${NAMES[side]} sends after the rollback to snapshot ${snap.id}`, 'message', ['SESS-012']));
        const probe: SMsg = { id, from: side, len: 8, salt: id, rollback: true };
        m.pending.push(probe);
        await deliver(m, real, probe);
        return 'ok';
      }
      case 'drop':
        m.pending.splice((s.pick as number) % m.pending.length, 1);
        return 'dropped';
      case 'reorder':
        m.pending.reverse();
        return 'reordered';
      case 'duplicate': {
        const msg = m.delivered[(s.pick as number) % m.delivered.length]!;
        const to = (1 - msg.from) as 0 | 1;
        const o = await dec(to, real.bytes.get(msg.id)!);
        mustRefuse(o, `message #${msg.id} ${NAMES[msg.from]} -> ${NAMES[to]} delivered a second time`, ['DR-009', 'DR-010'], m.profile ? ['duplicate'] : []);
        return outcomeText(o);
      }
      case 'tamper':
      case 'truncate': {
        const msg = m.pending[(s.pick as number) % m.pending.length]!;
        const to = (1 - msg.from) as 0 | 1;
        const bytes = real.bytes.get(msg.id)!;
        const bad = s.op === 'tamper' ? flipBit(bytes, s.pos as number, s.bit as number) : truncateHex(bytes, s.at as number);
        const o = await dec(to, bad);
        mustRefuse(o, `message #${msg.id} ${NAMES[msg.from]} -> ${NAMES[to]} ${s.op === 'tamper' ? 'with one bit flipped' : 'truncated'}`, R_REFUSED);
        return outcomeText(o);
      }
      case 'restart':
        await restart(m, real, s.side as 0 | 1);
        return 'ok';
      case 'compromise': {
        const side = s.side as 0 | 1;
        const sd = real.sides[side];
        const state = await exportState(sd, NAMES[side]);
        const copy = mustOk(await attempt(sd.a, 'session.import', { state }), `a copy of ${NAMES[side]}'s exported state is imported`, 'agent', ['SESS-008']);
        try {
          for (const msg of m.delivered.filter((x) => x.from !== side)) {
            const o = await attempt(sd.a, 'session.decrypt', { agent: copy, peer: NAMES[1 - side], message: real.bytes.get(msg.id)! });
            if (o.ok) throw new Violation(`a copy of ${NAMES[side]}'s state captured after message #${msg.id} was delivered decrypts it again (forward secrecy)`, ['DR-013']);
          }
        } finally {
          await freeAll(sd.a, [copy]);
        }
        return 'ok';
      }
      default:
        throw new Error(`unknown session step ${s.op}`);
    }
  },

  async teardown(real) {
    for (const sd of real.sides) await freeAll(sd.a, [sd.id]);
  },
};

/** Pending messages with an earlier pending message of the same sender: delivering one skips keys. */
function overtakers(m: SessionModel): SMsg[] {
  return m.pending.filter((x) => m.pending.some((y) => y.from === x.from && y.id < x.id));
}

/** Delivers a pending message: it decrypts to what was sent (DR-006, SESS-006). */
async function deliver(m: SessionModel, real: SessionReal, msg: SMsg): Promise<void> {
  const to = (1 - msg.from) as 0 | 1;
  const o = await attempt(real.sides[to].a, 'session.decrypt', { agent: real.sides[to].id, peer: NAMES[msg.from], message: real.bytes.get(msg.id)! });
  const notes = [`${m.pending.length - 1} others in flight`, ...(msg.restarted ? [`${NAMES[to]} restarted since it was sent`] : []), ...(msg.rollback ? [`${NAMES[msg.from]} was rolled back to an older export around it`] : [])];
  const what = `message #${msg.id} ${NAMES[msg.from]} -> ${NAMES[to]} delivered (${notes.join('; ')})`;
  const reqs = [...R_DELIVER, ...(msg.restarted ? ['SESS-008', 'REC-001'] : []), ...(msg.rollback ? ['SESS-012', 'DR-016'] : [])];
  expectEq(mustOk(o, what, 'plaintext', reqs), payloadHex(msg.len, msg.salt), what, reqs);
  m.pending.splice(m.pending.indexOf(msg), 1);
  m.delivered.push(msg);
  // The receiver's state moved on: its snapshots are no longer the same-chain case of SESS-012.
  for (const x of m.snapshots) if (x.side === to) x.valid = false;
}

/** Export, free, import: the side restarts from its current state (SESS-008). */
async function restart(m: SessionModel, real: SessionReal, side: 0 | 1): Promise<void> {
  for (const x of m.pending) if (x.from !== side) x.restarted = true;
  const sd = real.sides[side];
  const state = await exportState(sd, NAMES[side]);
  await attempt(sd.a, 'free', { id: sd.id });
  sd.id = mustOk(await attempt(sd.a, 'session.import', { state }), `${NAMES[side]} imports its exported state (restart)`, 'agent', ['SESS-008', 'REC-001']);
}

async function exportState(sd: Side, name: string): Promise<unknown> {
  const o = await attempt(sd.a, 'session.export', { agent: sd.id });
  if (!o.ok) throw new Violation(`${name}: session.export refused with ${o.kind}`, ['SESS-008']);
  if (o.result.state === undefined || o.result.state === null) throw new Violation(`${name}: session.export returned no "state"`, ['SESS-008']);
  return o.result.state;
}
