import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { blake2b, blake2s } from '@noble/hashes/blake2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { abytes } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { isKemSecretKeyHandle, ownKemMaterial, wrapKemSecretKey, isPrivateKeyHandle, ownMaterial, privateKeyBytesForPersistence, wrapPrivateKey, type KeyCurve, type PrivateKeyHandle, type PrivateKeyInput } from './keys.js';
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

/** FIPS 203 7.3 hash check: dk = dk_pke || ek || H(ek) || z, and H(ek) must match. */
function kemHashCheck(dk: Uint8Array, ekLen: number): boolean {
  const pkeLen = dk.length - ekLen - 64;
  const h = sha3_256(dk.subarray(pkeLen, pkeLen + ekLen));
  const stored = dk.subarray(pkeLen + ekLen, pkeLen + ekLen + 32);
  let d = 0;
  for (let i = 0; i < 32; i++) d |= h[i]! ^ stored[i]!;
  return d === 0;
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
    importSecretKey(secretKey) {
      abytes(secretKey, 'secretKey', len.secretKey);
      if (!kemHashCheck(secretKey, len.publicKey)) throw new AgentsecError('decode_failure', 'KEM_SECRET_KEY', `${name} decapsulation key failed the hash check`);
      const copy = secretKey.slice();
      return wrapKemSecretKey(name, NOBLE_HANDLES, copy, () => copy.slice());
    },
    decapsulate(ciphertext, secretKey) {
      abytes(ciphertext, 'ciphertext', len.ciphertext);
      let key: Uint8Array;
      if (isKemSecretKeyHandle(secretKey)) {
        const m = ownKemMaterial(secretKey, name, NOBLE_HANDLES);
        key = (m.own as Uint8Array | undefined) ?? m.raw();
      } else key = abytes(secretKey, 'secretKey', len.secretKey);
      try {
        return impl.decapsulate(ciphertext, key);
      } catch {
        // FIPS 203 7.3 hash check on the decapsulation key.
        throw new AgentsecError('decode_failure', 'KEM_SECRET_KEY', `${name} decapsulation key failed the hash check`);
      }
    },
  };
}

/** Marks the handles the noble provider made. */
const NOBLE_HANDLES = Object.freeze({ provider: 'noble' });

/** The noble provider keeps the bytes path: a handle holds a private copy of the 32 bytes. */
function wrapNoble(curve: KeyCurve, privateKey: Uint8Array, publicOf: (k: Uint8Array) => Uint8Array): PrivateKeyHandle {
  const copy = abytes(privateKey, 'privateKey', 32).slice();
  return wrapPrivateKey(curve, publicOf(copy), NOBLE_HANDLES, copy, () => copy.slice());
}

/** The bytes of a handle or of raw input; `wipe` says whether they are a temporary copy. */
function bytesOf(curve: KeyCurve, privateKey: PrivateKeyInput): { key: Uint8Array; wipe: boolean } {
  if (isPrivateKeyHandle(privateKey)) {
    const own = ownMaterial(privateKey, curve, NOBLE_HANDLES) as Uint8Array | undefined;
    return own ? { key: own, wipe: false } : { key: privateKeyBytesForPersistence(privateKey, curve), wipe: true };
  }
  return { key: abytes(privateKey, 'privateKey', 32), wipe: false };
}

function withKey<T>(curve: KeyCurve, privateKey: PrivateKeyInput, f: (k: Uint8Array) => T): T {
  const { key, wipe } = bytesOf(curve, privateKey);
  try {
    return f(key);
  } finally {
    if (wipe) key.fill(0);
  }
}

const x25519Public = (k: Uint8Array): Uint8Array => x25519.getPublicKey(k);
const ed25519Public = (k: Uint8Array): Uint8Array => ed25519.getPublicKey(k);

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
      generate() {
        const raw = random(32);
        try {
          return wrapNoble('X25519', raw, x25519Public);
        } finally {
          raw.fill(0);
        }
      },
      importPrivateKey(privateKey) {
        return wrapNoble('X25519', privateKey, x25519Public);
      },
      publicKey(privateKey) {
        return isPrivateKeyHandle(privateKey) ? privateKey.publicKey.slice() : x25519.getPublicKey(abytes(privateKey, 'privateKey', 32));
      },
      dh(privateKey, publicKey) {
        return withKey('X25519', privateKey, (key) => {
          abytes(publicKey, 'publicKey', 32);
          let out: Uint8Array;
          try {
            out = x25519.getSharedSecret(key, publicKey);
          } catch {
            out = new Uint8Array(32);
          }
          return refuseLowOrder(out);
        });
      },
    },
    ed25519: {
      generateKeyPair() {
        const privateKey = random(32);
        return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
      },
      generate() {
        const raw = random(32);
        try {
          return wrapNoble('Ed25519', raw, ed25519Public);
        } finally {
          raw.fill(0);
        }
      },
      importPrivateKey(privateKey) {
        return wrapNoble('Ed25519', privateKey, ed25519Public);
      },
      publicKey(privateKey) {
        return isPrivateKeyHandle(privateKey) ? privateKey.publicKey.slice() : ed25519.getPublicKey(abytes(privateKey, 'privateKey', 32));
      },
      sign(privateKey, message) {
        return withKey('Ed25519', privateKey, (key) => ed25519.sign(abytes(message, 'message'), key));
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


