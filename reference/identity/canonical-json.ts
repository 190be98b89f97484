/**
 * Canonical JSON for DID documents: RFC 8785 (JCS) through `canonicalize`, a maintained
 * implementation. The identity area narrows the value space first: numbers, booleans and null are
 * refused (no identity document needs them, and refusing them keeps number formatting out of
 * signatures), and so are lone surrogates, which RFC 8785 (I-JSON) does not allow.
 */
import canonicalize from 'canonicalize';
import { AgentsecError } from '../errors.js';

/** RFC 8785 serialization of any I-JSON value; refuses what JCS cannot represent. */
export function jcs(value: unknown): string {
  let out: string | undefined;
  try {
    out = canonicalize(value);
  } catch (e) {
    throw new AgentsecError('decode_failure', 'CANONICAL_JSON_VALUE', `not representable in RFC 8785 JSON: ${(e as Error).message}`);
  }
  if (out === undefined) throw new AgentsecError('decode_failure', 'CANONICAL_JSON_VALUE', 'not representable in RFC 8785 JSON');
  return out;
}

// With the u flag a surrogate pair is one code point, so this matches unpaired halves only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function checkDocumentValue(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw new AgentsecError('decode_failure', 'CANONICAL_JSON_VALUE', `${path}: lone surrogate in a string`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => checkDocumentValue(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      if (LONE_SURROGATE.test(k)) throw new AgentsecError('decode_failure', 'CANONICAL_JSON_VALUE', `${path}: lone surrogate in a key`);
      checkDocumentValue(v, `${path}.${k}`);
    }
    return;
  }
  throw new AgentsecError('decode_failure', 'CANONICAL_JSON_VALUE', `${path}: only strings, arrays and objects are allowed in a canonical document`);
}

export function canonicalJson(value: unknown): string {
  // @req ID-030
  checkDocumentValue(value, '$');
  return jcs(value);
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
