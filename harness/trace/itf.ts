/**
 * The Informal Trace Format (ITF, https://apalache-mc.org/docs/adr/015adr-trace.html) as written by
 * `quint run --out-itf`: decoding of its values into plain data for the replayers.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { dict } from '../../reference/dict.js';

/** A decoded ITF value: ints as numbers (traces only hold small ones), maps as Map, sets and tuples as arrays. */
export type Value = number | bigint | string | boolean | Value[] | Map<Value, Value> | { [k: string]: Value };

export interface Trace {
  /** File name, for findings. */
  readonly name: string;
  /** The model's source file (#meta.source). */
  readonly source: string;
  readonly reqs: readonly string[];
  readonly states: readonly Record<string, Value>[];
}

export function decodeValue(v: unknown): Value {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(decodeValue);
  if (v === null || typeof v !== 'object') throw new Error(`ITF: unexpected value ${JSON.stringify(v)}`);
  const o = v as Record<string, unknown>;
  if ('#bigint' in o) {
    const b = BigInt(o['#bigint'] as string);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }
  if ('#map' in o) return new Map((o['#map'] as unknown[][]).map(([k, x]) => [decodeValue(k), decodeValue(x)]));
  if ('#set' in o) return (o['#set'] as unknown[]).map(decodeValue);
  if ('#tup' in o) return (o['#tup'] as unknown[]).map(decodeValue);
  if ('#unserializable' in o) throw new Error('ITF: unserializable value');
  const out = dict<Value>();
  for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x);
  return out;
}

export function parseTrace(name: string, text: string): Trace {
  const raw = JSON.parse(text) as { '#meta'?: { source?: string; reqs?: string[] }; states?: unknown[] };
  if (!Array.isArray(raw.states) || raw.states.length === 0) throw new Error(`${name}: no states`);
  const states = raw.states.map((s) => {
    const d = decodeValue(s) as Record<string, Value>;
    delete d['#meta'];
    return d;
  });
  return { name, source: raw['#meta']?.source ?? '', reqs: raw['#meta']?.reqs ?? [], states };
}

export function loadTrace(path: string): Trace {
  return parseTrace(basename(path), readFileSync(path, 'utf8'));
}

/** Typed accessors: a trace that does not have the expected shape is a broken corpus, said loudly. */
export function rec(v: Value | undefined, what: string): Record<string, Value> {
  if (v === undefined || typeof v !== 'object' || Array.isArray(v) || v instanceof Map) throw new Error(`ITF: ${what} is not a record`);
  return v as Record<string, Value>;
}
export function num(v: Value | undefined, what: string): number {
  if (typeof v !== 'number') throw new Error(`ITF: ${what} is not a small int`);
  return v;
}
export function str(v: Value | undefined, what: string): string {
  if (typeof v !== 'string') throw new Error(`ITF: ${what} is not a string`);
  return v;
}
export function bool(v: Value | undefined, what: string): boolean {
  if (typeof v !== 'boolean') throw new Error(`ITF: ${what} is not a bool`);
  return v;
}
export function map(v: Value | undefined, what: string): Map<Value, Value> {
  if (!(v instanceof Map)) throw new Error(`ITF: ${what} is not a map`);
  return v;
}
export function list(v: Value | undefined, what: string): Value[] {
  if (!Array.isArray(v)) throw new Error(`ITF: ${what} is not a list`);
  return v;
}
