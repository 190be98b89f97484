/**
 * A TypeScript transcription of double_ratchet.qnt's transition relation (initiate, encrypt by
 * either agent, deliver any sent message intact or tampered, restart, rollback to any export) and of
 * its invariants, for the bounded exhaustive search (spec/tools/bfs.ts, MODEL-054). Held to the
 * Quint model by trace agreement: every step of every committed ratchet trace is a successor here.
 * Sets are sorted arrays of (ratchet key, n) pairs.
 */
import type { Transcription } from './bfs.js';

export const MAX_SKIP = 2;
export const MAX_KEYS = 4;
const AGENTS = ['A', 'B'] as const;
type Name = (typeof AGENTS)[number];
type Key = [number, number];

export interface Agent { active: boolean; dhs: number; dhr: number; ns: number; nr: number; pn: number; epoch: number; skipped: Key[]; evicted: Key[]; pending: boolean }
export interface Msg { id: number; sender: string; dh: number; n: number; pn: number; initial: boolean }
export interface Step { kind: string; agent: string; msg: number; tampered: boolean; outcome: string }
export interface Mark { epoch: number; dhs: number; next: number }
export interface RState {
  agents: Record<Name, Agent>;
  sent: Msg[];
  accepted: Record<Name, number[]>;
  nextKey: number;
  last: Step;
  marks: Record<Name, Mark>;
  exports: Record<Name, Agent[]>;
  rolledBack: Record<Name, boolean>;
  prev: Record<Name, Agent>;
}

const NONE: Agent = { active: false, dhs: -1, dhr: -1, ns: 0, nr: 0, pn: 0, epoch: 0, skipped: [], evicted: [], pending: false };
const NO_MARK: Mark = { epoch: 0, dhs: -1, next: 0 };
const other = (a: string): Name => (a === 'A' ? 'B' : 'A');
const older = (x: Key, y: Key) => x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
const cmp = (x: Key, y: Key) => (older(x, y) ? -1 : older(y, x) ? 1 : 0);
const has = (s: Key[], k: Key) => s.some((x) => x[0] === k[0] && x[1] === k[1]);
const union = (a: Key[], b: Key[]) => [...a, ...b.filter((k) => !has(a, k))].sort(cmp);
const between = (dh: number, lo: number, hi: number): Key[] => Array.from({ length: Math.max(0, hi - lo) }, (_, i) => [dh, lo + i] as Key);
const kept = (s: Key[]) => s.filter((k) => s.filter((j) => older(k, j)).length < MAX_KEYS);
function store(a: Agent, add: Key[]): Agent {
  const u = union(a.skipped, add);
  const k = kept(u);
  return { ...a, skipped: k, evicted: union(a.evicted, u.filter((x) => !has(k, x))) };
}
const belowMark = (a: Agent, dh: number, n: number) => a.evicted.some((k) => k[0] === dh && k[1] >= n);
const oldChainRest = (a: Agent, m: Msg) => (a.dhr > 0 ? between(a.dhr, a.nr, m.pn) : []);
const closedLength = (a: Agent, w: Mark) => (w.epoch === a.epoch && w.dhs === a.dhs && w.next > a.ns ? w.next : a.ns);

export function exceedsSkip(a: Agent, m: Msg): boolean {
  if (!a.active) return m.n > MAX_SKIP;
  if (has(a.skipped, [m.dh, m.n])) return false;
  if (m.dh === a.dhr) return m.n >= a.nr && m.n - a.nr > MAX_SKIP;
  if (m.dh > a.dhr) return (a.dhr > 0 && m.pn - a.nr > MAX_SKIP) || m.n > MAX_SKIP;
  return false;
}

export function initial(): RState[] {
  const both = <V>(v: V) => ({ A: v, B: v });
  return [{ agents: both(NONE), sent: [], accepted: both([]), nextKey: 1, last: { kind: 'init', agent: '', msg: -1, tampered: false, outcome: 'ok' }, marks: both(NO_MARK), exports: both([]), rolledBack: both(false), prev: both(NONE) }];
}

const refuse = (s: RState, kind: string, a: string, mid: number, t: boolean, outcome: string): RState => ({ ...s, prev: s.agents, last: { kind, agent: a, msg: mid, tampered: t, outcome } });

function initiate(s: RState): RState | undefined {
  const a = s.agents.A;
  if (a.active) return undefined;
  return {
    ...s,
    agents: { ...s.agents, A: { ...a, active: true, pending: true, dhs: s.nextKey, dhr: 0, ns: 1, epoch: 1 } },
    sent: [...s.sent, { id: s.sent.length, sender: 'A', dh: s.nextKey, n: 0, pn: 0, initial: true }],
    nextKey: s.nextKey + 1,
    prev: s.agents,
    marks: { ...s.marks, A: { epoch: 1, dhs: s.nextKey, next: 1 } },
    last: { kind: 'initiate', agent: 'A', msg: s.sent.length, tampered: false, outcome: 'ok' },
  };
}

function encrypt(s: RState, n: Name): RState {
  const a = s.agents[n];
  const w = s.marks[n];
  if (!a.active) return refuse(s, 'encrypt', n, -1, false, 'state_failure');
  if (a.epoch < w.epoch || (a.epoch === w.epoch && a.dhs !== w.dhs)) return refuse(s, 'encrypt', n, -1, false, 'state_failure');
  const k = a.epoch === w.epoch && a.ns < w.next ? w.next : a.ns;
  return {
    ...s,
    agents: { ...s.agents, [n]: { ...a, ns: k + 1 } },
    sent: [...s.sent, { id: s.sent.length, sender: n, dh: a.dhs, n: k, pn: a.pn, initial: a.pending }],
    prev: s.agents,
    marks: { ...s.marks, [n]: { epoch: a.epoch, dhs: a.dhs, next: k + 1 } },
    last: { kind: 'encrypt', agent: n, msg: s.sent.length, tampered: false, outcome: 'ok' },
  };
}

function deliver(s: RState, mid: number, t: boolean): RState {
  const m = s.sent[mid]!;
  const r = other(m.sender);
  const a = s.agents[r];
  const accept = (x: Agent, nk: number): RState =>
    t
      ? refuse(s, 'deliver', r, mid, t, 'auth_failure')
      : { ...s, agents: { ...s.agents, [r]: x }, nextKey: nk, prev: s.agents, accepted: { ...s.accepted, [r]: [...s.accepted[r], mid] }, last: { kind: 'deliver', agent: r, msg: mid, tampered: false, outcome: 'ok' } };
  const usedOrEvicted = () => refuse(s, 'deliver', r, mid, t, belowMark(a, m.dh, m.n) ? 'state_failure' : 'duplicate');
  if (exceedsSkip(a, m)) return refuse(s, 'deliver', r, mid, t, 'policy_reject');
  if (!a.active) {
    if (!m.initial) return refuse(s, 'deliver', r, mid, t, 'state_failure');
    return accept(store({ ...a, active: true, dhs: s.nextKey, dhr: m.dh, ns: 0, nr: m.n + 1, pn: 0, epoch: 1 }, between(m.dh, 0, m.n)), s.nextKey + 1);
  }
  if (has(a.skipped, [m.dh, m.n])) return accept({ ...a, pending: false, skipped: a.skipped.filter((k) => !(k[0] === m.dh && k[1] === m.n)) }, s.nextKey);
  if (m.dh === a.dhr) {
    if (m.n < a.nr) return usedOrEvicted();
    return accept(store({ ...a, pending: false, nr: m.n + 1 }, between(a.dhr, a.nr, m.n)), s.nextKey);
  }
  if (m.dh > a.dhr) {
    return accept(
      store({ ...a, pending: false, dhr: m.dh, nr: m.n + 1, pn: closedLength(a, s.marks[r]), ns: 0, dhs: s.nextKey, epoch: a.epoch + 1 }, union(oldChainRest(a, m), between(m.dh, 0, m.n))),
      s.nextKey + 1,
    );
  }
  return usedOrEvicted();
}

function restart(s: RState, n: Name): RState | undefined {
  if (!s.agents[n].active) return undefined;
  return { ...s, prev: s.agents, exports: { ...s.exports, [n]: [...s.exports[n], s.agents[n]] }, last: { kind: 'restart', agent: n, msg: -1, tampered: false, outcome: 'ok' } };
}

function rollback(s: RState, n: Name, k: number): RState {
  const old = s.exports[n][k]!;
  const changed = JSON.stringify(old) !== JSON.stringify(s.agents[n]);
  return { ...s, agents: { ...s.agents, [n]: old }, prev: s.agents, rolledBack: { ...s.rolledBack, [n]: s.rolledBack[n] || changed }, last: { kind: 'rollback', agent: n, msg: k, tampered: false, outcome: 'ok' } };
}

/** Every successor of s under `step` (its honest moves are special cases of these). */
export function successors(s: RState): RState[] {
  const out: (RState | undefined)[] = [initiate(s)];
  for (const n of AGENTS) out.push(encrypt(s, n), restart(s, n));
  for (let i = 0; i < s.sent.length; i++) for (const t of [false, true]) out.push(deliver(s, i, t));
  for (const n of AGENTS) for (let k = 0; k < s.exports[n].length; k++) out.push(rollback(s, n, k));
  return out.filter((x): x is RState => x !== undefined);
}

// ---- invariants (a transcription of the model's) ----
const eq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const acceptedBefore = (s: RState, r: Name, mid: number) => s.accepted[r].some((x, k) => x === mid && (s.last.outcome !== 'ok' || s.last.kind !== 'deliver' || k < s.accepted[r].length - 1));

export const INVARIANTS: Record<string, (s: RState) => boolean> = {
  noDoubleAccept: (s) => AGENTS.every((r) => s.rolledBack[r] || new Set(s.accepted[r]).size === s.accepted[r].length),
  tamperedChangesNothing: (s) => !s.last.tampered || (s.last.outcome !== 'ok' && eq(s.agents, s.prev)),
  refusalChangesNothing: (s) => s.last.outcome === 'ok' || eq(s.agents, s.prev),
  keyNeverReused: (s) => new Set(s.sent.map((m) => `${m.dh}/${m.n}`)).size === s.sent.length,
  genuineAccepted: (s) => {
    if (!(s.last.kind === 'deliver' && !s.last.tampered)) return true;
    const m = s.sent[s.last.msg]!;
    const r = s.last.agent as Name;
    const a = s.prev[r];
    const within = !acceptedBefore(s, r, m.id) && !s.rolledBack[r] && !exceedsSkip(a, m) && !has(a.evicted, [m.dh, m.n]) && (a.active || m.initial);
    return !within || s.last.outcome === 'ok';
  },
  skippedKeysSound: (s) =>
    AGENTS.every((r) => s.agents[r].skipped.every((k) => s.sent.some((m) => m.sender === other(r) && m.dh === k[0] && m.n === k[1] && (s.rolledBack[r] || !s.accepted[r].includes(m.id))))) &&
    AGENTS.every((r) => {
      const added = s.agents[r].skipped.filter((k) => !has(s.prev[r].skipped, k));
      return added.every((k) => added.filter((j) => j[0] === k[0]).length <= MAX_SKIP);
    }) &&
    AGENTS.every((r) => s.agents[r].skipped.length <= MAX_KEYS),
  evictsOldestFirst: (s) => AGENTS.every((r) => s.agents[r].evicted.every((e) => s.agents[r].skipped.every((k) => older(e, k)))),
};

export const RATCHET: Transcription<RState> = {
  initial,
  successors,
  key: (s) => JSON.stringify([s.agents, s.sent, s.accepted, s.nextKey, s.marks, s.exports, s.rolledBack]),
  invariants: INVARIANTS,
  describe: (s) => JSON.stringify(s.last),
};
