/**
 * A TypeScript transcription of envelope_lifecycle.qnt's transition relation (seal with either
 * context, rotate, tick, rewrap any envelope, open any envelope with any context tampered or not,
 * retire under the procedure; with `forced`, also the operator's retire of any version) and of its
 * invariants, for the bounded exhaustive search (spec/tools/bfs.ts, MODEL-054). Held to the Quint
 * model by trace agreement: every step of every committed envelope trace is a successor here.
 */
import type { Transcription } from './bfs.js';

export const GRACE = 2;
const CONTEXTS = [1, 2];

export interface Version { superseded: number; retired: boolean }
export interface Env { id: number; payload: number; version: number; ctx: number }
export interface Step { kind: string; env: number; version: number; outcome: string; result: number; ctx: number; tampered: boolean }
export interface EState {
  current: number;
  /** version -> state, in version order */
  versions: [number, Version][];
  now: number;
  envs: Env[];
  /** payload -> live envelope id, in payload order */
  live: [number, number][];
  last: Step;
  /** payload -> sealed context, in payload order (ghost) */
  sealed: [number, number][];
}

const get = <V>(m: [number, V][], k: number): V | undefined => m.find(([x]) => x === k)?.[1];
const put = <V>(m: [number, V][], k: number, v: V): [number, V][] => [...m.filter(([x]) => x !== k), [k, v] as [number, V]].sort((a, b) => a[0] - b[0]);
const mk = (kind: string, env: number, version: number, outcome: string, result: number): Step => ({ kind, env, version, outcome, result, ctx: 0, tampered: false });
const retired = (s: EState, v: number) => get(s.versions, v)!.retired;

export function initial(): EState[] {
  return [{ current: 1, versions: [[1, { superseded: -1, retired: false }]], now: 0, envs: [], live: [], last: { ...mk('init', -1, 1, 'ok', -1) }, sealed: [] }];
}

function seal(s: EState, ctx: number): EState {
  const e = { id: s.envs.length, payload: s.envs.length, version: s.current, ctx };
  return { ...s, envs: [...s.envs, e], live: put(s.live, e.payload, e.id), sealed: put(s.sealed, e.payload, ctx), last: { ...mk('seal', -1, s.current, 'ok', e.id), ctx } };
}

function rotate(s: EState): EState {
  return { ...s, current: s.current + 1, versions: put(put(s.versions, s.current, { superseded: s.now, retired: false }), s.current + 1, { superseded: -1, retired: false }), last: mk('rotate', -1, s.current + 1, 'ok', -1) };
}

function rewrap(s: EState, eid: number): EState {
  const e = s.envs[eid]!;
  if (retired(s, e.version)) return { ...s, last: mk('rewrap', eid, e.version, 'state_failure', -1) };
  if (e.version === s.current) return { ...s, live: put(s.live, e.payload, eid), last: mk('rewrap', eid, s.current, 'ok', eid) };
  const n = { ...e, id: s.envs.length, version: s.current };
  return { ...s, envs: [...s.envs, n], live: put(s.live, e.payload, n.id), last: mk('rewrap', eid, s.current, 'ok', n.id) };
}

function open(s: EState, eid: number, ctx: number, tampered: boolean): EState {
  const e = s.envs[eid]!;
  const outcome = ctx !== e.ctx ? 'auth_failure' : retired(s, e.version) ? 'state_failure' : tampered ? 'auth_failure' : 'ok';
  return { ...s, last: { ...mk('open', eid, e.version, outcome, -1), ctx, tampered } };
}

function retireVersion(s: EState, v: number): EState {
  if (v === s.current) return { ...s, last: mk('retire', -1, v, 'policy_reject', -1) };
  return { ...s, versions: put(s.versions, v, { ...get(s.versions, v)!, retired: true }), last: mk('retire', -1, v, 'ok', -1) };
}

const liveUnder = (s: EState, v: number) => s.live.some(([, id]) => s.envs[id]!.version === v);

export function successors(s: EState, forced = false): EState[] {
  const out: EState[] = [];
  for (const c of CONTEXTS) out.push(seal(s, c));
  out.push(rotate(s), { ...s, now: s.now + 1, last: mk('tick', -1, -1, 'ok', -1) });
  for (let i = 0; i < s.envs.length; i++) {
    out.push(rewrap(s, i));
    for (const c of CONTEXTS) for (const t of [true, false]) out.push(open(s, i, c, t));
  }
  for (const [v, x] of s.versions) {
    if (v !== s.current && !x.retired && s.now >= x.superseded + GRACE && !liveUnder(s, v)) out.push(retireVersion(s, v));
    if (forced) out.push(retireVersion(s, v));
  }
  return out;
}

const sealedCtx = (s: EState, eid: number) => get(s.sealed, s.envs[eid]!.payload);

export const INVARIANTS: Record<string, (s: EState) => boolean> = {
  currentNeverRetired: (s) => !retired(s, s.current) && s.versions.every(([v]) => v <= s.current) && get(s.versions, s.current)!.superseded === -1,
  liveAlwaysReadable: (s) => s.live.every(([, id]) => !retired(s, s.envs[id]!.version)),
  retiredNeverOpensOrRewraps: (s) => !((s.last.kind === 'open' || s.last.kind === 'rewrap') && s.last.outcome === 'ok') || !retired(s, s.envs[s.last.env]!.version),
  openNeedsSealedContext: (s) => !(s.last.kind === 'open' && s.last.outcome === 'ok') || (!s.last.tampered && s.last.ctx === sealedCtx(s, s.last.env)),
  genuineOpens: (s) => !(s.last.kind === 'open' && !s.last.tampered && s.last.ctx === sealedCtx(s, s.last.env) && !retired(s, s.envs[s.last.env]!.version)) || s.last.outcome === 'ok',
  rewrapPreservesPayload: (s) => {
    if (!(s.last.kind === 'rewrap' && s.last.outcome === 'ok')) return true;
    const r = s.envs[s.last.result]!;
    const e = s.envs[s.last.env]!;
    return r.payload === e.payload && r.ctx === get(s.sealed, e.payload) && r.version === s.current && get(s.live, e.payload) === s.last.result;
  },
  retiredAfterGrace: (s) => s.versions.every(([, x]) => !x.retired || (x.superseded >= 0 && s.now >= x.superseded + GRACE)),
};

export const ENVELOPE: Transcription<EState> = {
  initial,
  successors: (s) => successors(s),
  key: (s) => JSON.stringify([s.current, s.versions, s.now, s.envs, s.live, s.sealed]),
  invariants: INVARIANTS,
  describe: (s) => JSON.stringify(s.last),
};
