/**
 * The multiformats pieces the identity area uses, from the field's libraries: base58btc
 * (@scure/base: audited, strict alphabet) with the multibase prefix 'z' for did:key and proofs,
 * and unsigned varints (multiformats: refuses non-minimal encodings) for multicodec prefixes.
 * Errors from the libraries become typed decode failures naming the field.
 */
import { base58 } from '@scure/base';
import { varint } from 'multiformats';
import { AgentsecError } from '../errors.js';

export function base58btcEncode(bytes: Uint8Array): string {
  return base58.encode(bytes);
}

export function base58btcDecode(s: string, what = 'base58btc'): Uint8Array {
  try {
    return base58.decode(s);
  } catch (e) {
    throw new AgentsecError('decode_failure', 'BAD_BASE58', `${what}: not a base58btc string (${(e as Error).message.split('.')[0]})`);
  }
}

/** Multibase with the base58btc prefix 'z'. */
export function multibaseBase58btc(bytes: Uint8Array): string {
  return 'z' + base58btcEncode(bytes);
}

export function decodeMultibaseBase58btc(s: string, what = 'multibase'): Uint8Array {
  if (typeof s !== 'string' || !s.startsWith('z') || s.length < 2) {
    throw new AgentsecError('decode_failure', 'BAD_MULTIBASE', `${what}: expected a base58btc multibase string starting with 'z'`);
  }
  return base58btcDecode(s.slice(1), what);
}

/** Unsigned LEB128 varint (multiformats). */
export function varintEncode(n: number): Uint8Array {
  return varint.encodeTo(n, new Uint8Array(varint.encodingLength(n)));
}

/** Decodes a minimal varint of at most 4 bytes at `off`; returns [value, bytesRead]. */
export function varintDecode(b: Uint8Array, off: number, what: string): [number, number] {
  let value: number;
  let read: number;
  try {
    [value, read] = varint.decode(b, off);
  } catch (e) {
    const m = (e as Error).message;
    throw new AgentsecError('decode_failure', 'BAD_VARINT', `${what}: ${/minimal/.test(m) ? 'non-minimal varint' : 'truncated or invalid varint'}`);
  }
  // The multicodecs and CID fields here fit in 4 bytes; a longer varint is refused before use.
  if (read > 4) throw new AgentsecError('decode_failure', 'BAD_VARINT', `${what}: varint longer than 4 bytes`);
  return [value, read];
}
