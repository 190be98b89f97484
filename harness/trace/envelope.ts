/**
 * Replays an envelope_lifecycle trace against the reference API directly (not through the
 * adapter): rotate and retire are KEK administration, which agentsec-adapter/1 does not carry
 * (`envelope.*` has only seal/open/rewrap). The KEK is an in-memory LocalKekRing with a clock the
 * replay moves (one model tick = 1 s, grace period = 2 ticks).
 *
 * After every step: the outcome, the KEK version sealed and rewrapped envelopes carry, the
 * current version and which versions are retired are compared with the model.
 */
import { AgentsecError, type EncryptionContext, inspectEnvelope, type KekProvider, LocalKekRing, openEnvelope, rewrapEnvelope, sealEnvelope } from '../../reference/index.js';
import { equalBytes, fromHex } from '../../reference/index.js';
import { CheckFailure } from '../conform/assert.js';
import { bool, list, map, num, rec, str, type Trace, type Value } from './itf.js';
import { attemptLocal, expectOutcome, where, type At } from './outcome.js';
import { flipLastByte, payloadFor } from './bytes.js';

export const TICK_MS = 1000;
export const GRACE_TICKS = 2;

const kindOf = (e: unknown) => (e instanceof AgentsecError ? e.kind : undefined);
const contextOf = (c: number): EncryptionContext => ({ tenant: `t${c}`, purpose: 'trace' });

/** The envelope operations a replay drives (the reference's by default). */
export interface EnvelopeOps {
  seal: typeof sealEnvelope;
  open: typeof openEnvelope;
  rewrap: typeof rewrapEnvelope;
}

export const REFERENCE_ENVELOPE_OPS: EnvelopeOps = { seal: sealEnvelope, open: openEnvelope, rewrap: rewrapEnvelope };

export async function replayEnvelope(trace: Trace, kekFor?: (clock: () => number) => KekProvider, ops: EnvelopeOps = REFERENCE_ENVELOPE_OPS): Promise<number> {
  let now = 1_800_000_000_000;
  const clock = () => now;
  const kek: KekProvider = kekFor ? kekFor(clock) : LocalKekRing.open({ clock, graceMs: GRACE_TICKS * TICK_MS, kekId: 'local:trace-replay' });
  const envs = new Map<number, Uint8Array>();
  let steps = 0;
  for (let i = 1; i < trace.states.length; i++) {
    const st = trace.states[i]!;
    const last = rec(st.last, 'last');
    const kind = str(last.kind, 'last.kind');
    const env = num(last.env, 'last.env');
    const version = num(last.version, 'last.version');
    const outcome = str(last.outcome, 'last.outcome');
    const result = num(last.result, 'last.result');
    const modelEnvs = list(st.envs, 'envs');
    const envOf = (id: number) => rec(modelEnvs[id], `envs[${id}]`);
    const at: At = { trace: trace.name, step: i, action: `${kind}${env >= 0 ? ` of envelope ${env}` : ''}${kind === 'retire' || kind === 'rotate' ? ` version ${version}` : ''}` };
    const bytesOf = (id: number) => {
      const b = envs.get(id);
      if (!b) throw new Error(`${where(at)}: envelope ${id} was never made`);
      return b;
    };
    if (kind === 'seal') {
      const e = envOf(result);
      const got = await attemptLocal(() => ops.seal(kek, fromHex(payloadFor(num(e.payload, 'payload')), 'p'), contextOf(num(e.ctx, 'ctx'))), kindOf);
      expectOutcome(at, outcome, [], got);
      if (got.ok) {
        envs.set(result, got.value);
        if (inspectEnvelope(got.value).kekVersion !== version) throw new CheckFailure(`${where(at)}: sealed under KEK version ${inspectEnvelope(got.value).kekVersion}, the model says ${version}`);
      }
    } else if (kind === 'rotate') {
      const got = await attemptLocal(() => kek.rotate(), kindOf);
      expectOutcome(at, outcome, [], got);
      if (got.ok && got.value !== version) throw new CheckFailure(`${where(at)}: rotate made version ${got.value}, the model says ${version}`);
    } else if (kind === 'tick') {
      now += TICK_MS;
    } else if (kind === 'rewrap') {
      const input = bytesOf(env);
      const got = await attemptLocal(() => ops.rewrap(kek, input), kindOf);
      expectOutcome(at, outcome, ['state_failure'], got);
      if (got.ok) {
        const v = inspectEnvelope(got.value).kekVersion;
        if (v !== version) throw new CheckFailure(`${where(at)}: rewrapped envelope is under KEK version ${v}, the model says ${version} (current)`);
        if (result === env && !equalBytes(got.value, input)) throw new CheckFailure(`${where(at)}: rewrap of an envelope already current changed it`);
        envs.set(result, got.value);
      }
    } else if (kind === 'open') {
      // The model opens with any context (last.ctx), genuine or tampered (last.tampered).
      const e = envOf(env);
      const input = bool(last.tampered, 'last.tampered') ? fromHex(flipLastByte(Buffer.from(bytesOf(env)).toString('hex')), 'env') : bytesOf(env);
      const ctx = contextOf(num(last.ctx, 'last.ctx'));
      const got = await attemptLocal(() => ops.open(kek, input, ctx), kindOf);
      expectOutcome(at, outcome, outcome === 'auth_failure' ? ['auth_failure'] : ['state_failure'], got);
      if (got.ok && Buffer.from(got.value).toString('hex') !== payloadFor(num(e.payload, 'payload'))) throw new CheckFailure(`${where(at)}: opened to a different plaintext`);
    } else if (kind === 'retire') {
      const got = await attemptLocal(() => kek.retire(version), kindOf);
      expectOutcome(at, outcome, ['policy_reject'], got);
    } else {
      throw new Error(`${where(at)}: unknown action`);
    }
    // The KEK ring agrees with the model: current version, and which versions are retired.
    const current = num(st.current, 'current');
    if ((await kek.currentVersion()) !== current) throw new CheckFailure(`${where(at)}: current KEK version ${await kek.currentVersion()}, the model says ${current}`);
    const model = map(st.versions, 'versions');
    for (const v of await kek.versions()) {
      const m = model.get(v.version as Value);
      if (!m) throw new CheckFailure(`${where(at)}: KEK version ${v.version} exists, not in the model`);
      const retired = rec(m, 'version').retired === true;
      if ((v.state === 'retired') !== retired) throw new CheckFailure(`${where(at)}: KEK version ${v.version} is ${v.state}, the model says ${retired ? 'retired' : 'not retired'}`);
    }
    steps++;
  }
  return steps;
}
