/**
 * Fuzz target `envelope`: seal, open (with the right or a wrong context), tamper, truncate, KEK
 * rotation, rewrap, retirement of old KEK versions and KMS faults (throttling, internal errors) in
 * any interleaving, against the lane's KMS endpoint, checked against the model of the envelope
 * rotation spec (spec/models, restated): each envelope is (plaintext, context, KEK version);
 *
 * - an envelope opens to its plaintext with its context while its version is not retired (ENV-002, ENV-023);
 * - another context is `auth_failure` (ENV-010); a changed or cut envelope is refused (ENV-009);
 * - rewrap moves it to the current version with the same plaintext and context (ENV-020);
 * - under a retired version open and rewrap are `state_failure` (ENV-021);
 * - while the KMS fails every call, seal, open and rewrap are `internal` and change nothing (ENV-018, ENV-026);
 * - a slow KMS changes no outcome: with every KMS answer delayed, or with the implementation's KMS
 *   calls held at a gate while the fuzzer rotates the key or retires old versions and then released,
 *   the operation ends as the model says for a KMS that served it after that change (ENV-026, ENV-028).
 *   Holds are released on events (the call reached the gate, or the operation ended without a KMS
 *   call), never after a time.
 */
import type { Arbitrary } from 'fast-check';
import type { ErrorKind } from '../../reference/errors.js';
import { attempt, expectEq, flipBit, mustOk, mustRefuse, outcomeText, payloadHex, truncateHex, Violation, type FuzzTarget, type Json, type Lane, type Outcome, type StepData } from './kit.js';

/** Longest injected KMS delay: far below any sensible KMS deadline (the reference adapter's is 2 s, ENV-028). */
export const MAX_DELAY_MS = 50;

/** Contexts the steps draw from; {a:"bc"} and {ab:"c"} must not be confused (ENV-012). */
export const CONTEXTS: ReadonlyArray<Record<string, string>> = [{}, { tenant: 'acme' }, { tenant: 'acme', object: 'reports/2026.pdf' }, { a: 'bc' }, { ab: 'c' }];

export interface EnvelopeInit {
  [k: string]: Json;
  salt: number;
}

interface Env {
  id: number;
  len: number;
  salt: number;
  ctx: number;
  /** KEK version index relative to the run's start (0 = current at setup). */
  version: number;
}

export interface EnvelopeModel {
  envs: Env[];
  next: number;
  /** Current KEK version (relative). */
  current: number;
  /** Versions below this are retired. */
  retiredBelow: number;
}

interface EnvelopeReal {
  bytes: Map<number, string>;
}

function kmsOf(lane: Lane) {
  if (!lane.kms) throw new Error('the envelope target needs the lane KMS');
  return lane.kms;
}

/** One envelope operation: its adapter call and the model's verdict on its outcome (read at judge time). */
interface EnvOp {
  method: string;
  params: Record<string, unknown>;
  /** Checks the outcome against the model as it is now, advances the model; `how` qualifies the step. */
  judge(o: Outcome, how: string): string;
}

const isRetired = (m: EnvelopeModel, e: Env): boolean => e.version < m.retiredBelow;
const labelOf = (m: EnvelopeModel, e: Env): string => `envelope #${e.id} (KEK version +${e.version}${isRetired(m, e) ? ', retired' : ''}, context ${JSON.stringify(CONTEXTS[e.ctx])})`;

function sealOp(m: EnvelopeModel, real: EnvelopeReal, len: number, salt: number, ctx: number): EnvOp {
  return {
    method: 'envelope.seal',
    params: { plaintext: payloadHex(len, salt), context: CONTEXTS[ctx] },
    judge(o, how) {
      const e = mustOk(o, `seal of ${len} bytes${how}`, 'envelope', ['ENV-002', ...(how ? ['ENV-026'] : [])]);
      const id = m.next++;
      real.bytes.set(id, e);
      m.envs.push({ id, len, salt, ctx, version: m.current });
      return 'ok';
    },
  };
}

function openOp(m: EnvelopeModel, real: EnvelopeReal, e: Env, ctx: number): EnvOp {
  return {
    method: 'envelope.open',
    params: { envelope: real.bytes.get(e.id)!, context: CONTEXTS[ctx] },
    judge(o, how) {
      const what = `open of ${labelOf(m, e)}${ctx === e.ctx ? '' : ` with context ${JSON.stringify(CONTEXTS[ctx])}`}${how}`;
      if (ctx !== e.ctx) mustRefuse(o, what, ['ENV-010'], isRetired(m, e) ? ['auth_failure', 'state_failure'] : ['auth_failure']);
      else if (isRetired(m, e)) mustRefuse(o, what, ['ENV-021'], ['state_failure']);
      else expectEq(mustOk(o, what, 'plaintext', ['ENV-002', 'ENV-023', 'ENV-026']), payloadHex(e.len, e.salt), what, ['ENV-002']);
      return outcomeText(o);
    },
  };
}

function rewrapOp(m: EnvelopeModel, real: EnvelopeReal, e: Env): EnvOp {
  return {
    method: 'envelope.rewrap',
    params: { envelope: real.bytes.get(e.id)! },
    judge(o, how) {
      if (isRetired(m, e)) {
        mustRefuse(o, `rewrap of ${labelOf(m, e)}${how}`, ['ENV-021'], ['state_failure']);
        return outcomeText(o);
      }
      const moved = mustOk(o, `rewrap of ${labelOf(m, e)}${how}`, 'envelope', ['ENV-020', ...(how ? ['ENV-026'] : [])]);
      const id = m.next++;
      real.bytes.set(id, moved);
      m.envs.push({ ...e, id, version: m.current });
      return 'ok';
    },
  };
}

export const envelopeTarget: FuzzTarget<EnvelopeInit, EnvelopeModel, EnvelopeReal> = {
  name: 'envelope',
  reqs: ['ENV-002', 'ENV-009', 'ENV-010', 'ENV-018', 'ENV-020', 'ENV-021', 'ENV-023', 'ENV-026', 'ENV-028'],

  applies: (caps) => (caps.envelope?.kms.includes('aws') ? true : 'the implementation does not claim envelope.kms "aws"'),

  init(fc) {
    return fc.record({ salt: fc.nat(0xffff) });
  },

  steps(fc) {
    const ctx = fc.nat(CONTEXTS.length - 1);
    const out: Arbitrary<StepData>[] = [
      fc.record({ op: fc.constant('seal'), len: fc.oneof({ weight: 5, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: fc.integer({ min: 65, max: 8192 }) }), salt: fc.nat(0xffff), ctx }),
      fc.record({ op: fc.constant('open'), pick: fc.nat(31), ctx: fc.option(ctx, { freq: 2 }) }),
      fc.record({ op: fc.constant('open'), pick: fc.nat(31), ctx: fc.constant(null) }),
      fc.record({ op: fc.constant('tamper'), pick: fc.nat(31), pos: fc.nat(), bit: fc.nat(7) }),
      fc.record({ op: fc.constant('truncate'), pick: fc.nat(31), at: fc.nat() }),
      fc.record({ op: fc.constant('rotate') }),
      fc.record({ op: fc.constant('rewrap'), pick: fc.nat(31) }),
      fc.record({ op: fc.constant('retire') }),
      fc.record({ op: fc.constant('kms_fault'), how: fc.constantFrom('throttle', 'internal'), during: fc.constantFrom('seal', 'open', 'rewrap'), pick: fc.nat(31) }),
      // @req CONF-182: slow KMS answers, by a short delay or held at a gate while the key changes.
      fc.record({ op: fc.constant('kms_delay'), ms: fc.integer({ min: 1, max: MAX_DELAY_MS }), during: fc.constantFrom('seal', 'open', 'rewrap'), pick: fc.nat(31) }),
      fc.record({ op: fc.constant('kms_hold'), during: fc.constantFrom('seal', 'open', 'rewrap'), meanwhile: fc.constantFrom('none', 'rotate', 'retire'), pick: fc.nat(31) }),
    ];
    return out;
  },

  model() {
    return { envs: [], next: 0, current: 0, retiredBelow: 0 };
  },

  async setup(lane, _init, model) {
    kmsOf(lane).clearFaults();
    model.current = 0;
    return { bytes: new Map() };
  },

  check(m, s) {
    switch (s.op) {
      case 'seal':
      case 'rotate':
        return true;
      case 'retire':
        return m.retiredBelow < m.current;
      case 'kms_fault':
        return s.during === 'seal' || m.envs.some((e) => e.version >= m.retiredBelow);
      case 'kms_delay':
        return s.during === 'seal' || m.envs.length > 0;
      case 'kms_hold':
        return (s.during === 'seal' || m.envs.length > 0) && (s.meanwhile !== 'retire' || m.retiredBelow < m.current);
      default:
        return m.envs.length > 0;
    }
  },

  async step(m, s, real, lane) {
    const iut = lane.iut;
    const kms = kmsOf(lane);
    const retired = (e: Env): boolean => e.version < m.retiredBelow;
    const env = (): Env => m.envs[(s.pick as number) % m.envs.length]!;
    const label = (e: Env): string => `envelope #${e.id} (KEK version +${e.version}${retired(e) ? ', retired' : ''}, context ${JSON.stringify(CONTEXTS[e.ctx])})`;
    switch (s.op) {
      case 'seal': {
        const op = sealOp(m, real, s.len as number, s.salt as number, s.ctx as number);
        return op.judge(await attempt(iut, op.method, op.params), '');
      }
      case 'open': {
        const e = env();
        const ctx = s.ctx === null ? e.ctx : (s.ctx as number);
        const op = openOp(m, real, e, ctx);
        return op.judge(await attempt(iut, op.method, op.params), '');
      }
      case 'tamper':
      case 'truncate': {
        const e = env();
        const bytes = real.bytes.get(e.id)!;
        const bad = s.op === 'tamper' ? flipBit(bytes, s.pos as number, s.bit as number) : truncateHex(bytes, s.at as number);
        const o = await attempt(iut, 'envelope.open', { envelope: bad, context: CONTEXTS[e.ctx] });
        mustRefuse(o, `open of ${label(e)} ${s.op === 'tamper' ? 'with one bit flipped' : 'truncated'}`, ['ENV-009']);
        return outcomeText(o);
      }
      case 'rotate':
        await kms.rotate();
        m.current++;
        return 'ok';
      case 'retire':
        kms.retireOld();
        m.retiredBelow = m.current;
        return 'ok';
      case 'rewrap': {
        const op = rewrapOp(m, real, env());
        return op.judge(await attempt(iut, op.method, op.params), '');
      }
      case 'kms_delay': {
        // @req CONF-182
        const op = s.during === 'seal' ? sealOp(m, real, 4, s.pick as number, 0) : s.during === 'open' ? openOp(m, real, env(), env().ctx) : rewrapOp(m, real, env());
        kms.delay(s.ms as number);
        let o;
        try {
          o = await attempt(iut, op.method, op.params);
        } finally {
          kms.clearFaults();
        }
        return op.judge(o, ` with every KMS answer delayed ${s.ms} ms`);
      }
      case 'kms_hold': {
        // @req CONF-182
        const op = s.during === 'seal' ? sealOp(m, real, 4, s.pick as number, 0) : s.during === 'open' ? openOp(m, real, env(), env().ctx) : rewrapOp(m, real, env());
        const meanwhile = s.meanwhile as 'none' | 'rotate' | 'retire';
        const change = async (): Promise<void> => {
          if (meanwhile === 'rotate') {
            await kms.rotate();
            m.current++;
          } else if (meanwhile === 'retire') {
            kms.retireOld();
            m.retiredBelow = m.current;
          }
        };
        const gate = kms.hold();
        let o;
        let arrived: boolean;
        try {
          const call = attempt(iut, op.method, op.params);
          call.catch(() => undefined); // awaited below; a fault must not go unhandled while the change runs
          // Whichever comes first: a KMS call waits at the gate, or the operation ends without one.
          arrived = await Promise.race([gate.whenArrived(1).then(() => true), call.then(() => false)]);
          if (arrived) await change();
          kms.clearFaults();
          o = await call;
        } finally {
          kms.clearFaults();
        }
        const during = meanwhile === 'none' ? 'held' : meanwhile === 'rotate' ? 'held while the key was rotated' : 'held while old KEK versions were retired';
        if (arrived) return op.judge(o, ` with its KMS calls ${during}`);
        // No KMS call: the operation came before the change.
        const text = op.judge(o, ' (no KMS call reached the gate)');
        await change();
        return text;
      }
      case 'kms_fault': {
        const how = s.how as 'throttle' | 'internal';
        const live = m.envs.filter((x) => !retired(x));
        const e = live.length > 0 ? live[(s.pick as number) % live.length]! : undefined;
        const kinds: ErrorKind[] = ['internal'];
        kms.fail(how);
        let o;
        try {
          if (s.during === 'seal' || !e) o = await attempt(iut, 'envelope.seal', { plaintext: payloadHex(4, s.pick as number), context: CONTEXTS[0] });
          else if (s.during === 'open') o = await attempt(iut, 'envelope.open', { envelope: real.bytes.get(e.id)!, context: CONTEXTS[e.ctx] });
          else o = await attempt(iut, 'envelope.rewrap', { envelope: real.bytes.get(e.id)! });
        } finally {
          kms.clearFaults();
        }
        mustRefuse(o, `${s.during === 'seal' || !e ? 'seal' : `${s.during} of ${label(e)}`} while the KMS answers every call with ${how === 'throttle' ? 'ThrottlingException' : 'KMSInternalException'}`, ['ENV-018'], kinds);
        return outcomeText(o);
      }
      default:
        throw new Violation(`unknown envelope step ${s.op}`, []);
    }
  },

  async teardown() {},
};
