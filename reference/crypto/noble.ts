import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { blake2b, blake2s } from '@noble/hashes/blake2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { abytes } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { HASH_LENGTHS, KEM_LENGTHS, type Aead, type AeadName, type CryptoProvider, type HashName, type Kem, type KemName } from './provider.js';
import { checkHkdfLength, checkNonNegativeInt, refuseLowOrder } from './validate.js';

import type { CHash } from '@noble/hashes/utils.js';
type HashFn = CHash;
const HASHES: Record<HashName, HashFn> = { 'SHA-256': sha256, 'SHA-512': sha512, BLAKE2s: blake2s, BLAKE2b: blake2b };

function hashFn(name: HashName): HashFn {
  const h = HASHES[name];
  if (!h) throw new AgentsecError('unsupported', 'UNKNOWN_HASH', `unknown hash "${String(name)}"`);
  return h;
}

function nobleAead(name: AeadName): Aead {
  const make = name === 'AES-256-GCM' ? gcm : name === 'ChaCha20-Poly1305' ? chacha20poly1305 : undefined;
  if (!make) throw new AgentsecError('unsupported', 'UNKNOWN_AEAD', `unknown AEAD "${String(name)}"`);
  return {
    name,
    keyLength: 32,
    nonceLength: 12,
    tagLength: 16,
    seal(key, nonce, plaintext, ad) {
      abytes(key, 'key', 32);
      abytes(nonce, 'nonce', 12);
      abytes(plaintext, 'plaintext');
      abytes(ad, 'ad');
      return make(key, nonce, ad).encrypt(plaintext);
    },
    open(key, nonce, ciphertext, ad) {
      abytes(key, 'key', 32);
      abytes(nonce, 'nonce', 12);
      abytes(ciphertext, 'ciphertext');
      abytes(ad, 'ad');
      if (ciphertext.length < 16) throw new AgentsecError('auth_failure', 'AEAD_TAG', 'decryption failed');
      try {
        return make(key, nonce, ad).decrypt(ciphertext);
      } catch {
        throw new AgentsecError('auth_failure', 'AEAD_TAG', 'decryption failed');
      }
    },
  };
}

function nobleKem(name: KemName, random: (n: number) => Uint8Array): Kem {
  const impl = name === 'ML-KEM-768' ? ml_kem768 : name === 'ML-KEM-1024' ? ml_kem1024 : undefined;
  if (!impl) throw new AgentsecError('unsupported', 'UNKNOWN_KEM', `unknown KEM "${String(name)}"`);
  const len = KEM_LENGTHS[name];
  return {
    name,
    keygen(seed) {
      const s = seed === undefined ? random(64) : abytes(seed, 'seed', 64);
      return impl.keygen(s);
    },
    encapsulate(publicKey, message) {
      abytes(publicKey, 'publicKey', len.publicKey);
      const m = message === undefined ? random(32) : abytes(message, 'message', 32);
      try {
        const { cipherText, sharedSecret } = impl.encapsulate(publicKey, m);
        return { ciphertext: cipherText, sharedSecret };
      } catch {
        // FIPS 203 7.2 modulus check: a public key with coefficients >= q is refused.
        throw new AgentsecError('decode_failure', 'KEM_PUBLIC_KEY', `${name} public key failed the modulus check`);
      }
    },
    decapsulate(ciphertext, secretKey) {
      abytes(ciphertext, 'ciphertext', len.ciphertext);
      abytes(secretKey, 'secretKey', len.secretKey);
      try {
        return impl.decapsulate(ciphertext, secretKey);
      } catch {
        // FIPS 203 7.3 hash check on the decapsulation key.
        throw new AgentsecError('decode_failure', 'KEM_SECRET_KEY', `${name} decapsulation key failed the hash check`);
      }
    },
  };
}

/** Builds the noble provider; `random` is the randomness source (a test seam swaps it, see deterministic.ts). */
export function createNobleProvider(random: (n: number) => Uint8Array = nobleRandomBytes, name = 'noble'): CryptoProvider {
  const aeads = new Map<AeadName, Aead>();
  const kems = new Map<KemName, Kem>();
  return {
    name,
    x25519: {
      generateKeyPair() {
        const privateKey = random(32);
        return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
      },
      publicKey(privateKey) {
        return x25519.getPublicKey(abytes(privateKey, 'privateKey', 32));
      },
      dh(privateKey, publicKey) {
        abytes(privateKey, 'privateKey', 32);
        abytes(publicKey, 'publicKey', 32);
        let out: Uint8Array;
        try {
          out = x25519.getSharedSecret(privateKey, publicKey);
        } catch {
          out = new Uint8Array(32);
        }
        return refuseLowOrder(out);
      },
    },
    ed25519: {
      generateKeyPair() {
        const privateKey = random(32);
        return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
      },
      publicKey(privateKey) {
        return ed25519.getPublicKey(abytes(privateKey, 'privateKey', 32));
      },
      sign(privateKey, message) {
        return ed25519.sign(abytes(message, 'message'), abytes(privateKey, 'privateKey', 32));
      },
      verify(publicKey, message, signature) {
        abytes(publicKey, 'publicKey', 32);
        abytes(message, 'message');
        abytes(signature, 'signature');
        if (signature.length !== 64) return false;
        try {
          return ed25519.verify(signature, message, publicKey, { zip215: false });
        } catch {
          return false;
        }
      },
    },
    aead(n) {
      let a = aeads.get(n);
      if (!a) aeads.set(n, (a = nobleAead(n)));
      return a;
    },
    kem(n) {
      let k = kems.get(n);
      if (!k) kems.set(n, (k = nobleKem(n, random)));
      return k;
    },
    hash(n, data) {
      return hashFn(n)(abytes(data, 'data'));
    },
    hmac(n, key, data) {
      return hmac(hashFn(n), abytes(key, 'key'), abytes(data, 'data'));
    },
    hkdf(n, ikm, salt, info, length) {
      checkHkdfLength(length, HASH_LENGTHS[n]?.hashLen ?? 0);
      return hkdf(hashFn(n), abytes(ikm, 'ikm'), abytes(salt, 'salt'), abytes(info, 'info'), length);
    },
    randomBytes(n) {
      checkNonNegativeInt(n, 'length');
      return random(n);
    },
  };
}


