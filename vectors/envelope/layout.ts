/**
 * The agentsec/1 envelope's byte layout (spec/envelope.md), read without the reference: version,
 * suite, KEK id (u8 length), context digest (32), KEK version (u32 BE), wrapped DEK (u16 BE length),
 * salt (32), commitment (32), nonce (12), payload (ciphertext and 16-byte tag). Only the layout is
 * checked (for version 1, suite 1); whether the fields are valid is for the implementation under test to judge.
 */
export interface EnvelopeParts {
  version: number;
  suite: number;
  kekId: Uint8Array;
  contextDigest: Uint8Array;
  kekVersion: number;
  wrapped: Uint8Array;
  salt: Uint8Array;
  commitment: Uint8Array;
  nonce: Uint8Array;
  payload: Uint8Array;
}

/** Splits an envelope into its fields; undefined when the bytes do not have the layout. */
export function envelopeParts(bytes: Uint8Array): EnvelopeParts | undefined {
  let off = 0;
  const take = (n: number): Uint8Array | undefined => {
    if (off + n > bytes.length) return undefined;
    off += n;
    return bytes.subarray(off - n, off);
  };
  const head = take(3);
  // Version 1, suite 1 (AES-256-GCM, HKDF-SHA-256): the only layout this describes.
  if (!head || head[0] !== 1 || head[1] !== 1) return undefined;
  const kekId = take(head[2]!);
  const contextDigest = take(32);
  const v = take(4);
  const wl = take(2);
  if (!kekId || !contextDigest || !v || !wl) return undefined;
  const wrapped = take((wl[0]! << 8) | wl[1]!);
  const salt = take(32);
  const commitment = take(32);
  const nonce = take(12);
  if (!wrapped || !salt || !commitment || !nonce || bytes.length - off < 16) return undefined;
  const kekVersion = ((v[0]! << 24) >>> 0) + (v[1]! << 16) + (v[2]! << 8) + v[3]!;
  return { version: head[0]!, suite: head[1]!, kekId, contextDigest, kekVersion, wrapped, salt, commitment, nonce, payload: bytes.subarray(off) };
}
