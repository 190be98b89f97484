/**
 * Replays a double_ratchet trace through the adapter's session methods: initiate (A, from B's
 * bundle), encrypt, decrypt of any sent message (intact or with its last byte flipped), and restart
 * (session.export, free, session.import). After every step the outcome is compared with the model;
 * an accepted message must decrypt to the plaintext that was sent.
 */
import { CheckFailure } from '../conform/assert.js';
import type { Adapter, Capabilities } from '../conform/types.js';
import type { ErrorKind } from '../../protocol/types.js';
import { bool, map, num, rec, str, type Trace } from './itf.js';
import { attempt, describe, expectOutcome, where, type At } from './outcome.js';
import { flipLastByte, payloadFor } from './bytes.js';
import { projectRatchet, RATCHET_LIMITS, type ReplayOptions } from './projection.js';

const other = (a: string) => (a === 'A' ? 'B' : 'A');

/** Model outcome -> the kinds an implementation may refuse with (spec/models.md MODEL-020..025). */
const ADMITTED: Record<string, ErrorKind[]> = {
  auth_failure: ['auth_failure'],
  duplicate: ['duplicate'],
  state_failure: ['state_failure'],
  policy_reject: ['policy_reject'],
};

export function ratchetApplies(caps: Capabilities): true | string {
  if (!caps.session?.kinds.includes('x3dh')) return 'no x3dh session capability';
  if (!caps.session.export) return 'session export/import not claimed (restarts cannot be replayed)';
  return true;
}

export async function replayRatchet(trace: Trace, iut: Adapter, opts: ReplayOptions = {}): Promise<number> {
  const ids: Record<string, string> = {};
  for (const name of ['A', 'B']) {
    const r = await attempt<{ agent: string }>(iut, 'session.agent', { name, kind: 'x3dh', ...RATCHET_LIMITS });
    if (!r.ok) throw new CheckFailure(`${trace.name}: session.agent ${name} refused with ${r.kind}`);
    ids[name] = r.value.agent;
  }
  const messages = new Map<number, string>();
  /** Every state each agent exported (the model's `exports`). */
  const exports: Record<string, string[]> = { A: [], B: [] };
  const load = async (at: At, agent: string, state: string) => {
    await attempt(iut, 'free', { id: ids[agent] });
    const im = await attempt<{ agent: string }>(iut, 'session.import', { state, ...RATCHET_LIMITS });
    if (!im.ok) throw new CheckFailure(`${where(at)}: session.import ${describe(im)}`);
    ids[agent] = im.value.agent;
  };
  let steps = 0;
  try {
    for (let i = 1; i < trace.states.length; i++) {
      const last = rec(trace.states[i]!.last, 'last');
      const kind = str(last.kind, 'last.kind');
      const agent = str(last.agent, 'last.agent');
      const mid = num(last.msg, 'last.msg');
      const tampered = bool(last.tampered, 'last.tampered');
      const outcome = str(last.outcome, 'last.outcome');
      const at: At = { trace: trace.name, step: i, action: `${kind} by ${agent}${mid >= 0 ? ` of message ${mid}` : ''}${tampered ? ' tampered' : ''}` };
      const admitted = ADMITTED[outcome] ?? [];
      if (kind === 'initiate') {
        const b = await attempt<{ bundle: string }>(iut, 'session.bundle', { agent: ids.B });
        if (!b.ok) throw new CheckFailure(`${where(at)}: session.bundle refused with ${b.kind}`);
        const got = await attempt<{ message: string }>(iut, 'session.initiate', { agent: ids.A, peer: 'B', bundle: b.value.bundle, plaintext: payloadFor(mid) });
        expectOutcome(at, outcome, admitted, got);
        if (got.ok) messages.set(mid, got.value.message);
      } else if (kind === 'encrypt') {
        const got = await attempt<{ message: string }>(iut, 'session.encrypt', { agent: ids[agent], peer: other(agent), plaintext: payloadFor(mid >= 0 ? mid : 100000 + i) });
        expectOutcome(at, outcome, admitted, got);
        if (got.ok) messages.set(mid, got.value.message);
      } else if (kind === 'deliver') {
        const sent = messages.get(mid);
        if (sent === undefined) throw new Error(`${where(at)}: message ${mid} was never sent`);
        const got = await attempt<{ plaintext: string }>(iut, 'session.decrypt', { agent: ids[agent], peer: other(agent), message: tampered ? flipLastByte(sent) : sent });
        expectOutcome(at, outcome, admitted, got);
        if (got.ok && got.value.plaintext !== payloadFor(mid)) throw new CheckFailure(`${where(at)}: decrypted plaintext differs from the one sent`);
      } else if (kind === 'restart') {
        const ex = await attempt<{ state: string }>(iut, 'session.export', { agent: ids[agent] });
        if (!ex.ok) throw new CheckFailure(`${where(at)}: session.export ${describe(ex)}`);
        exports[agent]!.push(ex.value.state);
        await load(at, agent, ex.value.state);
      } else if (kind === 'rollback') {
        // The model's msg is the index of the export restored.
        const state = exports[agent]![mid];
        if (state === undefined) throw new Error(`${where(at)}: export ${mid} of ${agent} was never made`);
        await load(at, agent, state);
      } else {
        throw new Error(`${where(at)}: unknown action`);
      }
      // MODEL-050: the counters of every agent with a session agree with the model's state.
      const agents = map(trace.states[i]!.agents, 'agents');
      for (const name of ['A', 'B']) {
        const a = rec(agents.get(name), name);
        if (a.active === true && opts.project !== false) await projectRatchet(at, iut, ids[name]!, name, other(name), a);
      }
      steps++;
    }
  } finally {
    for (const id of Object.values(ids)) await attempt(iut, 'free', { id });
  }
  return steps;
}
