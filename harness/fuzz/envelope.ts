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
 * - while the KMS fails every call, seal, open and rewrap are `internal` and change nothing (ENV-018, ENV-026).
 */
import type { Arbitrary } from 'fast-check';
import type { ErrorKind } from '../../reference/errors.js';
import { attempt, expectEq, flipBit, mustOk, mustRefuse, outcomeText, payloadHex, truncateHex, Violation, type FuzzTarget, type Json, type Lane, type StepData } from './kit.js';

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

export const envelopeTarget: FuzzTarget<EnvelopeInit, EnvelopeModel, EnvelopeReal> = {
  name: 'envelope',
  reqs: ['ENV-002', 'ENV-009', 'ENV-010', 'ENV-018', 'ENV-020', 'ENV-021', 'ENV-023', 'ENV-026'],

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
        const o = await attempt(iut, 'envelope.seal', { plaintext: payloadHex(s.len as number, s.salt as number), context: CONTEXTS[s.ctx as number] });
        const e = mustOk(o, `seal of ${s.len} bytes`, 'envelope', ['ENV-002']);
        const id = m.next++;
        real.bytes.set(id, e);
        m.envs.push({ id, len: s.len as number, salt: s.salt as number, ctx: s.ctx as number, version: m.current });
        return 'ok';
      }
      case 'open': {
        const e = env();
        const ctx = s.ctx === null ? e.ctx : (s.ctx as number);
        const o = await attempt(iut, 'envelope.open', { envelope: real.bytes.get(e.id)!, context: CONTEXTS[ctx] });
        const what = `open of ${label(e)}${ctx === e.ctx ? '' : ` with context ${JSON.stringify(CONTEXTS[ctx])}`}`;
        if (ctx !== e.ctx) mustRefuse(o, what, ['ENV-010'], retired(e) ? ['auth_failure', 'state_failure'] : ['auth_failure']);
        else if (retired(e)) mustRefuse(o, what, ['ENV-021'], ['state_failure']);
        else expectEq(mustOk(o, what, 'plaintext', ['ENV-002', 'ENV-023', 'ENV-026']), payloadHex(e.len, e.salt), what, ['ENV-002']);
        return outcomeText(o);
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
        const e = env();
        const o = await attempt(iut, 'envelope.rewrap', { envelope: real.bytes.get(e.id)! });
        if (retired(e)) {
          mustRefuse(o, `rewrap of ${label(e)}`, ['ENV-021'], ['state_failure']);
          return outcomeText(o);
        }
        const moved = mustOk(o, `rewrap of ${label(e)}`, 'envelope', ['ENV-020']);
        const id = m.next++;
        real.bytes.set(id, moved);
        m.envs.push({ ...e, id, version: m.current });
        return 'ok';
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
