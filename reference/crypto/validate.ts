import { isAllZero } from '../bytes.js';
import { AgentsecError } from '../errors.js';

export function checkNonNegativeInt(n: unknown, name: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new AgentsecError('decode_failure', 'BAD_INTEGER', `"${name}" expected a non-negative integer`);
  }
  return n;
}

/** RFC 5869 2.3: L <= 255 * HashLen. */
export function checkHkdfLength(length: unknown, hashLen: number): number {
  if (hashLen === 0) throw new AgentsecError('unsupported', 'UNKNOWN_HASH', 'unknown hash');
  const n = checkNonNegativeInt(length, 'length');
  if (n === 0 || n > 255 * hashLen) {
    throw new AgentsecError('policy_reject', 'HKDF_LENGTH', `HKDF output length must be 1..${255 * hashLen}, got ${n}`);
  }
  return n;
}

export function checkLength(b: Uint8Array, name: string, len: number): Uint8Array {
  if (b.length !== len) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected ${len} bytes, got ${b.length}`);
  return b;
}

/** CRYPTO-003, shared by both providers: an all-zero X25519 result (a low-order point) is refused, never returned. */
export function refuseLowOrder(shared: Uint8Array): Uint8Array {
  // @req CRYPTO-003
  if (isAllZero(shared)) throw new AgentsecError('policy_reject', 'LOW_ORDER_POINT', 'X25519 public key is of low order');
  return shared;
}
