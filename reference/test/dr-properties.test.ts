/**
 * Property and model-based tests of sessions (fixed seeds, printed with the counts):
 * - nonce uniqueness over >= 10,000 encryptions across restarts and crash points (DR-016, SESS-012);
 * - a fast-check model of delivered / pending message ids under send, deliver, drop, reorder,
 *   duplicate, tamper, restart and compromise commands (DR-006, DR-008, DR-009, SESS-008, DR-013);
 * - forward secrecy and post-compromise security as black-box properties (DR-013, DR-014).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import type { CryptoProvider } from '../crypto/index.js';
import { AgentsecError } from '../errors.js';
import { exportAgent, importAgent, MemoryWatermarkStore, SessionAgent } from '../session/index.js';
import { dec, enc, seededProvider, snapshot } from './session-fixtures.js';

const KEY = fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf');

/** Records every AEAD seal's (key, nonce) pair; returns how many repeats it saw. */
function recordingProvider(p: CryptoProvider): { p: CryptoProvider; seals: () => number; repeats: () => number } {
  const seen = new Set<string>();
  let seals = 0;
  let repeats = 0;
  const aead = p.aead.bind(p);
  return {
    seals: () => seals,
    repeats: () => repeats,
    p: {
      ...p,
      aead: (n) => {
        const a = aead(n);
        return {
          ...a,
          seal: (k, nonce, pt, ad) => {
            const id = toHex(k) + toHex(nonce);
            seals++;
            if (seen.has(id)) repeats++;
            seen.add(id);
            return a.seal(k, nonce, pt, ad);
          },
        };
      },
    },
  };
}

/** mulberry32: the schedule's PRNG (fixed seed, printed). */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

interface CrashRun {
  seals: number;
  repeats: number;
  crashes: number;
  persists: number;
  reinitiated: number;
  decrypted: number;
  refused: Record<string, number>;
}

/** Two agents exchanging messages; sides persist at random and crash back to their last persisted record. */
/** `keepWatermarks: false`: a deployment that loses its watermark store in a crash (no rollback guard). */
function crashRun(seed: number, target: number, keepWatermarks = true): CrashRun {
  const base = seededProvider(`nonce-${seed}`);
  const rec = recordingProvider(base);
  const rnd = prng(seed);
  const names = ['alice', 'bob'] as const;
  const wm = [new MemoryWatermarkStore(), new MemoryWatermarkStore()];
  const agents = names.map((_, i) => SessionAgent.create(rec.p, { kind: 'x3dh', oneTimePrekeys: 4, watermarks: wm[i]! }));
  const persisted = agents.map((a) => exportAgent(base, a, KEY));
  const queues: Uint8Array[][] = [[], []];
  const out: CrashRun = { seals: 0, repeats: 0, crashes: 0, persists: 0, reinitiated: 0, decrypted: 0, refused: {} };
  let sent = 0;
  queues[1]!.push(agents[0]!.initiate('bob', agents[1]!.bundle(), enc('start')));
  sent++;
  while (sent < target) {
    const r = rnd(100);
    const i = rnd(2);
    const j = 1 - i;
    const me = agents[i]!;
    if (r < 45) {
      for (let k = 0, n = 1 + rnd(8); k < n; k++) {
        try {
          queues[j]!.push(me.encrypt(names[j]!, enc(`m${sent}`)));
        } catch (e) {
          // After a crash: no session yet (state older than the first message), or a rollback the watermark refuses.
          if (!(e instanceof AgentsecError) || !['NO_SESSION', 'ROLLBACK_DETECTED', 'NO_SENDING_CHAIN'].includes(e.reason)) throw e;
          queues[j]!.push(me.initiate(names[j]!, agents[j]!.bundle(), enc(`m${sent}`)));
          out.reinitiated++;
        }
        sent++;
      }
    } else if (r < 80) {
      const q = queues[i]!;
      for (let k = 0, n = Math.min(q.length, 1 + rnd(10)); k < n; k++) {
        const m = q.splice(rnd(q.length), 1)[0]!;
        try {
          me.decrypt(names[j]!, m);
          out.decrypted++;
        } catch (e) {
          if (!(e instanceof AgentsecError)) throw e;
          // Legitimate after crashes: a receiver that lost a session, or messages of a session it no longer has.
          out.refused[e.reason] = (out.refused[e.reason] ?? 0) + 1;
        }
      }
    } else if (r < 97) {
      persisted[i] = exportAgent(base, me, KEY);
      out.persists++;
    } else {
      // Crash: everything since the last persist is lost, the watermark store survives.
      if (!keepWatermarks) wm[i] = new MemoryWatermarkStore();
      agents[i] = importAgent(rec.p, persisted[i]!, KEY, { watermarks: wm[i]! });
      out.crashes++;
    }
  }
  out.seals = rec.seals();
  out.repeats = rec.repeats();
  return out;
}

describe('nonce uniqueness across restarts and crash points', () => {
  it('DR-016 SESS-012: >= 10,000 encryptions with random persists and crashes never repeat a (key, nonce) pair', () => {
    const seed = 0x5e55;
    const r = crashRun(seed, 10_000);
    console.log(`[dr-properties] nonce run seed=${seed}: ${r.seals} AEAD seals, ${r.repeats} repeated (key, nonce), ${r.crashes} crashes, ${r.persists} persists, ${r.reinitiated} re-initiations, ${r.decrypted} decrypted, refused ${JSON.stringify(r.refused)}`);
    expect(r.seals).toBeGreaterThanOrEqual(10_000);
    expect(r.crashes).toBeGreaterThan(50);
    expect(r.decrypted).toBeGreaterThan(r.seals / 3);
    expect(r.repeats).toBe(0);
  });

  it('SESS-012: the same run finds repeats when the watermark store is lost in each crash', () => {
    const r = crashRun(0x5e55, 2_000, false);
    console.log(`[dr-properties] mutated nonce run: ${r.seals} seals, ${r.repeats} repeated (key, nonce)`);
    expect(r.repeats).toBeGreaterThan(0);
  });
});

// ---- model-based test ----

interface Msg {
  readonly id: number;
  readonly from: 0 | 1;
  readonly bytes: Uint8Array;
}
interface Model {
  pending: Msg[];
  delivered: Msg[];
  next: number;
}
interface Real {
  p: CryptoProvider;
  agents: SessionAgent[];
  wm: MemoryWatermarkStore[];
  compromises: number;
}
const NAMES = ['alice', 'bob'];

function refusedUnchanged(agent: SessionAgent, peer: string, bytes: Uint8Array): AgentsecError {
  const before = snapshot(agent);
  let err: unknown;
  try {
    agent.decrypt(peer, bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(AgentsecError);
  expect(snapshot(agent)).toBe(before);
  return err as AgentsecError;
}

class SendCmd implements fc.Command<Model, Real> {
  constructor(readonly from: 0 | 1) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const id = m.next++;
    m.pending.push({ id, from: this.from, bytes: r.agents[this.from]!.encrypt(NAMES[1 - this.from]!, enc(`#${id}`)) });
  }
  toString = (): string => `send(${NAMES[this.from]})`;
}

class DeliverCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.pending.length > 0;
  run(m: Model, r: Real): void {
    const msg = m.pending.splice(this.pick % m.pending.length, 1)[0]!;
    expect(dec(r.agents[1 - msg.from]!.decrypt(NAMES[msg.from]!, msg.bytes))).toBe(`#${msg.id}`);
    m.delivered.push(msg);
  }
  toString = (): string => `deliver(${this.pick})`;
}

class DropCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.pending.length > 0;
  run(m: Model): void {
    m.pending.splice(this.pick % m.pending.length, 1);
  }
  toString = (): string => `drop(${this.pick})`;
}

class ReorderCmd implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.pending.length > 1;
  run(m: Model): void {
    m.pending.reverse();
  }
  toString = (): string => 'reorder';
}

class DuplicateCmd implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.delivered.length > 0;
  run(m: Model, r: Real): void {
    const msg = m.delivered[this.pick % m.delivered.length]!;
    expect(refusedUnchanged(r.agents[1 - msg.from]!, NAMES[msg.from]!, msg.bytes).kind).toBe('duplicate');
  }
  toString = (): string => `duplicate(${this.pick})`;
}

class TamperCmd implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly pos: number,
    readonly bit: number,
  ) {}
  check = (m: Readonly<Model>): boolean => m.pending.length > 0;
  run(m: Model, r: Real): void {
    const msg = m.pending[this.pick % m.pending.length]!;
    const t = msg.bytes.slice();
    t[this.pos % t.length]! ^= 1 << this.bit;
    refusedUnchanged(r.agents[1 - msg.from]!, NAMES[msg.from]!, t);
  }
  toString = (): string => `tamper(${this.pick}, ${this.pos}, ${this.bit})`;
}

class RestartCmd implements fc.Command<Model, Real> {
  constructor(readonly side: 0 | 1) {}
  check = (): boolean => true;
  run(_m: Model, r: Real): void {
    r.agents[this.side] = importAgent(r.p, exportAgent(r.p, r.agents[this.side]!, KEY), KEY, { watermarks: r.wm[this.side]! });
  }
  toString = (): string => `restart(${NAMES[this.side]})`;
}

/** An attacker captures a side's state: it must not decrypt any message that side already received. */
class CompromiseCmd implements fc.Command<Model, Real> {
  constructor(readonly side: 0 | 1) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const copy = importAgent(r.p, exportAgent(r.p, r.agents[this.side]!, KEY), KEY);
    for (const msg of m.delivered.filter((x) => x.from !== this.side)) {
      expect(() => copy.decrypt(NAMES[msg.from]!, msg.bytes)).toThrow(AgentsecError);
    }
    r.compromises++;
  }
  toString = (): string => `compromise(${NAMES[this.side]})`;
}

const side = fc.constantFrom<0 | 1>(0, 1);
const commands = [
  side.map((s) => new SendCmd(s)),
  side.map((s) => new SendCmd(s)),
  fc.nat(1000).map((i) => new DeliverCmd(i)),
  fc.nat(1000).map((i) => new DeliverCmd(i)),
  fc.nat(1000).map((i) => new DropCmd(i)),
  fc.constant(new ReorderCmd()),
  fc.nat(1000).map((i) => new DuplicateCmd(i)),
  fc.tuple(fc.nat(1000), fc.nat(4000), fc.nat(7)).map(([i, p, b]) => new TamperCmd(i, p, b)),
  side.map((s) => new RestartCmd(s)),
  side.map((s) => new CompromiseCmd(s)),
];

describe('model-based: delivered / pending message ids', () => {
  it('DR-006 DR-008 DR-009 DR-013 SESS-008: every pending message decrypts once, duplicates and tampering are refused with no state change', () => {
    const seed = 424242;
    let runs = 0;
    let commandsRun = 0;
    let compromises = 0;
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
        const p = seededProvider(`model-${runs}`);
        const wm = [new MemoryWatermarkStore(), new MemoryWatermarkStore()];
        const agents = [0, 1].map((i) => SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1, watermarks: wm[i]! }));
        agents[1]!.decrypt('alice', agents[0]!.initiate('bob', agents[1]!.bundle(), enc('hello')));
        const real: Real = { p, agents, wm, compromises: 0 };
        const model: Model = { pending: [], delivered: [], next: 0 };
        fc.modelRun(() => ({ model, real }), cmds);
        // Whatever happened, every message still pending decrypts now.
        for (const msg of model.pending) expect(dec(real.agents[1 - msg.from]!.decrypt(NAMES[msg.from]!, msg.bytes))).toBe(`#${msg.id}`);
        runs++;
        commandsRun += [...cmds].length;
        compromises += real.compromises;
      }),
      { seed, numRuns: 150 },
    );
    console.log(`[dr-properties] model-based seed=${seed}: ${runs} runs, ${commandsRun} commands, ${compromises} compromise checks`);
    expect(runs).toBeGreaterThanOrEqual(150);
  });
});

describe('forward secrecy and post-compromise security (black box)', () => {
  it('DR-013: a state captured after delivery cannot decrypt any earlier message', () => {
    const seed = 1301;
    let checked = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(4), fc.nat(4)), { minLength: 1, maxLength: 6 }), fc.nat(1000), (rounds, salt) => {
        const p = seededProvider(`fs-${salt}`);
        const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 });
        const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 });
        const toBob = [alice.initiate('bob', bob.bundle(), enc('0'))];
        bob.decrypt('alice', toBob[0]!);
        for (const [na, nb] of rounds) {
          const batch = Array.from({ length: na + 1 }, (_, i) => alice.encrypt('bob', enc(`a${i}`)));
          for (const m of batch.reverse()) bob.decrypt('alice', m);
          toBob.push(...batch);
          for (let i = 0; i < nb; i++) alice.decrypt('bob', bob.encrypt('alice', enc(`b${i}`)));
        }
        const captured = importAgent(p, exportAgent(p, bob, KEY), KEY);
        for (const m of toBob) {
          expect(() => captured.decrypt('alice', m)).toThrow(AgentsecError);
          checked++;
        }
      }),
      { seed, numRuns: 40 },
    );
    console.log(`[dr-properties] forward secrecy seed=${seed}: ${checked} earlier messages refused by captured states`);
  });

  it('DR-014: a captured state that follows all traffic cannot decrypt once the peers completed the healing round trips', () => {
    const seed = 1401;
    let checked = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { maxLength: 5 }), fc.nat(1000), (before, salt) => {
        const p = seededProvider(`pcs-${salt}`);
        const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 1, pqOneTimePrekeys: 1 });
        const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 1, pqOneTimePrekeys: 1 });
        bob.decrypt('alice', alice.initiate('bob', bob.bundle(), enc('0')));
        for (const [na, nb] of before) {
          for (let i = 0; i < nb; i++) alice.decrypt('bob', bob.encrypt('alice', enc('b')));
          for (let i = 0; i < na; i++) bob.decrypt('alice', alice.encrypt('bob', enc('a')));
        }
        const captured = importAgent(p, exportAgent(p, bob, KEY), KEY);
        // Healing: the captured party receives a fresh ratchet key and its fresh reply is used by the peer.
        for (let i = 0; i < 2; i++) {
          const m = alice.encrypt('bob', enc('heal'));
          try {
            captured.decrypt('alice', m);
          } catch {
            // The attacker may or may not read these; only what follows is asserted.
          }
          bob.decrypt('alice', m);
          alice.decrypt('bob', bob.encrypt('alice', enc('reply')));
        }
        for (let i = 0; i < 3; i++) {
          const m = alice.encrypt('bob', enc(`after${i}`));
          expect(() => captured.decrypt('alice', m)).toThrow(AgentsecError);
          expect(dec(bob.decrypt('alice', m))).toBe(`after${i}`);
          checked++;
        }
      }),
      { seed, numRuns: 25 },
    );
    console.log(`[dr-properties] post-compromise seed=${seed}: ${checked} messages after healing refused by captured states`);
  });
});
