/**
 * The one narrow interface every protocol in the reference calls for cryptography
 * (spec/crypto.md). Two implementations: `noble` (default) and `node`.
 *
 * Contract for every method:
 * - inputs are validated at the boundary; a wrong type or length throws
 *   AgentsecError('decode_failure', ...) before any secret-dependent work;
 * - AEAD open failures throw AgentsecError('auth_failure', 'AEAD_TAG') and reveal nothing else;
 * - X25519 with a low-order public key (shared secret all zero) throws
 *   AgentsecError('policy_reject', 'LOW_ORDER_POINT') in both providers (CRYPTO-003).
 */
import type { KemSecretKeyHandle, PrivateKeyHandle, PrivateKeyInput } from './keys.js';

export type AeadName = 'AES-256-GCM' | 'ChaCha20-Poly1305';
export type HashName = 'SHA-256' | 'SHA-512' | 'BLAKE2s' | 'BLAKE2b';
export type KemName = 'ML-KEM-768' | 'ML-KEM-1024';

export const AEAD_NAMES: readonly AeadName[] = ['AES-256-GCM', 'ChaCha20-Poly1305'];
export const HASH_NAMES: readonly HashName[] = ['SHA-256', 'SHA-512', 'BLAKE2s', 'BLAKE2b'];
export const KEM_NAMES: readonly KemName[] = ['ML-KEM-768', 'ML-KEM-1024'];

/** Output length (HASHLEN) and block length (BLOCKLEN) of each hash, in bytes. */
export const HASH_LENGTHS: Record<HashName, { hashLen: number; blockLen: number }> = {
  'SHA-256': { hashLen: 32, blockLen: 64 },
  'SHA-512': { hashLen: 64, blockLen: 128 },
  BLAKE2s: { hashLen: 32, blockLen: 64 },
  BLAKE2b: { hashLen: 64, blockLen: 128 },
};

/** Byte lengths of each KEM's objects (FIPS 203). */
export const KEM_LENGTHS: Record<KemName, { publicKey: number; secretKey: number; ciphertext: number; sharedSecret: 32; seed: 64 }> = {
  'ML-KEM-768': { publicKey: 1184, secretKey: 2400, ciphertext: 1088, sharedSecret: 32, seed: 64 },
  'ML-KEM-1024': { publicKey: 1568, secretKey: 3168, ciphertext: 1568, sharedSecret: 32, seed: 64 },
};

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/**
 * Private keys go in as handles (keys.ts): made once by `generate` or `importPrivateKey`, then used
 * for every DH or signature without a per-call import (CRYPTO-020). Raw bytes are still accepted
 * and imported per call, for callers that hold keys as bytes.
 */
export interface X25519 {
  /** A fresh key pair from the provider's randomness, as raw bytes. */
  generateKeyPair(): KeyPair;
  /** A fresh private key from the provider's randomness, as a handle. */
  generate(): PrivateKeyHandle;
  /** Wraps 32 raw private key bytes into a handle (the caller may wipe its bytes afterwards). */
  importPrivateKey(privateKey: Uint8Array): PrivateKeyHandle;
  publicKey(privateKey: PrivateKeyInput): Uint8Array;
  /** RFC 7748 X25519; throws policy_reject/LOW_ORDER_POINT when the result is all zero. */
  dh(privateKey: PrivateKeyInput, publicKey: Uint8Array): Uint8Array;
}

export interface Ed25519 {
  generateKeyPair(): KeyPair;
  generate(): PrivateKeyHandle;
  importPrivateKey(privateKey: Uint8Array): PrivateKeyHandle;
  publicKey(privateKey: PrivateKeyInput): Uint8Array;
  sign(privateKey: PrivateKeyInput, message: Uint8Array): Uint8Array;
  /** RFC 8032 strict verification (canonical S and R, no small-order A/R acceptance beyond RFC 8032). */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface Aead {
  readonly name: AeadName;
  readonly keyLength: 32;
  readonly nonceLength: 12;
  readonly tagLength: 16;
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** Throws auth_failure/AEAD_TAG on any authentication failure. */
  open(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array;
}

export interface Kem {
  readonly name: KemName;
  /** Deterministic from a 64-byte seed (d || z) when given, else random. */
  keygen(seed?: Uint8Array): KemKeyPair;
  /** Deterministic from a 32-byte message when given (tests only), else random. */
  encapsulate(publicKey: Uint8Array, message?: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  /** Takes the expanded decapsulation key as bytes (checked on every call) or as a handle. */
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array | KemSecretKeyHandle): Uint8Array;
  /** Checks (FIPS 203 7.3) and wraps a decapsulation key once, for repeated decapsulations. */
  importSecretKey(secretKey: Uint8Array): KemSecretKeyHandle;
}

export interface CryptoProvider {
  readonly name: string;
  readonly x25519: X25519;
  readonly ed25519: Ed25519;
  aead(name: AeadName): Aead;
  kem(name: KemName): Kem;
  hash(name: HashName, data: Uint8Array): Uint8Array;
  hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869; an empty salt means HashLen zero bytes. */
  hkdf(name: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  randomBytes(length: number): Uint8Array;
}
