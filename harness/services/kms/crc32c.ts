/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) for the Cloud KMS endpoint's integrity
 * fields. Written apart from the reference's, bitwise rather than by table, so the endpoint checks
 * the client's checksums with code it does not share with the client.
 */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}
