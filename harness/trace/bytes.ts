/** Byte helpers of the replayers: recognisable payloads and the tamper operation. */
import { fromHex, toHex } from '../../reference/index.js';

/** The payload / plaintext the replay sends as message `id` (hex). */
export function payloadFor(id: number): string {
  return toHex(new TextEncoder().encode(`agentsec trace message ${id}`));
}

/** Tamper = flip the last byte: it lies in the authentication tag of every tagged message. */
export function flipLastByte(hex: string): string {
  const b = fromHex(hex, 'message');
  if (b.length === 0) return hex;
  b[b.length - 1]! ^= 0x01;
  return toHex(b);
}
