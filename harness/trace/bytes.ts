/** Byte helpers of the replayers: recognisable payloads and the tamper operation. */

/** The payload / plaintext the replay sends as message `id` (hex). */
export function payloadFor(id: number): string {
  return Buffer.from(`agentsec trace message ${id}`, 'utf8').toString('hex');
}

/** Tamper = flip the last byte: it lies in the authentication tag of every tagged message. */
export function flipLastByte(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  if (b.length === 0) return hex;
  b[b.length - 1]! ^= 0x01;
  return b.toString('hex');
}
