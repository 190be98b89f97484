/**
 * Observed outcomes of adapter calls and their comparison with the model's: "ok" or an error kind.
 * Some model outcomes admit more than one kind, because the model abstracts away what decides
 * between them (e.g. a handshake message too short to parse is decode_failure, one that fails its
 * tag auth_failure; the model only knows it is the wrong message).
 */
import { CheckFailure } from '../conform/assert.js';
import { AdapterCallError, type Adapter } from '../conform/types.js';
import type { ErrorKind } from '../../protocol/types.js';

export type Observed<T> = { ok: true; value: T } | { ok: false; kind: ErrorKind };

export async function attempt<T = Record<string, unknown>>(adapter: Adapter, method: string, params: Record<string, unknown>): Promise<Observed<T>> {
  try {
    return { ok: true, value: (await adapter.call(method, params)) as T };
  } catch (e) {
    if (e instanceof AdapterCallError) return { ok: false, kind: e.kind };
    throw e;
  }
}

/** Runs an in-process operation the same way (for the envelope replay at the reference API). */
export async function attemptLocal<T>(f: () => Promise<T>, kindOf: (e: unknown) => ErrorKind | undefined): Promise<Observed<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    const kind = kindOf(e);
    if (kind) return { ok: false, kind };
    throw e;
  }
}

export function describe(o: Observed<unknown>): string {
  return o.ok ? 'accepted' : `refused with ${o.kind}`;
}

/** Where a replay is: trace, step, action; every finding names it so it can be reproduced. */
export interface At {
  trace: string;
  step: number;
  action: string;
}

export function where(at: At): string {
  return `${at.trace} step ${at.step} (${at.action})`;
}

/** Fails unless the observed outcome is the model's ("ok" or one of the admitted kinds). */
export function expectOutcome(at: At, model: string, admitted: readonly ErrorKind[], got: Observed<unknown>): void {
  if (model === 'ok') {
    if (!got.ok) throw new CheckFailure(`${where(at)}: the model accepts, the implementation ${describe(got)}`);
    return;
  }
  if (got.ok) throw new CheckFailure(`${where(at)}: the model refuses with ${model}, the implementation accepted`);
  if (!admitted.includes(got.kind)) {
    throw new CheckFailure(`${where(at)}: the model refuses with ${model} (admitted: ${admitted.join(', ')}), the implementation ${describe(got)}`);
  }
}
