import { AgentsecError } from './errors.js';

/** Validates a byte-array argument at the API boundary; returns it for chaining. */
export function abytes(value: unknown, name: string, ...lengths: number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new AgentsecError('decode_failure', 'NOT_BYTES', `"${name}" expected Uint8Array, got ${typeName(value)}`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new AgentsecError(
      'decode_failure',
      'BAD_LENGTH',
      `"${name}" expected ${lengths.join(' or ')} bytes, got ${value.length}`,
    );
  }
  return value;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * A plain Uint8Array of `len` bytes the caller overwrites completely. Large ones skip the zero fill
 * (Buffer.allocUnsafeSlow: own memory, never Node's shared pool), which costs as much as the copy.
 */
export function uninitializedBytes(len: number): Uint8Array {
  if (len < 65536) return new Uint8Array(len);
  const b = Buffer.allocUnsafeSlow(len);
  return new Uint8Array(b.buffer, b.byteOffset, len);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = uninitializedBytes(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time equality for equal-length inputs; unequal lengths compare unequal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function isAllZero(a: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]!;
  return acc === 0;
}

/** Overwrites a temporary secret buffer. */
export function wipe(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}

const HEX = /^(?:[0-9a-f]{2})*$/;

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: unknown, name = 'hex'): Uint8Array {
  if (typeof s !== 'string' || !HEX.test(s)) {
    throw new AgentsecError('decode_failure', 'BAD_HEX', `"${name}" expected lowercase hex with an even length`);
  }
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Big-endian u16 / u32 / u64 encoders used by records and framing. */
export function u16be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}
export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}
export function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, false);
  return out;
}
