/**
 * Shared pieces of the fuzz targets: how a step's outcome is observed through the adapter, how a
 * model check fails (a Violation naming the requirement IDs it checks), deterministic payloads.
 *
 * A target is a model of the protocol (plain records, pure transitions) plus an interpreter that
 * drives one implementation through agentsec-adapter/1 and compares each answer with what the model
 * predicts. The model decides; no other implementation is consulted for the verdict.
 */
import type { Arbitrary } from 'fast-check';
import type { ErrorKind } from '../../reference/errors.js';
import { AdapterCallError, AdapterFault, type Adapter, type Capabilities } from '../conform/types.js';
import type { FuzzKms } from './kms.js';
import type { FastCheck } from './fc-loader.js';

export type TargetName = 'noise' | 'session' | 'envelope';
export const TARGET_NAMES: readonly TargetName[] = ['noise', 'session', 'envelope'];

/** A model check that failed: the finding, and the requirement IDs of the property. */
export class Violation extends Error {
  override name = 'Violation';
  constructor(
    message: string,
    readonly reqs: readonly string[],
    /** The adapter fault behind it, when the implementation crashed, hung or wrote garbage. */
    readonly fault?: AdapterFault['fault'],
  ) {
    super(message);
  }
}

/** What one call did, as compared across implementations: `ok` or `refused:<kind>`. */
export type Outcome = { ok: true; result: Record<string, unknown> } | { ok: false; kind: ErrorKind; message: string };

export function outcomeText(o: Outcome): string {
  return o.ok ? 'ok' : `refused:${o.kind}`;
}

/** Calls the adapter; a refusal is an outcome, a fault (crash, hang, garbage) is a violation. */
export async function attempt(a: Adapter, method: string, params: Record<string, unknown>): Promise<Outcome> {
  try {
    const r = await a.call(method, params);
    return { ok: true, result: (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof AdapterCallError) return { ok: false, kind: e.kind, message: e.message };
    if (e instanceof AdapterFault) throw new Violation(`adapter fault (${e.fault}) on "${method}": ${e.message}`, ['CONF-006'], e.fault);
    throw e;
  }
}

/** Result fields that name an object (any non-empty string) rather than carry bytes (hex). */
const ID_FIELDS = new Set(['id', 'agent']);

/** The step must succeed; returns the string field `field` of its result. */
export function mustOk(o: Outcome, what: string, field: string, reqs: readonly string[]): string {
  if (!o.ok) throw new Violation(`${what}: refused with ${o.kind} (${o.message.slice(0, 120)}), the model says it succeeds`, reqs);
  const v = o.result[field];
  if (ID_FIELDS.has(field)) {
    if (typeof v !== 'string' || v === '') throw new Violation(`${what}: result field "${field}" is not a non-empty string`, ['CONF-002']);
    return v;
  }
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(v)) throw new Violation(`${what}: result field "${field}" is not lowercase hex`, ['CONF-002']);
  return v;
}

/** The step must be refused, with one of `kinds` when given. */
export function mustRefuse(o: Outcome, what: string, reqs: readonly string[], kinds: readonly ErrorKind[] = []): void {
  if (o.ok) throw new Violation(`${what}: accepted, the model says it is refused${kinds.length ? ` (${kinds.join(' or ')})` : ''}`, reqs);
  if (kinds.length > 0 && !kinds.includes(o.kind)) throw new Violation(`${what}: refused with ${o.kind}, the model says ${kinds.join(' or ')}`, reqs);
}

export function expectEq(got: string, want: string, what: string, reqs: readonly string[]): void {
  if (got !== want) throw new Violation(`${what}: ${got.length / 2} bytes differ from the ${want.length / 2} bytes sent`, reqs);
}

/** Deterministic payload bytes (hex) of a given length: the step carries (len, salt), not the bytes. */
export function payloadHex(len: number, salt: number): string {
  const b = Buffer.alloc(len);
  let x = (salt * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b.toString('hex');
}

export function flipBit(h: string, pos: number, bit: number): string {
  const b = Buffer.from(h, 'hex');
  if (b.length === 0) return '00';
  b[pos % b.length]! ^= 1 << (bit & 7);
  return b.toString('hex');
}

export function truncateHex(h: string, at: number): string {
  const n = h.length / 2;
  return n === 0 ? h : h.slice(0, (at % n) * 2);
}

/** One implementation the steps run on: the IUT, the reference for interop steps, the lane's KMS. */
export interface Lane {
  readonly label: string;
  readonly iut: Adapter;
  /** The reference in process: the second party of interop steps (absent: no interop). */
  readonly reference?: Adapter;
  readonly kms?: FuzzKms;
}

/** Steps and initial configurations are plain JSON data: they are saved, printed and replayed. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface StepData {
  readonly op: string;
  readonly [k: string]: Json;
}

export interface TargetContext {
  readonly caps: Capabilities;
  /** The reference's capabilities when interop steps are possible. */
  readonly refCaps?: Capabilities;
  /** True when steps run on two implementations (--against): interop pairings are left out. */
  readonly differential: boolean;
}

/**
 * A fuzz target: the model (`model`, `check`, the transitions inside `step`) and its interpreter.
 * `M` is the model record, `R` what lives in one lane (ids, bytes), `I` the initial configuration.
 */
export interface FuzzTarget<I extends Json = Json, M = unknown, R = unknown> {
  readonly name: TargetName;
  /** Requirement IDs the target's properties check (spec/conformance.md "Fuzzing"). */
  readonly reqs: readonly string[];
  applies(caps: Capabilities): true | string;
  init(fc: FastCheck, ctx: TargetContext): Arbitrary<I>;
  steps(fc: FastCheck, ctx: TargetContext): Arbitrary<StepData>[];
  model(init: I): M;
  /** Creates the lane's objects (and runs the handshake, for Noise), checking against the model. */
  setup(lane: Lane, init: I, model: M): Promise<R>;
  /** The step's precondition on the model (fast-check skips steps whose check fails). */
  check(model: M, step: StepData): boolean;
  /** Runs the step in the lane, checks the outcome against the model, advances the model; returns the outcome. */
  step(model: M, step: StepData, real: R, lane: Lane): Promise<string>;
  /** Frees the lane's objects (best effort). */
  teardown(real: R, lane: Lane): Promise<void>;
}

/** Frees objects, ignoring errors (the adapter may be gone). */
export async function freeAll(a: Adapter, ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    if (a.healthy === false) return;
    await a.call('free', { id }).catch(() => undefined);
  }
}
