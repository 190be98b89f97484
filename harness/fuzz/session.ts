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
 * - a newer session with the same peer does not lose the older one's messages (SESS-005, SESS-006).
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
}

export interface SessionModel {
  pending: SMsg[];
  delivered: SMsg[];
  next: number;
  reinits: number;
  /** The implementation claims the agentsec/1 profile: error kinds are checked too. */
  profile: boolean;
  exportable: boolean;
}

interface Side {
  a: Adapter;
  id: string;
}

interface SessionReal {
  sides: [Side, Side];
  bytes: Map<number, string>;
}

const R_DELIVER = ['DR-006', 'SESS-006'];
const R_REFUSED = ['DR-008', 'SESS-007'];

export const sessionTarget: FuzzTarget<SessionInit, SessionModel, SessionReal> & { profileOf: (caps: Capabilities) => boolean } = {
  name: 'session',
  reqs: ['DR-006', 'DR-008', 'DR-009', 'DR-010', 'DR-013', 'SESS-005', 'SESS-006', 'SESS-007', 'SESS-008'],
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
    }
    return out;
  },

  model() {
    return { pending: [], delivered: [], next: 0, reinits: 0, profile: false, exportable: false };
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
    const real: SessionReal = { sides: sides as [Side, Side], bytes: new Map() };
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
        m.pending.push({ id, from, len, salt });
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
        return 'ok';
      }
      case 'deliver': {
        const msg = m.pending[(s.pick as number) % m.pending.length]!;
        const to = (1 - msg.from) as 0 | 1;
        const o = await dec(to, real.bytes.get(msg.id)!);
        const what = `message #${msg.id} ${NAMES[msg.from]} -> ${NAMES[to]} delivered (${m.pending.length - 1} others in flight)`;
        expectEq(mustOk(o, what, 'plaintext', R_DELIVER), payloadHex(msg.len, msg.salt), what, R_DELIVER);
        m.pending.splice(m.pending.indexOf(msg), 1);
        m.delivered.push(msg);
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
      case 'restart': {
        const side = s.side as 0 | 1;
        const sd = real.sides[side];
        const state = await exportState(sd, NAMES[side]);
        await attempt(sd.a, 'free', { id: sd.id });
        sd.id = mustOk(await attempt(sd.a, 'session.import', { state }), `${NAMES[side]} imports its exported state (restart)`, 'agent', ['SESS-008']);
        return 'ok';
      }
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

async function exportState(sd: Side, name: string): Promise<unknown> {
  const o = await attempt(sd.a, 'session.export', { agent: sd.id });
  if (!o.ok) throw new Violation(`${name}: session.export refused with ${o.kind}`, ['SESS-008']);
  if (o.result.state === undefined || o.result.state === null) throw new Violation(`${name}: session.export returned no "state"`, ['SESS-008']);
  return o.result.state;
}
