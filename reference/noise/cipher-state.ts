/**
 * CipherState (rev 34 section 5.1) as a plain record {k, n} with pure transitions: every
 * operation returns the next state and never changes its input, so a refused call leaves the
 * caller's state as it was.
 */
import { AgentsecError } from '../errors.js';
import { MAX_NONCE, TAGLEN, type NoiseFunctions } from './functions.js';

export interface CipherState {
  /** 32-byte key, or null for `empty`. */
  readonly k: Uint8Array | null;
  readonly n: bigint;
}

export const EMPTY_CIPHER_STATE: CipherState = Object.freeze({ k: null, n: 0n });

// @req NOISE-012: InitializeKey sets n = 0.
export const initializeKey = (k: Uint8Array | null): CipherState => ({ k, n: 0n });

export const hasKey = (cs: CipherState): boolean => cs.k !== null;

export function setNonce(cs: CipherState, n: bigint): CipherState {
  if (typeof n !== 'bigint' || n < 0n || n > MAX_NONCE) {
    throw new AgentsecError('decode_failure', 'BAD_NONCE', 'nonce must be an integer in 0..2^64-1');
  }
  return { k: cs.k, n };
}

function checkNonce(cs: CipherState): void {
  // @req NOISE-013: 2^64-1 is reserved; once reached every further call is an error (no wrap-around).
  if (cs.n >= MAX_NONCE) throw new AgentsecError('state_failure', 'NONCE_EXHAUSTED', 'nonce exhausted: the CipherState must be deleted');
}

export function encryptWithAd(f: NoiseFunctions, cs: CipherState, ad: Uint8Array, plaintext: Uint8Array): [CipherState, Uint8Array] {
  if (cs.k === null) return [cs, plaintext];
  checkNonce(cs);
  const ct = f.encrypt(cs.k, cs.n, ad, plaintext);
  return [{ k: cs.k, n: cs.n + 1n }, ct];
}

export function decryptWithAd(f: NoiseFunctions, cs: CipherState, ad: Uint8Array, ciphertext: Uint8Array): [CipherState, Uint8Array] {
  if (cs.k === null) return [cs, ciphertext];
  checkNonce(cs);
  if (ciphertext.length < TAGLEN) throw new AgentsecError('auth_failure', 'AEAD_TAG', 'decryption failed');
  // @req NOISE-014: on an authentication failure n is not incremented (the error propagates with cs unchanged).
  const pt = f.decrypt(cs.k, cs.n, ad, ciphertext);
  return [{ k: cs.k, n: cs.n + 1n }, pt];
}

/** The transport-phase decrypt: like decryptWithAd, with a refusal returned instead of thrown (n unchanged). */
export function transportDecrypt(f: NoiseFunctions, cs: CipherState, ciphertext: Uint8Array): { next: CipherState; plaintext?: Uint8Array; error?: AgentsecError } {
  try {
    const [next, plaintext] = decryptWithAd(f, cs, new Uint8Array(0), ciphertext);
    return { next, plaintext };
  } catch (e) {
    const error = e instanceof AgentsecError ? e : new AgentsecError('internal', 'DECRYPT', 'decryption failed');
    return { next: cs, error };
  }
}

/** 5.1 Rekey(): k = REKEY(k); n is left as it is (11.3). */
export function rekey(f: NoiseFunctions, cs: CipherState): CipherState {
  if (cs.k === null) throw new AgentsecError('state_failure', 'NO_KEY', 'rekey needs a key');
  // @req NOISE-016
  return { k: f.rekey(cs.k), n: cs.n };
}
