/**
 * The crypto functions of one Noise protocol (rev 34 section 4 and 12), bound to a CryptoProvider:
 * DH (25519), cipher (ChaChaPoly, AESGCM) with its nonce encoding, hash with HMAC-based HKDF,
 * and for hfs the KEM functions (ML-KEM-768).
 */
import type { AeadName, CryptoProvider, HashName, KeyPair, Kem } from '../crypto/provider.js';
import { HASH_LENGTHS } from '../crypto/provider.js';
import { concatBytes } from '../bytes.js';
import type { NoiseProtocol, NoiseHashName } from './protocol-name.js';

export const DHLEN = 32;
export const TAGLEN = 16;
export const MAX_NONCE = 0xffffffffffffffffn;

const HASH_MAP: Record<NoiseHashName, HashName> = { SHA256: 'SHA-256', SHA512: 'SHA-512', BLAKE2s: 'BLAKE2s', BLAKE2b: 'BLAKE2b' };

export interface NoiseFunctions {
  readonly protocol: NoiseProtocol;
  readonly hashLen: number;
  generateKeypair(): KeyPair;
  publicKey(privateKey: Uint8Array): Uint8Array;
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  encrypt(k: Uint8Array, n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(k: Uint8Array, n: bigint, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  rekey(k: Uint8Array): Uint8Array;
  hash(data: Uint8Array): Uint8Array;
  hkdf(ck: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[];
  readonly kem?: Kem;
}

/**
 * 12.3 / 12.4: 32 zero bits followed by the 64-bit nonce, little-endian for ChaChaPoly and
 * big-endian for AESGCM.
 */
export function encodeNonce(cipher: 'ChaChaPoly' | 'AESGCM', n: bigint): Uint8Array {
  const out = new Uint8Array(12);
  // @req NOISE-015
  new DataView(out.buffer).setBigUint64(4, n, cipher === 'ChaChaPoly');
  return out;
}

export function noiseFunctions(protocol: NoiseProtocol, provider: CryptoProvider): NoiseFunctions {
  const hashName = HASH_MAP[protocol.hash];
  const hashLen = HASH_LENGTHS[hashName].hashLen;
  const aeadName: AeadName = protocol.cipher === 'ChaChaPoly' ? 'ChaCha20-Poly1305' : 'AES-256-GCM';
  const aead = provider.aead(aeadName);
  const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array => provider.hmac(hashName, key, data);
  const encrypt = (k: Uint8Array, n: bigint, ad: Uint8Array, pt: Uint8Array): Uint8Array =>
    aead.seal(k, encodeNonce(protocol.cipher, n), pt, ad);
  return {
    protocol,
    hashLen,
    generateKeypair: () => provider.x25519.generateKeyPair(),
    publicKey: (sk) => provider.x25519.publicKey(sk),
    dh: (sk, pk) => provider.x25519.dh(sk, pk),
    encrypt,
    decrypt: (k, n, ad, ct) => aead.open(k, encodeNonce(protocol.cipher, n), ct, ad),
    // @req NOISE-016: REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64-1, zerolen, zeros[32]) (4.2).
    rekey: (k) => encrypt(k, MAX_NONCE, new Uint8Array(0), new Uint8Array(32)).subarray(0, 32),
    hash: (data) => provider.hash(hashName, data),
    // @req NOISE-006: HKDF of 4.3, HMAC-HASH with ck as the extract key.
    hkdf(ck, ikm, outputs) {
      const tk = hmac(ck, ikm);
      const o1 = hmac(tk, new Uint8Array([1]));
      const o2 = hmac(tk, concatBytes(o1, new Uint8Array([2])));
      if (outputs === 2) return [o1, o2];
      return [o1, o2, hmac(tk, concatBytes(o2, new Uint8Array([3])))];
    },
    ...(protocol.kem ? { kem: provider.kem('ML-KEM-768') } : {}),
  };
}
