/**
 * State-projected replay (spec/models.md MODEL-050): after every step the implementation's
 * observable counters are compared with the model's state, not only the outcome. The counters come
 * from the adapter's state queries: `noise.state` (send_nonce, recv_nonce once complete) and
 * `session.state` (ns, nr, pn, epoch, skipped). A bug that keeps every outcome right but drifts a
 * counter (a skipped key stored twice, a nonce moved by a call that should not move it) shows here
 * at the step where it happens, long before (or without) an outcome differing.
 *
 * The models' small limits are the ones the replay configures (the constants of spec/models/*.qnt).
 * The state queries are optional in the contract: an implementation that does not serve them
 * (`unsupported`, or a `noise.state` without the nonce fields) is replayed on outcomes only, never
 * failed for the missing query (MODEL-051).
 */
import { CheckFailure } from '../conform/assert.js';
import type { Adapter } from '../conform/types.js';
import { list, num, rec, type Value } from './itf.js';
import { attempt, where, type At } from './outcome.js';

export interface ReplayOptions {
  /** Compare the state projection after every step (default true); false compares outcomes only. */
  project?: boolean;
}

/** noise_handshake.qnt MAX_NONCE: model nonce n is 2^64-1-MAX_NONCE+n in the implementation. */
export const NOISE_MAX_NONCE = 3n;
export const NONCE_OFFSET = 0xffffffffffffffffn - NOISE_MAX_NONCE;
/** double_ratchet.qnt MAX_SKIP and MAX_KEYS, passed to session.agent / session.import. */
export const RATCHET_LIMITS = { max_skip: 2, max_skipped_keys: 4 } as const;

/** Compares a complete Noise party's nonces with the model's (after the offset). */
export async function projectNoise(at: At, iut: Adapter, id: string, role: string, party: Record<string, Value>): Promise<void> {
  const s = await attempt<{ send_nonce?: string; recv_nonce?: string }>(iut, 'noise.state', { id });
  // @req MODEL-061
  if (!s.ok && s.kind === 'unsupported') return;
  if (!s.ok) throw new CheckFailure(`${where(at)}: noise.state of ${role} refused with ${s.kind}`);
  if (s.value.send_nonce === undefined && s.value.recv_nonce === undefined) return;
  for (const [field, model] of [['send_nonce', 'sendNonce'], ['recv_nonce', 'recvNonce']] as const) {
    const got = s.value[field];
    if (got === undefined) throw new CheckFailure(`${where(at)}: noise.state of ${role} has ${field === 'send_nonce' ? 'recv_nonce' : 'send_nonce'} but no ${field}`);
    const want = NONCE_OFFSET + BigInt(num(party[model], model));
    if (BigInt(got) !== want) throw new CheckFailure(`${where(at)}: ${role}'s ${field} is ${got}, the model says ${want} (model ${model} ${num(party[model], model)})`);
  }
}

/** Compares an active ratchet agent's counters with the model's. */
export async function projectRatchet(at: At, iut: Adapter, id: string, name: string, peer: string, agent: Record<string, Value>): Promise<void> {
  const s = await attempt<{ ns: number; nr: number; pn: number; epoch: number; skipped: number }>(iut, 'session.state', { agent: id, peer });
  // @req MODEL-061
  if (!s.ok && s.kind === 'unsupported') return;
  if (!s.ok) throw new CheckFailure(`${where(at)}: session.state of ${name} refused with ${s.kind}`);
  const want: Record<string, number> = {
    ns: num(agent.ns, 'ns'),
    nr: num(agent.nr, 'nr'),
    pn: num(agent.pn, 'pn'),
    epoch: num(agent.epoch, 'epoch'),
    skipped: list(agent.skipped, 'skipped').length,
  };
  const diff = Object.keys(want).filter((k) => (s.value as unknown as Record<string, number>)[k] !== want[k]);
  if (diff.length > 0) {
    const show = (o: Record<string, unknown>) => diff.map((k) => `${k}=${String(o[k])}`).join(' ');
    throw new CheckFailure(`${where(at)}: ${name}'s state ${show(s.value as unknown as Record<string, unknown>)}, the model says ${show(want)}`);
  }
}

export function modelAgent(v: Value | undefined, name: string): Record<string, Value> {
  return rec(v, name);
}
