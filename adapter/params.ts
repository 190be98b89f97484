/** Validation of request params: nothing the harness (or anyone) sends is trusted. */
import { fromHex } from '../reference/bytes.js';
import { AgentsecError } from '../reference/errors.js';
import { dict } from '../reference/dict.js';

export function hexParam(p: Record<string, unknown>, name: string): Uint8Array {
  if (!(name in p)) throw new AgentsecError('decode_failure', 'MISSING_PARAM', `missing param "${name}"`);
  return fromHex(p[name], name);
}

export function optHexParam(p: Record<string, unknown>, name: string): Uint8Array | undefined {
  return p[name] === undefined || p[name] === null ? undefined : fromHex(p[name], name);
}

export function strParam(p: Record<string, unknown>, name: string): string {
  const v = p[name];
  if (typeof v !== 'string') throw new AgentsecError('decode_failure', 'MISSING_PARAM', `param "${name}" must be a string`);
  return v;
}

export function boolParam(p: Record<string, unknown>, name: string): boolean {
  const v = p[name];
  if (typeof v !== 'boolean') throw new AgentsecError('decode_failure', 'MISSING_PARAM', `param "${name}" must be a boolean`);
  return v;
}

export function optIntParam(p: Record<string, unknown>, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" must be a non-negative integer`);
  return v;
}

/** 64-bit counters travel as decimal strings. */
export function u64Param(p: Record<string, unknown>, name: string): bigint {
  const v = p[name];
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v)) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" must be a decimal string`);
  const n = BigInt(v);
  if (n > 0xffffffffffffffffn) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" exceeds 2^64-1`);
  return n;
}

export function contextParam(p: Record<string, unknown>, name: string): Record<string, string> {
  const v = p[name];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" must be an object of strings`);
  // @req CONV-020: "__proto__" and the like are context keys like any other.
  const out = dict<string>();
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}.${k}" must be a string`);
    out[k] = val;
  }
  return out;
}
