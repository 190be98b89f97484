/**
 * A small declarative schema for configuration objects: every field is typed, bounded and
 * defaulted in one place, unknown keys are refused (typo protection), and every refusal names the
 * full field path, the value given and the fix (spec/config.md CONFIG-002, CONFIG-003).
 */
import { AgentsecError, type ErrorKind } from '../errors.js';
import { redactString } from '../observability/scrub.js';
import { dict, hasOwn } from '../dict.js';

/** A value that is recognised but refused on policy grounds, with the fix. */
export interface Refusal {
  readonly kind: ErrorKind;
  readonly fix: string;
}

export type FieldSpec =
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly refuse?: Readonly<Record<string, Refusal>>; readonly optional?: true }
  | { readonly type: 'int'; readonly min: number; readonly max: number; readonly what?: string; readonly optional?: true; /** Replaces the range text, e.g. '256 (a 256-bit DEK)'. */ readonly must?: string }
  | { readonly type: 'number'; readonly min: number; readonly max: number; readonly what?: string; readonly optional?: true }
  | { readonly type: 'bool'; readonly optional?: true }
  | { readonly type: 'string'; readonly pattern: RegExp; readonly what: string; readonly optional?: true }
  | ObjectSpec;

export interface ObjectSpec {
  readonly type: 'object';
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly optional?: true;
  /** Hints for keys people mistype or misplace: key -> what to write instead. */
  readonly keyHints?: Readonly<Record<string, string>>;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  // @req OBS-013: a secret typed into the wrong field (the PIN instead of pinEnv) must not come back in the refusal.
  const s = redactString(typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function configError(kind: ErrorKind, reason: string, message: string): AgentsecError {
  return new AgentsecError(kind, reason, message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

function suggestion(key: string, known: readonly string[], parent: string): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const threshold = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && bestD <= threshold ? `did you mean ${join(parent, best)}?` : `known settings: ${known.join(', ')}`;
}

export const join = (parent: string, key: string): string => (parent ? `${parent}.${key}` : key);

function parseField(spec: FieldSpec, v: unknown, path: string, def: unknown): unknown {
  switch (spec.type) {
    case 'object':
      return parseObject(spec, v, def, path);
    case 'enum': {
      if (typeof v === 'string') {
        const refusal = spec.refuse?.[v];
        if (refusal) {
          const message = `${path} ${describeValue(v)} is refused: ${refusal.fix}`;
          // One reason per kind (CONV-021): a value refused by policy, or one the schema does not take.
          throw refusal.kind === 'policy_reject' ? configError('policy_reject', 'CONFIG_POLICY', message) : configError('decode_failure', 'CONFIG_REFUSED_VALUE', message);
        }
        if (spec.values.includes(v)) return v;
      }
      throw configError('decode_failure', 'CONFIG_VALUE', `${path} must be one of ${spec.values.map((x) => `'${x}'`).join(', ')}; got ${describeValue(v)}`);
    }
    case 'int':
    case 'number': {
      const isNum = typeof v === 'number' && Number.isFinite(v) && (spec.type === 'number' || Number.isSafeInteger(v));
      const range = spec.type === 'int' && spec.must ? spec.must : `${spec.type === 'int' ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}${spec.what ? ` (${spec.what})` : ''}`;
      if (!isNum) throw configError('decode_failure', 'CONFIG_TYPE', `${path} must be ${range}; got ${describeValue(v)}`);
      if (v < spec.min || v > spec.max) throw configError('policy_reject', 'CONFIG_RANGE', `${path} must be ${range}; got ${describeValue(v)}`);
      return v;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw configError('decode_failure', 'CONFIG_TYPE', `${path} must be true or false; got ${describeValue(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string' || !spec.pattern.test(v)) throw configError('decode_failure', 'CONFIG_VALUE', `${path} must be ${spec.what}; got ${describeValue(v)}`);
      return v;
  }
}

/**
 * Validates `input` against `spec`; a missing field takes its default from `defaults`, or is left
 * out when optional, or is refused as required.
 */
export function parseObject(spec: ObjectSpec, input: unknown, defaults: unknown, path: string): Record<string, unknown> {
  const where = path || 'the configuration';
  if (input === undefined) input = {};
  if (!isPlainObject(input)) throw configError('decode_failure', 'CONFIG_TYPE', `${where} must be an object; got ${describeValue(input)}`);
  const known = Object.keys(spec.fields);
  for (const key of Object.keys(input)) {
    // @req CONV-020: own keys only: "constructor" or "__proto__" is unknown like any other typo.
    if (!hasOwn(spec.fields, key)) {
      // @req CONFIG-003: an unknown key is refused, never ignored (a typo must not fall back to a default).
      const hint = (spec.keyHints && hasOwn(spec.keyHints, key) ? spec.keyHints[key] : undefined) ?? suggestion(key, known, path);
      throw configError('decode_failure', 'CONFIG_UNKNOWN_KEY', `${join(path, key)} is not a known setting; ${hint}`);
    }
  }
  const defs = isPlainObject(defaults) ? defaults : {};
  const out = dict<unknown>();
  for (const [key, fieldSpec] of Object.entries(spec.fields)) {
    const p = join(path, key);
    const v = input[key];
    const def = defs[key];
    if (v === undefined) {
      if (def !== undefined) out[key] = fieldSpec.type === 'object' ? parseObject(fieldSpec, undefined, def, p) : def;
      else if (!fieldSpec.optional) throw configError('decode_failure', 'CONFIG_MISSING', `${p} is required`);
      continue;
    }
    out[key] = parseField(fieldSpec, v, p, def);
  }
  return out;
}

export function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
