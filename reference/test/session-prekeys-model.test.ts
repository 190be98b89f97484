/**
 * Model-based test of the prekey life cycle (spec/models.md MODEL-078): every trace of
 * x3dh_prekeys.qnt in vectors/traces/api/ is replayed against a reference SessionAgent (the
 * responder) and fresh initiator agents, comparing after every step the outcome and the observable
 * prekey state (signed prekey, replaced ones with their time, one-time prekeys held and not handed
 * out, PQ prekeys, replay digests) with the model's. Prekey administration (rotate, prune,
 * replenish) and the clock are not part of agentsec-adapter/1, so the replay drives the reference
 * API. A planted bug (test code only: the agent rebuilt from a doctored record) must fail it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../paths.js';
import { AgentsecError } from '../errors.js';
import type { CryptoProvider } from '../crypto/index.js';
import { decodeBundle, SessionAgent } from '../session/index.js';
import type { AgentState } from '../session/agent.js';
import { enc, seededProvider } from './session-fixtures.js';

const DIR = packagePath('vectors', 'traces', 'api');
const WEEK = 7 * 24 * 60 * 60 * 1000;
const MAX_DIGESTS = 1;

type V = number | string | boolean | V[] | { [k: string]: V };
/** ITF values as plain data: ints as numbers, sets and tuples as arrays, maps as entry arrays. */
function plain(v: unknown): V {
  if (typeof v !== 'object' || v === null) return v as V;
  if (Array.isArray(v)) return v.map(plain);
  const o = v as Record<string, unknown>;
  if ('#bigint' in o) return Number(o['#bigint']);
  if ('#set' in o) return (o['#set'] as unknown[]).map(plain);
  if ('#tup' in o) return (o['#tup'] as unknown[]).map(plain);
  if ('#map' in o) return (o['#map'] as unknown[]).map(plain);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
}

interface Pk { spk: number; pqLast: number; retired: { id: number; at: number }[]; opks: number[]; opkCursor: number; pqks: number[]; pqCursor: number; digests: [number, number][] }
interface St { kind: 'x3dh' | 'pqxdh'; pk: Pk; now: number; bundles: unknown[]; sent: { bundle: number }[]; last: { kind: string; msg: number; tampered: boolean; relay: boolean; outcome: string } }

/** The responder as the replay sees it; `plant` may doctor the agent after each operation (a planted bug). */
interface Responder { agent: SessionAgent; firstId: number }
type Plant = (before: AgentState, after: SessionAgent, p: CryptoProvider, clock: () => number) => SessionAgent;

function traces(): { name: string; states: St[] }[] {
  return readdirSync(DIR)
    .filter((f) => f.startsWith('x3dh_prekeys-') && f.endsWith('.itf.json'))
    .sort()
    .map((f) => ({ name: f, states: (JSON.parse(readFileSync(join(DIR, f), 'utf8')) as { states: unknown[] }).states.map((s) => plain(s) as unknown as St) }));
}

/** Replays one trace; returns the first divergence, or undefined. */
function replay(name: string, states: St[], plant?: Plant): string | undefined {
  const s0 = states[0]!;
  const p = seededProvider(`prekeys-model-${name}`);
  let now = 0;
  const clock = () => now * WEEK;
  const b = SessionAgent.create(p, { kind: s0.kind, oneTimePrekeys: 2, pqOneTimePrekeys: 2, clock, maxReplayDigests: MAX_DIGESTS });
  const r: Responder = { agent: b, firstId: b.state.prekeys.firstId };
  const bundles: Uint8Array[] = [];
  const messages: Uint8Array[] = [];
  for (let i = 1; i < states.length; i++) {
    const s = states[i]!;
    const step = `${name} step ${i} (${s.last.kind}${s.last.msg >= 0 ? ` ${s.last.msg}` : ''}${s.last.tampered ? ' tampered' : ''}${s.last.relay ? ' relay' : ''})`;
    // The agent replaces its state record on every change: this is the state before the step.
    const before = r.agent.state;
    let outcome = 'ok';
    try {
      switch (s.last.kind) {
        case 'publish':
          bundles.push(r.agent.bundle());
          break;
        case 'publish-reusable':
          bundles.push(r.agent.reusableBundle());
          break;
        case 'initiate': {
          const a = SessionAgent.create(p, { kind: s.kind, oneTimePrekeys: 0 });
          messages.push(a.initiate('bob', bundles[s.sent[s.last.msg]!.bundle]!, enc(`initial ${s.last.msg}`)));
          break;
        }
        case 'deliver': {
          const m = messages[s.last.msg]!.slice();
          if (s.last.tampered) m[m.length - 1]! ^= 0x01;
          // The initiator's own address finds the session it created; a relay's fresh one never does.
          r.agent.decrypt(s.last.relay ? `relay-${i}` : `alice-${s.last.msg}`, m);
          break;
        }
        case 'rotate':
          r.agent.rotateSignedPrekey();
          break;
        case 'prune':
          r.agent.prune();
          break;
        case 'replenish':
          r.agent.replenish(1);
          break;
        case 'tick':
          now++;
          break;
        default:
          return `${step}: unknown action`;
      }
    } catch (e) {
      if (!(e instanceof AgentsecError)) throw e;
      outcome = e.kind;
    }
    if (plant) r.agent = plant(before, r.agent, p, clock);
    if (outcome !== s.last.outcome) return `${step}: the reference says ${outcome}, the model ${s.last.outcome}`;
    if (s.last.kind.startsWith('publish')) {
      // The bundle carries the model's ids.
      const got = decodeBundle(p, bundles[bundles.length - 1]!);
      const want = s.bundles[s.bundles.length - 1] as { spk: number; opk: number; pq: number };
      const ids = { spk: got.signedPrekey.id - r.firstId, opk: got.oneTimePrekey ? got.oneTimePrekey.id - r.firstId : -1, pq: got.pqPrekey ? got.pqPrekey.id - r.firstId : -1 };
      if (JSON.stringify(ids) !== JSON.stringify({ spk: want.spk, opk: want.opk, pq: want.pq })) return `${step}: bundle ids ${JSON.stringify(ids)}, the model ${JSON.stringify(want)}`;
    }
    // The observable prekey state against the model's.
    const st = r.agent.prekeyStatus();
    const k = s.pk;
    const got = {
      spk: st.signedPrekeyId - r.firstId,
      pqLast: st.pqLastResortId === undefined ? -1 : st.pqLastResortId - r.firstId,
      retired: st.previousSignedPrekeys.map((x) => ({ id: x.id - r.firstId, at: x.retiredAt / WEEK })),
      oneTimeHeld: st.oneTimeHeld,
      oneTimeAvailable: st.oneTimeAvailable,
      pqOneTimeHeld: st.pqOneTimeHeld,
      pqOneTimeAvailable: st.pqOneTimeAvailable,
      digests: r.agent.state.prekeys.replayDigests.length,
      digestsUnderCurrent: st.replayDigests,
    };
    const want = {
      spk: k.spk,
      pqLast: k.pqLast,
      retired: k.retired.map((x) => ({ id: x.id, at: x.at })),
      oneTimeHeld: k.opks.length,
      oneTimeAvailable: k.opks.filter((x) => x >= k.opkCursor).length,
      pqOneTimeHeld: k.pqks.length,
      pqOneTimeAvailable: k.pqks.filter((x) => x >= k.pqCursor).length,
      digests: k.digests.length,
      digestsUnderCurrent: k.digests.filter((d) => d[0] === k.spk).length,
    };
    if (JSON.stringify(got) !== JSON.stringify(want)) return `${step}: the reference's prekey state ${JSON.stringify(got)}, the model's ${JSON.stringify(want)}`;
  }
  return undefined;
}

/** A planted bug, from test code: an accepted initial message leaves its one-time prekey in the record. */
const opkKept: Plant = (before, after, p, clock) => {
  const kept = before.prekeys.oneTime.filter((k) => !after.state.prekeys.oneTime.some((x) => x.id === k.id));
  if (kept.length === 0) return after;
  const prekeys = { ...after.state.prekeys, oneTime: [...after.state.prekeys.oneTime, ...kept].sort((x, y) => x.id - y.id) };
  return new SessionAgent(p, after.identity, { ...after.state, prekeys }, after.watermarks, { clock, maxReplayDigests: MAX_DIGESTS });
};

/** A planted bug: replay digests are not kept. */
const digestsLost: Plant = (_before, after, p, clock) =>
  after.state.prekeys.replayDigests.length === 0 ? after : new SessionAgent(p, after.identity, { ...after.state, prekeys: { ...after.state.prekeys, replayDigests: [] } }, after.watermarks, { clock, maxReplayDigests: MAX_DIGESTS });

describe('prekey life cycle against the model (x3dh_prekeys.qnt traces)', () => {
  const all = traces();

  it('MODEL-078: every trace replays on the reference: same outcome and prekey state after every step', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    const kinds = new Set(all.map((t) => t.states[0]!.kind));
    expect([...kinds].sort()).toEqual(['pqxdh', 'x3dh']);
    for (const t of all) expect(replay(t.name, t.states)).toBeUndefined();
  });

  it('MODEL-078: a planted bug in the reference (a used one-time prekey kept, or replay digests lost) fails the replay', () => {
    const kept = all.map((t) => replay(t.name, t.states, opkKept)).filter((x) => x !== undefined);
    expect(kept.length).toBeGreaterThan(0);
    const lost = all.map((t) => replay(t.name, t.states, digestsLost)).filter((x) => x !== undefined);
    expect(lost.length).toBeGreaterThan(0);
  });
});
