/**
 * Canonical JSON for DID documents: object keys sorted by UTF-16 code units, no whitespace,
 * strings as JSON.stringify writes them (RFC 8785 JCS for the value space used here). Numbers,
 * booleans and null are refused: no identity document needs them, and refusing them keeps the
 * canonical form free of number-formatting questions.
 */
import { AgentsecError } from '../errors.js';

export function canonicalJson(value: unknown, path = '$'): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',') + ']';
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k], `${path}.${k}`)).join(',') + '}';
  }
  throw new AgentsecError('decode_failure', 'CANONICAL_JSON_VALUE', `${path}: only strings, arrays and objects are allowed in a canonical document`);
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
