/**
 * AES-256-GCM ciphertexts that authenticate under two keys, for key-commitment vectors and the
 * envelope suite's commitment test (spec/envelope.md ENV-070); never used by shipped code. GCM's tag
 * is GHASH_H(A, C) xor E_K(J0), and GHASH is linear in the ciphertext blocks over GF(2^128): with one
 * free block X at position j, tag1 = tag2 is `X * (H1^e + H2^e) = G1 + G2 + E1 + E2` (e the power
 * of H that block meets), one division in the field.
 */
import { ecb, gcm } from '@noble/ciphers/aes.js';
import { cat, u32 } from '../kit.js';

const R = 0xe1n << 120n;
const MASK = (1n << 128n) - 1n;

const toInt = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const toBlock = (x: bigint): Uint8Array => new Uint8Array(Buffer.from(x.toString(16).padStart(32, '0'), 'hex'));

/** Multiplication in GCM's GF(2^128) (SP 800-38D, Algorithm 1: bit 0 is the most significant). */
function mul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z & MASK;
}

function pow(x: bigint, e: bigint): bigint {
  let r = 1n << 127n; // the field's one
  let b = x;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = mul(r, b);
    b = mul(b, b);
  }
  return r;
}

/** x^-1 = x^(2^128 - 2). */
const inv = (x: bigint): bigint => pow(x, (1n << 128n) - 2n);

const aesBlock = (key: Uint8Array, block: Uint8Array): bigint => toInt(ecb(key, { disablePadding: true }).encrypt(block));

/** The GHASH input blocks of (A, C): A and C zero-padded to 16 bytes, then u64(len A bits) || u64(len C bits). */
function ghashBlocks(aad: Uint8Array, ct: Uint8Array): bigint[] {
  const pad = (b: Uint8Array) => cat(b, new Uint8Array((16 - (b.length % 16)) % 16));
  const lens = cat(u32(0), u32(aad.length * 8), u32(0), u32(ct.length * 8));
  const all = cat(pad(aad), pad(ct), lens);
  return Array.from({ length: all.length / 16 }, (_, i) => toInt(all.subarray(i * 16, i * 16 + 16)));
}

function ghash(h: bigint, blocks: bigint[]): bigint {
  let x = 0n;
  for (const b of blocks) x = mul(x ^ b, h);
  return x;
}

/**
 * A ciphertext (with its 16-byte tag) of `blocks` 16-byte blocks that opens under both (key1, nonce,
 * aad) and (key2, nonce, aad), to two different plaintexts. `fill` gives the fixed blocks; the last
 * block is the free one.
 */
export function twoKeyCiphertext(key1: Uint8Array, key2: Uint8Array, nonce: Uint8Array, aad: Uint8Array, fill: Uint8Array): Uint8Array {
  if (nonce.length !== 12 || fill.length % 16 !== 0 || fill.length === 0) throw new Error('twoKeyCiphertext: 12-byte nonce and whole blocks');
  const ct = fill.slice();
  const free = ct.length / 16 - 1;
  ct.fill(0, free * 16);
  const h1 = aesBlock(key1, new Uint8Array(16));
  const h2 = aesBlock(key2, new Uint8Array(16));
  const j0 = cat(nonce, u32(1));
  const blocks = ghashBlocks(aad, ct);
  // Block index of the free block in GHASH's input, and the power of H it is multiplied by.
  const at = Math.ceil(aad.length / 16) + free;
  const e = BigInt(blocks.length - at);
  const rhs = ghash(h1, blocks) ^ ghash(h2, blocks) ^ aesBlock(key1, j0) ^ aesBlock(key2, j0);
  const x = mul(rhs, inv(pow(h1, e) ^ pow(h2, e)));
  ct.set(toBlock(x), free * 16);
  const tag = toBlock(ghash(h1, ghashBlocks(aad, ct)) ^ aesBlock(key1, j0));
  const out = cat(ct, tag);
  // Both keys must accept it: a wrong construction fails here, not in a test that relies on it.
  gcm(key1, nonce, aad).decrypt(out);
  gcm(key2, nonce, aad).decrypt(out);
  return out;
}
