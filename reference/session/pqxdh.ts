/**
 * The post-quantum part of PQXDH (pqxdh.txt §3.3-3.4) with ML-KEM-1024: the initiator
 * encapsulates to the responder's signed PQ prekey and the shared secret is appended after the
 * DH outputs: SK = KDF(DH1 || DH2 || DH3 [|| DH4] || SS) (R-PQXDH-8). ML-KEM binds the public key
 * into SS, so the AD need not carry EncodeKEM(PQPK_B) (R-PQXDH-9).
 */
import type { CryptoProvider } from '../crypto/provider.js';

export const PQ_KEM = 'ML-KEM-1024' as const;

export function pqEncapsulate(p: CryptoProvider, pqPublic: Uint8Array): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  // @req PQXDH-002
  return p.kem(PQ_KEM).encapsulate(pqPublic);
}

/** The responder keeps PQ prekeys as 64-byte seeds and expands them when needed. */
export function pqDecapsulate(p: CryptoProvider, seed: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const kem = p.kem(PQ_KEM);
  return kem.decapsulate(ciphertext, kem.keygen(seed).secretKey);
}

export function pqPublicKey(p: CryptoProvider, seed: Uint8Array): Uint8Array {
  return p.kem(PQ_KEM).keygen(seed).publicKey;
}
