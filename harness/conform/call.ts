/**
 * Typed calls of agentsec-adapter/1: params and result types come from protocol/methods.ts, which
 * is rendered from spec/adapter-protocol.schema.json. The cast of the result is sound because every
 * adapter checks each answer against that schema before resolving (validate.ts, CONF-102).
 */
import type { Method, MethodParams, MethodResults } from '../../protocol/methods.js';
import type { Adapter, CallOptions } from './types.js';

/** A wrong method name, parameter name or type is a compile error; the request is still checked at run time (CONF-121). */
export function callMethod<M extends Method>(adapter: Pick<Adapter, 'call'>, method: M, params: MethodParams[M], opts?: CallOptions): Promise<MethodResults[M]> {
  return (opts ? adapter.call(method, params as Record<string, unknown>, opts) : adapter.call(method, params as Record<string, unknown>)) as Promise<MethodResults[M]>;
}
