/**
 * The two multibase encodings the identity area uses: base58btc ('z', did:key) and lowercase
 * RFC 4648 base32 without padding ('b', CIDs). Decoders refuse any character outside the alphabet
 * and any non-canonical form, so one key has exactly one string.
 */
import { AgentsecError } from '../errors.js';

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Map<string, number>([...B58].map((c, i) => [c, i]));

export function base58btcEncode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Base conversion over a little-endian digit array: O(n^2), fine for keys and hashes.
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! << 8;
      digits[j] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = (carry / 58) | 0;
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += B58[digits[i]!];
  return out;
}

export function base58btcDecode(s: string, what = 'base58btc'): Uint8Array {
  let zeros = 0;
  while (zeros < s.length && s[zeros] === '1') zeros++;
  const bytes: number[] = [];
  for (let i = zeros; i < s.length; i++) {
    const v = B58_INDEX.get(s[i]!);
    if (v === undefined) {
      throw new AgentsecError('decode_failure', 'BAD_BASE58', `${what}: character ${JSON.stringify(s[i])} at ${i} is not in the base58btc alphabet`);
    }
    let carry = v;
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j]! * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i]!;
  return out;
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buf = 0;
  let bits = 0;
  for (const b of bytes) {
    buf = (buf << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(buf >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(buf << (5 - bits)) & 31];
  return out;
}

export function base32Decode(s: string, what = 'base32'): Uint8Array {
  const out: number[] = [];
  let buf = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B32.indexOf(s[i]!);
    if (v < 0) throw new AgentsecError('decode_failure', 'BAD_BASE32', `${what}: character ${JSON.stringify(s[i])} at ${i} is not lowercase base32`);
    buf = ((buf << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buf >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // Leftover bits must be zero padding and fewer than 5, or the string is not canonical.
  if (bits >= 5 || (buf & ((1 << bits) - 1)) !== 0) {
    throw new AgentsecError('decode_failure', 'BAD_BASE32', `${what}: not a canonical unpadded base32 string`);
  }
  return new Uint8Array(out);
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
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return new Uint8Array(out);
}

/** Decodes a minimal varint of at most 4 bytes; returns [value, bytesRead]. */
export function varintDecode(b: Uint8Array, off: number, what: string): [number, number] {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const byte = b[off + i];
    if (byte === undefined) throw new AgentsecError('decode_failure', 'BAD_VARINT', `${what}: truncated varint`);
    v += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) throw new AgentsecError('decode_failure', 'BAD_VARINT', `${what}: non-minimal varint`);
      return [v, i + 1];
    }
  }
  throw new AgentsecError('decode_failure', 'BAD_VARINT', `${what}: varint longer than 4 bytes`);
}
