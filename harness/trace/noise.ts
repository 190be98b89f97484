/**
 * Replays a noise_handshake trace against an implementation through the adapter: each model
 * action (write, read of any sent message, intact or with its last byte flipped) becomes
 * noise.write / noise.read on a real protocol, Noise_<IK|XX>_25519_ChaChaPoly_SHA256; after every
 * step the outcome and each party's handshake completion are compared with the model.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { CheckFailure } from '../conform/assert.js';
import type { Adapter, Capabilities } from '../conform/types.js';
import { bool, map, num, rec, str, type Trace } from './itf.js';
import { attempt, expectOutcome, where, type At } from './outcome.js';
import { flipLastByte, payloadFor } from './bytes.js';
import { NONCE_OFFSET, projectNoise, type ReplayOptions } from './projection.js';

export const NOISE_PROTOCOLS = { IK: 'Noise_IK_25519_ChaChaPoly_SHA256', XX: 'Noise_XX_25519_ChaChaPoly_SHA256' } as const;

/** Fixed static keys: the corpus replays identically everywhere (they protect nothing). */
const STATIC: Record<'I' | 'R', string> = { I: '11'.repeat(32), R: '22'.repeat(32) };

export function noiseApplies(caps: Capabilities): true | string {
  const n = caps.noise;
  if (!n) return 'no noise capability';
  for (const p of ['IK', 'XX']) if (!n.patterns.includes(p)) return `pattern ${p} not claimed`;
  if (!n.dh.includes('25519') || !n.cipher.includes('ChaChaPoly') || !n.hash.includes('SHA256')) return '25519/ChaChaPoly/SHA256 not claimed';
  return true;
}

export async function replayNoise(trace: Trace, iut: Adapter, opts: ReplayOptions = {}): Promise<number> {
  const s0 = trace.states[0]!;
  const pattern = str(s0.pattern, 'pattern');
  if (pattern !== 'IK' && pattern !== 'XX') throw new Error(`${trace.name}: unknown pattern ${pattern}`);
  const protocol = NOISE_PROTOCOLS[pattern];
  const rsPub = Buffer.from(x25519.getPublicKey(Buffer.from(STATIC.R, 'hex'))).toString('hex');
  const ids: Record<string, string> = {};
  for (const role of ['I', 'R'] as const) {
    const params: Record<string, unknown> = { protocol, initiator: role === 'I', prologue: '', s: STATIC[role] };
    if (pattern === 'IK' && role === 'I') params.rs = rsPub;
    const r = await attempt<{ id: string }>(iut, 'noise.new', params);
    if (!r.ok) throw new CheckFailure(`${trace.name}: noise.new (${protocol}, ${role}) refused with ${r.kind}`);
    ids[role] = r.value.id;
  }
  const messages = new Map<number, string>();
  /** Parties whose nonces were moved to the model's offset (once, when their handshake completes). */
  const offset = new Set<string>();
  let steps = 0;
  try {
    for (let i = 1; i < trace.states.length; i++) {
      const st = trace.states[i]!;
      const last = rec(st.last, 'last');
      const kind = str(last.kind, 'last.kind');
      const party = str(last.party, 'last.party');
      const mid = num(last.msg, 'last.msg');
      const tampered = bool(last.tampered, 'last.tampered');
      const outcome = str(last.outcome, 'last.outcome');
      const at: At = { trace: trace.name, step: i, action: `${kind} by ${party}${mid >= 0 ? ` of message ${mid}` : ''}${tampered ? ' tampered' : ''}` };
      if (kind === 'write') {
        const got = await attempt<{ message: string }>(iut, 'noise.write', { id: ids[party], payload: payloadFor(mid >= 0 ? mid : i) });
        expectOutcome(at, outcome, ['state_failure'], got);
        if (got.ok) messages.set(mid, got.value.message);
      } else if (kind === 'read') {
        const sent = messages.get(mid);
        if (sent === undefined) throw new Error(`${where(at)}: message ${mid} was never written`);
        const got = await attempt<{ payload: string }>(iut, 'noise.read', { id: ids[party], message: tampered ? flipLastByte(sent) : sent });
        expectOutcome(at, outcome, outcome === 'auth_failure' ? ['auth_failure', 'decode_failure'] : ['state_failure'], got);
        if (got.ok && got.value.payload !== payloadFor(mid)) throw new CheckFailure(`${where(at)}: decrypted payload differs from the one written`);
      } else if (kind === 'rekey-send' || kind === 'rekey-recv') {
        const got = await attempt(iut, 'noise.rekey', { id: ids[party], direction: kind === 'rekey-send' ? 'send' : 'recv' });
        expectOutcome(at, outcome, ['state_failure'], got);
      } else {
        throw new Error(`${where(at)}: unknown action`);
      }
      // Completion of each party that has not failed (a failed handshake may refuse noise.state).
      const parties = map(st.parties, 'parties');
      const hashes: string[] = [];
      for (const role of ['I', 'R'] as const) {
        const phase = str(rec(parties.get(role), role).phase, 'phase');
        if (phase === 'failed') continue;
        const s = await attempt<{ complete: boolean; handshake_hash?: string }>(iut, 'noise.state', { id: ids[role] });
        if (!s.ok) throw new CheckFailure(`${where(at)}: noise.state of ${role} refused with ${s.kind}`);
        if (s.value.complete !== (phase === 'transport')) {
          throw new CheckFailure(`${where(at)}: ${role}'s handshake is ${s.value.complete ? 'complete' : 'incomplete'}, the model says ${phase}`);
        }
        if (phase === 'transport' && s.value.handshake_hash) hashes.push(s.value.handshake_hash);
        if (phase === 'transport') {
          // The model's MAX_NONCE stands for 2^64-1: move both nonces up once, so the reserved nonce is reached.
          if (!offset.has(role)) {
            for (const direction of ['send', 'recv']) {
              const r = await attempt(iut, 'noise.set_nonce', { id: ids[role], direction, n: NONCE_OFFSET.toString() });
              if (!r.ok) throw new CheckFailure(`${where(at)}: noise.set_nonce of ${role} refused with ${r.kind}`);
            }
            offset.add(role);
          }
          // MODEL-050: the nonces agree with the model's state.
          if (opts.project !== false) await projectNoise(at, iut, ids[role]!, role, rec(parties.get(role), role));
        }
      }
      // MODEL-016: both complete -> same handshake hash.
      if (hashes.length === 2 && hashes[0] !== hashes[1]) throw new CheckFailure(`${where(at)}: both parties complete with different handshake hashes`);
      steps++;
    }
  } finally {
    for (const id of Object.values(ids)) await attempt(iut, 'free', { id });
  }
  return steps;
}
