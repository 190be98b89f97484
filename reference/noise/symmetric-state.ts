/** SymmetricState (rev 34 section 5.2) as a plain record {cs, ck, h} with pure transitions. */
import { concatBytes } from '../bytes.js';
import { decryptWithAd, encryptWithAd, EMPTY_CIPHER_STATE, initializeKey, type CipherState } from './cipher-state.js';
import type { NoiseFunctions } from './functions.js';

export interface SymmetricState {
  readonly cs: CipherState;
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
}

/** 4.3 / 5.2: with HASHLEN 64 the derived cipher keys are truncated to 32 bytes. */
const key32 = (k: Uint8Array): Uint8Array => (k.length === 32 ? k : k.slice(0, 32));

export function initializeSymmetric(f: NoiseFunctions, protocolName: Uint8Array): SymmetricState {
  let h: Uint8Array;
  // @req NOISE-005: names up to HASHLEN bytes are zero-padded, longer ones hashed.
  if (protocolName.length <= f.hashLen) {
    h = new Uint8Array(f.hashLen);
    h.set(protocolName);
  } else {
    h = f.hash(protocolName);
  }
  return { cs: EMPTY_CIPHER_STATE, ck: h, h };
}

export function mixKey(f: NoiseFunctions, ss: SymmetricState, ikm: Uint8Array): SymmetricState {
  // @req NOISE-006
  const [ck, tempK] = f.hkdf(ss.ck, ikm, 2) as [Uint8Array, Uint8Array];
  return { cs: initializeKey(key32(tempK)), ck, h: ss.h };
}

export function mixHash(f: NoiseFunctions, ss: SymmetricState, data: Uint8Array): SymmetricState {
  return { cs: ss.cs, ck: ss.ck, h: f.hash(concatBytes(ss.h, data)) };
}

export function mixKeyAndHash(f: NoiseFunctions, ss: SymmetricState, ikm: Uint8Array): SymmetricState {
  // @req NOISE-006
  const [ck, tempH, tempK] = f.hkdf(ss.ck, ikm, 3) as [Uint8Array, Uint8Array, Uint8Array];
  const mixed = mixHash(f, { cs: ss.cs, ck, h: ss.h }, tempH);
  return { cs: initializeKey(key32(tempK)), ck, h: mixed.h };
}

/** 5.2: the AD is h; what is hashed afterwards is the ciphertext. */
export function encryptAndHash(f: NoiseFunctions, ss: SymmetricState, plaintext: Uint8Array): [SymmetricState, Uint8Array] {
  const [cs, ct] = encryptWithAd(f, ss.cs, ss.h, plaintext);
  return [mixHash(f, { cs, ck: ss.ck, h: ss.h }, ct), ct];
}

export function decryptAndHash(f: NoiseFunctions, ss: SymmetricState, ciphertext: Uint8Array): [SymmetricState, Uint8Array] {
  const [cs, pt] = decryptWithAd(f, ss.cs, ss.h, ciphertext);
  // @req NOISE-007: MixHash(ciphertext), not the plaintext.
  return [mixHash(f, { cs, ck: ss.ck, h: ss.h }, ciphertext), pt];
}

/** Returns (c1, c2): c1 encrypts initiator -> responder, c2 responder -> initiator. */
export function split(f: NoiseFunctions, ss: SymmetricState): [CipherState, CipherState] {
  const [k1, k2] = f.hkdf(ss.ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
  return [initializeKey(key32(k1)), initializeKey(key32(k2))];
}
