/**
 * Fuzz target `noise`: a handshake of any protocol both the IUT (and, for interop pairings, the
 * reference) claim, with random payload sizes and an optional corrupted handshake message, then a
 * random sequence of transport steps -- write, deliver in any order, replay, drop, tamper, truncate,
 * rekey, set_nonce near 2^64 -- checked against a model of each direction's CipherState:
 * (send nonce, receive nonce, send key epoch, receive key epoch, messages in flight).
 *
 * The model's rules (spec/noise.md): a message decrypts iff it was written with the receiver's
 * current nonce and key epoch (NOISE-012, NOISE-016); anything else, a changed bit or a cut message is
 * refused and leaves the receiver as it was (NOISE-014, NOISE-033); nonce 2^64-1 is never used
 * (NOISE-013, NOISE-034); a one-way pattern's responder never sends (NOISE-025); a payload over
 * 65519 bytes is refused (NOISE-010); a corrupted authenticated handshake message fails the
 * handshake for good (NOISE-007, NOISE-023); both sides end with the same handshake hash (NOISE-020).
 */
import type { Arbitrary } from 'fast-check';
import { x25519 } from '@noble/curves/ed25519.js';
import { createHash } from 'node:crypto';
import { BASE_PATTERN_NAMES, parseProtocolName } from '../../reference/index.js';
import type { Adapter, Capabilities } from '../conform/types.js';
import { claims } from '../suites/noise.js';
import { attempt, expectEq, outcomeText, flipBit, freeAll, mustOk, mustRefuse, payloadHex, truncateHex, Violation, type FuzzTarget, type Json, type StepData, type TargetContext } from './kit.js';

const MAX = 2n ** 64n - 1n;
export const MAX_PAYLOAD = 65535 - 16;

type Pairing = 'iut' | 'iut-initiator' | 'iut-responder';

export interface NoiseInit {
  [k: string]: Json;
  protocol: string;
  pairing: Pairing;
  keys: number;
  /** Payload lengths of the handshake messages (message n uses lens[n % lens.length]). */
  lens: number[];
  /** A corrupted handshake message (its index among the authenticated ones, modulo their count). */
  fault: null | { kind: 'tamper' | 'truncate'; msg: number; pos: number; bit: number };
}

interface NMsg {
  id: number;
  nonce: bigint;
  epoch: number;
  len: number;
  salt: number;
}

interface Dir {
  sendNonce: bigint;
  recvNonce: bigint;
  sendEpoch: number;
  recvEpoch: number;
  pending: NMsg[];
  delivered: NMsg[];
}

export interface NoiseModel {
  phase: 'transport' | 'dead';
  oneWay: boolean;
  dirs: [Dir, Dir];
  next: number;
}

interface NoiseReal {
  parties: [{ a: Adapter; id: string }, { a: Adapter; id: string }];
  bytes: Map<number, string>;
}

const R_TRANSPORT = ['NOISE-012', 'NOISE-014', 'NOISE-033'];

/** Protocols to draw from: every base pattern (with psk and hfs variants) the capabilities claim. */
export function candidateProtocols(caps: Capabilities, also?: Capabilities): string[] {
  const n = caps.noise;
  if (!n) return [];
  const sections = BASE_PATTERN_NAMES.flatMap((b) => [b, `${b}psk0`, `${b}psk2`]);
  const out: string[] = [];
  for (const cipher of n.cipher) {
    for (const hash of n.hash) {
      for (const s of sections) out.push(`Noise_${s}_25519_${cipher}_${hash}`);
      for (const kem of n.hfs ?? []) for (const b of ['NN', 'XX', 'IK']) out.push(`Noise_${b}hfs_25519+${kem}_${cipher}_${hash}`);
    }
  }
  return out.filter((p) => {
    try {
      parseProtocolName(p);
    } catch {
      return false;
    }
    return claims(caps, p) === true && (also === undefined || claims(also, p) === true);
  });
}

/** Whether handshake message `msg`'s payload is encrypted: a change anywhere in it must be refused. */
function authenticated(protocol: string, msg: number): boolean {
  const p = parseProtocolName(protocol).pattern;
  return p.messages.slice(0, msg + 1).some((m) => m.some((t) => ['ee', 'es', 'se', 'ss', 'psk'].includes(t) || (p.hasPsk && t === 'e')));
}

function keyFor(seed: number, role: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`agentsec-fuzz/noise\0${seed}\0${role}`).digest());
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const sideName = (s: number): string => (s === 0 ? 'initiator' : 'responder');

function pick<T>(xs: T[], i: number): T | undefined {
  return xs.length === 0 ? undefined : xs[i % xs.length];
}

export const noiseTarget: FuzzTarget<NoiseInit, NoiseModel, NoiseReal> = {
  name: 'noise',
  reqs: ['NOISE-007', 'NOISE-010', 'NOISE-012', 'NOISE-013', 'NOISE-014', 'NOISE-016', 'NOISE-017', 'NOISE-020', 'NOISE-023', 'NOISE-025', 'NOISE-033', 'NOISE-034'],

  applies: (caps) => (candidateProtocols(caps).length > 0 ? true : 'the implementation claims no Noise protocol on 25519 this target knows'),

  init(fc, ctx: TargetContext) {
    const own = candidateProtocols(ctx.caps);
    const both = ctx.refCaps && !ctx.differential ? candidateProtocols(ctx.caps, ctx.refCaps) : [];
    const pairing = both.length > 0 ? fc.constantFrom<Pairing>('iut', 'iut-initiator', 'iut-responder') : fc.constant<Pairing>('iut');
    return fc
      .record({
        pairing,
        protocolIndex: fc.nat(),
        keys: fc.nat(),
        lens: fc.array(fc.oneof({ weight: 4, arbitrary: fc.nat(48) }, { weight: 1, arbitrary: fc.integer({ min: 49, max: 1024 }) }), { minLength: 1, maxLength: 4 }),
        fault: fc.option(fc.record({ kind: fc.constantFrom<'tamper' | 'truncate'>('tamper', 'truncate'), msg: fc.nat(3), pos: fc.nat(), bit: fc.nat(7) }), { freq: 5 }),
      })
      .map(({ pairing, protocolIndex, ...rest }): NoiseInit => {
        const list = pairing === 'iut' ? own : both;
        return { protocol: list[protocolIndex % list.length]!, pairing, ...rest };
      });
  },

  steps(fc, ctx) {
    const n = ctx.caps.noise;
    const side = fc.constantFrom(0, 1);
    const len = fc.oneof({ weight: 8, arbitrary: fc.nat(64) }, { weight: 2, arbitrary: fc.integer({ min: 65, max: 4096 }) }, { weight: 1, arbitrary: fc.constantFrom(MAX_PAYLOAD, MAX_PAYLOAD + 1, 65535) });
    const out: Arbitrary<StepData>[] = [
      fc.record({ op: fc.constant('write'), from: side, len, salt: fc.nat(0xffff) }),
      fc.record({ op: fc.constant('write'), from: side, len, salt: fc.nat(0xffff) }),
      fc.record({ op: fc.constant('deliver'), dir: side, pick: fc.nat(15) }),
      fc.record({ op: fc.constant('deliver'), dir: side, pick: fc.constant(0) }),
      fc.record({ op: fc.constant('deliver'), dir: side, pick: fc.constant(0) }),
      fc.record({ op: fc.constant('replay'), dir: side, pick: fc.nat(15) }),
      fc.record({ op: fc.constant('drop'), dir: side, pick: fc.nat(15) }),
      fc.record({ op: fc.constant('tamper'), dir: side, pick: fc.nat(15), pos: fc.nat(), bit: fc.nat(7) }),
      fc.record({ op: fc.constant('truncate'), dir: side, pick: fc.nat(15), at: fc.nat() }),
    ];
    if (n?.rekey) {
      out.push(fc.record({ op: fc.constant('rekey'), side, direction: fc.constantFrom('send', 'recv') }));
      // Both ends of one direction, as an application rekeys in step with its peer.
      out.push(fc.record({ op: fc.constant('rekey_pair'), dir: side }));
    }
    if (n?.set_nonce) {
      out.push(fc.record({ op: fc.constant('set_nonce'), side, direction: fc.constantFrom('send', 'recv'), to: fc.constantFrom('max', 'max-1', 'max-2', '+0', '+1', '+2') }));
    }
    return out;
  },

  model(init) {
    const dir = (): Dir => ({ sendNonce: 0n, recvNonce: 0n, sendEpoch: 0, recvEpoch: 0, pending: [], delivered: [] });
    return { phase: 'transport', oneWay: parseProtocolName(init.protocol).pattern.oneWay, dirs: [dir(), dir()], next: 0 };
  },

  async setup(lane, init, model) {
    const proto = parseProtocolName(init.protocol);
    const pat = proto.pattern;
    const ref = lane.reference;
    const on = (initiator: boolean): Adapter => {
      if (init.pairing === 'iut' || !ref) return lane.iut;
      return (init.pairing === 'iut-initiator') === initiator ? lane.iut : ref;
    };
    const statics = [keyFor(init.keys, 'i'), keyFor(init.keys, 'r')];
    const psks = Array.from({ length: pat.messages.flat().filter((t) => t === 'psk').length }, (_, k) => hex(keyFor(init.keys, `psk${k}`)));
    const usesS = (initiator: boolean): boolean =>
      (initiator ? pat.initiatorPre : pat.responderPre).includes('s') ||
      pat.messages.some((m, idx) => m.some((t) => (t === 's' && (idx % 2 === 0) === initiator) || t === 'ss' || (t === 'se' && initiator) || (t === 'es' && !initiator)));
    const prologue = payloadHex(8, init.keys);
    const ids: string[] = [];
    const make = async (initiator: boolean): Promise<{ a: Adapter; id: string }> => {
      const a = on(initiator);
      const params: Record<string, unknown> = { protocol: init.protocol, initiator, prologue };
      if (usesS(initiator)) params.s = hex(statics[initiator ? 0 : 1]!);
      if ((initiator ? pat.responderPre : pat.initiatorPre).includes('s')) params.rs = hex(x25519.getPublicKey(statics[initiator ? 1 : 0]!));
      if (psks.length) params.psks = psks;
      const id = mustOk(await attempt(a, 'noise.new', params), `noise.new (${init.protocol}, ${sideName(initiator ? 0 : 1)})`, 'id', ['NOISE-004']);
      ids.push(id);
      return { a, id };
    };
    const parties: NoiseReal['parties'] = [await make(true), await make(false)];
    const real: NoiseReal = { parties, bytes: new Map() };
    const authIdx = pat.messages.map((_, i) => i).filter((i) => authenticated(init.protocol, i));
    const faultAt = init.fault && authIdx.length > 0 ? authIdx[init.fault.msg % authIdx.length]! : -1;
    for (let n = 0; n < pat.messages.length; n++) {
      const w = parties[n % 2]!;
      const r = parties[1 - (n % 2)]!;
      const pl = payloadHex(init.lens[n % init.lens.length]!, 1000 + n);
      const what = `handshake message ${n} (${sideName(n % 2)} -> ${sideName(1 - (n % 2))})`;
      const msg = mustOk(await attempt(w.a, 'noise.write', { id: w.id, payload: pl }), `${what}: write`, 'message', ['NOISE-021']);
      if (n === faultAt && init.fault) {
        const bad = init.fault.kind === 'tamper' ? flipBit(msg, init.fault.pos, init.fault.bit) : truncateHex(msg, init.fault.pos);
        mustRefuse(await attempt(r.a, 'noise.read', { id: r.id, message: bad }), `${what}: a ${init.fault.kind === 'tamper' ? 'bit-flipped' : 'truncated'} copy (authenticated message)`, ['NOISE-007', 'NOISE-021']);
        mustRefuse(await attempt(r.a, 'noise.read', { id: r.id, message: msg }), `${what}: the genuine message after a refused corrupted copy`, ['NOISE-023']);
        model.phase = 'dead';
        return real;
      }
      const got = mustOk(await attempt(r.a, 'noise.read', { id: r.id, message: msg }), `${what}: read`, 'payload', ['NOISE-021']);
      expectEq(got, pl, `${what}: payload`, ['NOISE-021']);
    }
    const si = await attempt(parties[0].a, 'noise.state', { id: parties[0].id });
    const sr = await attempt(parties[1].a, 'noise.state', { id: parties[1].id });
    const hi = si.ok && si.result.complete === true ? si.result.handshake_hash : undefined;
    const hr = sr.ok && sr.result.complete === true ? sr.result.handshake_hash : undefined;
    if (typeof hi !== 'string' || typeof hr !== 'string') throw new Violation('after the last handshake message noise.state does not report complete with a handshake hash on both sides', ['NOISE-020']);
    if (hi !== hr) throw new Violation('the two sides report different handshake hashes', ['NOISE-020']);
    return real;
  },

  check(m, s) {
    if (m.phase !== 'transport') return false;
    const oneWayOk = (d: number): boolean => !m.oneWay || d === 0;
    const d = m.dirs[(s.dir as number) ?? 0]!;
    switch (s.op) {
      case 'write':
        return true;
      case 'deliver':
      case 'drop':
      case 'tamper':
      case 'truncate':
        return oneWayOk(s.dir as number) && d.pending.length > 0;
      case 'replay':
        return oneWayOk(s.dir as number) && d.delivered.length > 0;
      case 'rekey':
      case 'set_nonce':
        return !m.oneWay || (s.side === 0) === (s.direction === 'send');
      case 'rekey_pair':
        return oneWayOk(s.dir as number);
      default:
        return false;
    }
  },

  async step(m, s, real) {
    const party = (side: number) => real.parties[side]!;
    if (s.op === 'write') {
      const from = s.from as number;
      const len = s.len as number;
      const d = m.dirs[from]!;
      const p = party(from);
      const o = await attempt(p.a, 'noise.write', { id: p.id, payload: payloadHex(len, s.salt as number) });
      const what = `${sideName(from)} writes ${len} bytes`;
      if (m.oneWay && from === 1) {
        mustRefuse(o, `${what} in a one-way pattern`, ['NOISE-025']);
      } else if (len > MAX_PAYLOAD) {
        mustRefuse(o, `${what} (over 65519)`, ['NOISE-010']);
      } else if (d.sendNonce === MAX) {
        mustRefuse(o, `${what} with its send nonce at 2^64-1`, ['NOISE-013', 'NOISE-034'], ['state_failure']);
      } else {
        const msg = mustOk(o, what, 'message', R_TRANSPORT);
        if (msg.length / 2 !== len + 16) throw new Violation(`${what}: the message has ${msg.length / 2} bytes, expected payload + 16`, ['NOISE-012']);
        const id = m.next++;
        real.bytes.set(id, msg);
        d.pending.push({ id, nonce: d.sendNonce, epoch: d.sendEpoch, len, salt: s.salt as number });
        d.sendNonce++;
      }
      return outcomeText(o);
    }
    if (s.op === 'rekey_pair') {
      const dirIdx = s.dir as number;
      const d = m.dirs[dirIdx]!;
      for (const [side, direction] of [[dirIdx, 'send'], [1 - dirIdx, 'recv']] as const) {
        const p = party(side);
        const o = await attempt(p.a, 'noise.rekey', { id: p.id, direction });
        if (!o.ok) throw new Violation(`${sideName(side)} rekey ${direction}: refused with ${o.kind}, the model says it succeeds`, ['NOISE-016']);
      }
      d.sendEpoch++;
      d.recvEpoch++;
      return 'ok';
    }
    if (s.op === 'rekey' || s.op === 'set_nonce') {
      const side = s.side as number;
      const direction = s.direction as 'send' | 'recv';
      const d = m.dirs[direction === 'send' ? side : 1 - side]!;
      const p = party(side);
      if (s.op === 'rekey') {
        const o = await attempt(p.a, 'noise.rekey', { id: p.id, direction });
        if (!o.ok) throw new Violation(`${sideName(side)} rekey ${direction}: refused with ${o.kind}, the model says it succeeds`, ['NOISE-016']);
        if (direction === 'send') d.sendEpoch++;
        else d.recvEpoch++;
        return 'ok';
      }
      const cur = direction === 'send' ? d.sendNonce : d.recvNonce;
      const to = s.to as string;
      const n = to === 'max' ? MAX : to === 'max-1' ? MAX - 1n : to === 'max-2' ? MAX - 2n : cur + BigInt(to.slice(1));
      const target = n > MAX ? MAX : n;
      const o = await attempt(p.a, 'noise.set_nonce', { id: p.id, direction, n: target.toString() });
      if (!o.ok) throw new Violation(`${sideName(side)} set_nonce ${direction} ${target}: refused with ${o.kind}, the model says it succeeds`, ['NOISE-017']);
      if (direction === 'send') d.sendNonce = target;
      else d.recvNonce = target;
      return 'ok';
    }
    const dirIdx = s.dir as number;
    const d = m.dirs[dirIdx]!;
    const r = party(1 - dirIdx);
    const label = `${sideName(dirIdx)} -> ${sideName(1 - dirIdx)}`;
    if (s.op === 'drop') {
      const i = (s.pick as number) % d.pending.length;
      d.pending.splice(i, 1);
      return 'dropped';
    }
    const list = s.op === 'replay' ? d.delivered : d.pending;
    const msg = pick(list, s.pick as number)!;
    const bytes = real.bytes.get(msg.id)!;
    const what = `${label} message #${msg.id} (nonce ${msg.nonce}, epoch ${msg.epoch}; receiver at nonce ${d.recvNonce}, epoch ${d.recvEpoch})`;
    if (s.op === 'tamper' || s.op === 'truncate') {
      const bad = s.op === 'tamper' ? flipBit(bytes, s.pos as number, s.bit as number) : truncateHex(bytes, s.at as number);
      const o = await attempt(r.a, 'noise.read', { id: r.id, message: bad });
      mustRefuse(o, `${what}, ${s.op === 'tamper' ? 'one bit flipped' : 'truncated'}`, ['NOISE-014', 'NOISE-033']);
      return outcomeText(o);
    }
    const o = await attempt(r.a, 'noise.read', { id: r.id, message: bytes });
    const decrypts = s.op === 'deliver' && d.recvNonce !== MAX && msg.nonce === d.recvNonce && msg.epoch === d.recvEpoch;
    if (decrypts) {
      const got = mustOk(o, `${what} delivered`, 'payload', R_TRANSPORT);
      expectEq(got, payloadHex(msg.len, msg.salt), `${what} delivered: payload`, R_TRANSPORT);
      d.recvNonce++;
      d.pending.splice(d.pending.indexOf(msg), 1);
      d.delivered.push(msg);
    } else if (d.recvNonce === MAX) {
      mustRefuse(o, `${what}: receive nonce at 2^64-1`, ['NOISE-013', 'NOISE-034']);
    } else {
      mustRefuse(o, `${what} ${s.op === 'replay' ? 'replayed' : 'out of order or under another key'}`, ['NOISE-012', 'NOISE-014', 'NOISE-016', 'NOISE-033'], ['auth_failure']);
    }
    return outcomeText(o);
  },

  async teardown(real) {
    for (const p of real.parties) await freeAll(p.a, [p.id]);
  },
};
