/**
 * Replays an envelope_lifecycle trace against an `EnvelopeSubject`: seal, open, rewrap, and the KEK
 * administration the model also drives (rotate, retire, the clock). The trace suite's subject is the
 * implementation under test through its adapter's `envelope.kek_*` methods (envelope-adapter.ts;
 * n/a without the `kek_admin` claim); the reference's own tests also replay them against its API
 * (harness/test/reference-envelope-subject.ts).
 *
 * After every step: the outcome, the KEK version sealed and rewrapped envelopes carry (read from
 * the envelope layout, not by the subject), the current version and which versions are retired are
 * compared with the model.
 */
import type { ErrorKind } from '../../protocol/types.js';
import { envelopeParts } from '../../vectors/envelope/layout.js';
import { CheckFailure } from '../conform/assert.js';
import { bool, list, map, num, rec, str, type Trace, type Value } from './itf.js';
import { attemptLocal, expectOutcome, where, type At } from './outcome.js';
import { flipLastByte, payloadFor } from './bytes.js';

export const TICK_MS = 1000;
export const GRACE_TICKS = 2;

export type EncryptionContext = Record<string, string>;

/** What the envelope model drives; a refusal throws a value `kindOf` maps to an error kind. */
export interface EnvelopeSubject {
  seal(plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  open(envelope: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  rewrap(envelope: Uint8Array): Promise<Uint8Array>;
  /** Makes a new current KEK version; returns its number. */
  rotate(): Promise<number>;
  retire(version: number): Promise<void>;
  /** Moves the subject's clock forward (the model's tick). */
  advance(ms: number): void | Promise<void>;
  currentVersion(): Promise<number>;
  versions(): Promise<Array<{ version: number; state: string }>>;
  kindOf(e: unknown): ErrorKind | undefined;
}

const contextOf = (c: number): EncryptionContext => ({ tenant: `t${c}`, purpose: 'trace' });
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** The KEK version an envelope names in its header (the agentsec/1 layout). */
function versionOf(at: At, env: Uint8Array): number {
  const p = envelopeParts(env);
  if (!p) throw new CheckFailure(`${where(at)}: the envelope does not have the agentsec/1 layout`);
  return p.kekVersion;
}

export async function replayEnvelope(trace: Trace, kek: EnvelopeSubject): Promise<number> {
  const kindOf = (e: unknown) => kek.kindOf(e);
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
      const got = await attemptLocal(() => kek.seal(fromHex(payloadFor(num(e.payload, 'payload'))), contextOf(num(e.ctx, 'ctx'))), kindOf);
      expectOutcome(at, outcome, [], got);
      if (got.ok) {
        envs.set(result, got.value);
        const v = versionOf(at, got.value);
        if (v !== version) throw new CheckFailure(`${where(at)}: sealed under KEK version ${v}, the model says ${version}`);
      }
    } else if (kind === 'rotate') {
      const got = await attemptLocal(() => kek.rotate(), kindOf);
      expectOutcome(at, outcome, [], got);
      if (got.ok && got.value !== version) throw new CheckFailure(`${where(at)}: rotate made version ${got.value}, the model says ${version}`);
    } else if (kind === 'tick') {
      await kek.advance(TICK_MS);
    } else if (kind === 'rewrap') {
      const input = bytesOf(env);
      const got = await attemptLocal(() => kek.rewrap(input), kindOf);
      expectOutcome(at, outcome, ['state_failure'], got);
      if (got.ok) {
        const v = versionOf(at, got.value);
        if (v !== version) throw new CheckFailure(`${where(at)}: rewrapped envelope is under KEK version ${v}, the model says ${version} (current)`);
        if (result === env && !equalBytes(got.value, input)) throw new CheckFailure(`${where(at)}: rewrap of an envelope already current changed it`);
        envs.set(result, got.value);
      }
    } else if (kind === 'open') {
      // The model opens with any context (last.ctx), genuine or tampered (last.tampered).
      const e = envOf(env);
      const input = bool(last.tampered, 'last.tampered') ? fromHex(flipLastByte(Buffer.from(bytesOf(env)).toString('hex'))) : bytesOf(env);
      const ctx = contextOf(num(last.ctx, 'last.ctx'));
      const got = await attemptLocal(() => kek.open(input, ctx), kindOf);
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
