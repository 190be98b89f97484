/**
 * The `node` provider: node:crypto (OpenSSL) for X25519, Ed25519, the AEADs, HKDF/HMAC and hashes;
 * ML-KEM from node:crypto when the running Node has it (Node 24 / OpenSSL 3.5), else from noble.
 * Same validation and error contract as the noble provider (provider.ts header).
 *
 * Private keys are KeyObjects inside handles (keys.ts), imported once; raw private key bytes given
 * to dh/sign are imported per call and not kept. Public-key KeyObjects are cached (they are public;
 * static peer keys recur); raw public keys are imported as JWK (faster than DER here).
 */
import * as nodeCrypto from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  sign as nodeSign,
  verify as nodeVerify,
  randomBytes as nodeRandomBytes,
  randomFillSync,
  type KeyObject,
} from 'node:crypto';
import { abytes, uninitializedBytes } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { isKemSecretKeyHandle, ownKemMaterial, wrapKemSecretKey, ownMaterial, isPrivateKeyHandle, privateKeyBytesForPersistence, wrapPrivateKey, type PrivateKeyHandle, type PrivateKeyInput } from './keys.js';
import { createNobleProvider } from './noble.js';
import { HASH_LENGTHS, KEM_LENGTHS, type Aead, type AeadName, type CryptoProvider, type HashName, type Kem, type KemName } from './provider.js';
import { checkHkdfLength, checkNonNegativeInt, refuseLowOrder } from './validate.js';

const HASH_ALGS: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-512': 'sha512', BLAKE2s: 'blake2s256', BLAKE2b: 'blake2b512' };

function hashAlg(name: HashName): string {
  const a = HASH_ALGS[name];
  if (!a) throw new AgentsecError('unsupported', 'UNKNOWN_HASH', `unknown hash "${String(name)}"`);
  return a;
}

const u8 = (b: Buffer | ArrayBuffer): Uint8Array => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
const fromB64u = (s: string | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64url'));

type Curve = 'X25519' | 'Ed25519';

/** PKCS#8 of a raw OKP private key (RFC 8410): the prefix, then the 32 key bytes. A JWK would need
 * the public `x` as well, which Node 26 checks against `d`. */
const PKCS8_PREFIX: Record<Curve, Buffer> = {
  X25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
};

/** How this Node imports 32 raw private key bytes fastest (probed once, see RAW_IMPORT). */
type RawImport = (crv: Curve, privateKey: Uint8Array) => KeyObject;

/** PKCS#8 DER: every Node takes it, but OpenSSL 3.0 decodes it slowly (about 10x a JWK import on Node 20). */
const importDer: RawImport = (crv, privateKey) => {
  const der = Buffer.concat([PKCS8_PREFIX[crv], privateKey]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
};
/** Node >= 24.7: the raw private key format. */
const importRaw: RawImport = (crv, privateKey) =>
  createPrivateKey({ key: Buffer.from(privateKey), format: 'raw-private', asymmetricKeyType: crv.toLowerCase() } as unknown as string);
/** Older Node: a JWK whose `x` is ignored on import (Node 26 checks it, so the probe refuses it there). */
const PLACEHOLDER_X = 'A'.repeat(43);
const importJwk: RawImport = (crv, privateKey) => createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(privateKey), x: PLACEHOLDER_X }, format: 'jwk' });

/** The first import that gives the same key as PKCS#8 on this Node, for both curves. */
function probeRawImport(): RawImport {
  const probe = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  for (const f of [importRaw, importJwk]) {
    try {
      const same = (['X25519', 'Ed25519'] as const).every((crv) => {
        const a = createPublicKey(f(crv, probe)).export({ format: 'jwk' }).x;
        return a !== undefined && a === createPublicKey(importDer(crv, probe)).export({ format: 'jwk' }).x;
      });
      if (same) return f;
    } catch {
      // not offered by this Node
    }
  }
  return importDer;
}

const RAW_IMPORT = probeRawImport();

function privateKeyObject(crv: Curve, privateKey: Uint8Array): KeyObject {
  return RAW_IMPORT(crv, privateKey);
}

function publicOf(key: KeyObject): Uint8Array {
  return fromB64u(createPublicKey(key).export({ format: 'jwk' }).x);
}

function publicFromPrivate(crv: Curve, privateKey: Uint8Array): Uint8Array {
  return publicOf(privateKeyObject(crv, privateKey));
}

/** Marks the handles this provider made (any node provider instance can use them). */
const NODE_HANDLES = Object.freeze({ provider: 'node' });

/** The raw key back out of a KeyObject (PKCS#8 ends with the 32 key bytes; RFC 8410). */
function rawOf(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const raw = new Uint8Array(der.subarray(der.length - 32));
  der.fill(0);
  return raw;
}

function wrapNode(crv: Curve, privateKey: Uint8Array): PrivateKeyHandle {
  abytes(privateKey, 'privateKey', 32);
  const key = privateKeyObject(crv, privateKey);
  return wrapPrivateKey(crv, publicOf(key), NODE_HANDLES, key, () => rawOf(key));
}

/** The KeyObject of a handle (made once) or of raw bytes (imported for this call only). */
function keyObjectOf(crv: Curve, privateKey: PrivateKeyInput): KeyObject {
  if (isPrivateKeyHandle(privateKey)) {
    const own = ownMaterial(privateKey, crv, NODE_HANDLES) as KeyObject | undefined;
    if (own) return own;
    const raw = privateKeyBytesForPersistence(privateKey, crv);
    try {
      return privateKeyObject(crv, raw);
    } finally {
      raw.fill(0);
    }
  }
  return privateKeyObject(crv, abytes(privateKey, 'privateKey', 32));
}

/** A bounded map from public bytes to what `make` builds from them (public data only; oldest evicted first). */
class BoundedCache<T> {
  private readonly map = new Map<string, T>();
  constructor(
    private readonly max: number,
    private readonly make: (bytes: Uint8Array) => T,
  ) {}
  get(bytes: Uint8Array): T {
    const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    let v = this.map.get(id);
    if (v === undefined) {
      v = this.make(bytes);
      if (this.map.size >= this.max) {
        const oldest = this.map.keys().next().value;
        if (oldest !== undefined) this.map.delete(oldest);
      }
      this.map.set(id, v);
    }
    return v;
  }
}

/** Bounded cache of public KeyObjects keyed by curve and hex (public data only). */
class PublicKeyCache {
  private readonly map = new Map<string, KeyObject>();
  constructor(private readonly max: number) {}
  get(crv: Curve, publicKey: Uint8Array): KeyObject {
    const id = `${crv}:${Buffer.from(publicKey).toString('hex')}`;
    let k = this.map.get(id);
    if (!k) {
      k = createPublicKey({ key: { kty: 'OKP', crv, x: b64u(publicKey) }, format: 'jwk' });
      if (this.map.size >= this.max) {
        const oldest = this.map.keys().next().value;
        if (oldest !== undefined) this.map.delete(oldest);
      }
      this.map.set(id, k);
    }
    return k;
  }
}

const CIPHERS: Record<AeadName, 'aes-256-gcm' | 'chacha20-poly1305'> = { 'AES-256-GCM': 'aes-256-gcm', 'ChaCha20-Poly1305': 'chacha20-poly1305' };

function nodeAead(name: AeadName): Aead {
  const alg = CIPHERS[name];
  if (!alg) throw new AgentsecError('unsupported', 'UNKNOWN_AEAD', `unknown AEAD "${String(name)}"`);
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
      const c = createCipheriv(alg as 'aes-256-gcm', key, nonce, { authTagLength: 16 });
      c.setAAD(ad, { plaintextLength: plaintext.length });
      const body = c.update(plaintext);
      const fin = c.final();
      const tag = c.getAuthTag();
      const out = uninitializedBytes(body.length + fin.length + 16);
      out.set(body, 0);
      out.set(fin, body.length);
      out.set(tag, body.length + fin.length);
      return out;
    },
    open(key, nonce, ciphertext, ad) {
      abytes(key, 'key', 32);
      abytes(nonce, 'nonce', 12);
      abytes(ciphertext, 'ciphertext');
      abytes(ad, 'ad');
      if (ciphertext.length < 16) throw new AgentsecError('auth_failure', 'AEAD_TAG', 'decryption failed');
      const bodyLen = ciphertext.length - 16;
      try {
        const d = createDecipheriv(alg as 'aes-256-gcm', key, nonce, { authTagLength: 16 });
        d.setAuthTag(ciphertext.subarray(bodyLen));
        d.setAAD(ad, { plaintextLength: bodyLen });
        const body = d.update(ciphertext.subarray(0, bodyLen));
        const fin = d.final();
        // Released only now, after final() verified the tag. A body with its own memory (large
        // outputs; small ones share Node's pool) is handed out as is, without a copy.
        if (fin.length === 0 && body.byteOffset === 0 && body.buffer.byteLength === body.length) return new Uint8Array(body.buffer, 0, body.length);
        const out = new Uint8Array(body.length + fin.length);
        out.set(body, 0);
        out.set(fin, body.length);
        // Plaintext released only after final() verified the tag; the partial buffer is wiped.
        body.fill(0);
        return out;
      } catch {
        throw new AgentsecError('auth_failure', 'AEAD_TAG', 'decryption failed');
      }
    },
  };
}

function hmacBytes(alg: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(createHmac(alg, key).update(data).digest());
}

/** RFC 5869 via HMAC, for inputs hkdfSync refuses (its info is capped at 1024 bytes). */
function hkdfViaHmac(alg: string, hashLen: number, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = hmacBytes(alg, salt.length === 0 ? new Uint8Array(hashLen) : salt, ikm);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++) {
    t = hmacBytes(alg, prk, Buffer.concat([t, info, Uint8Array.of(i)]));
    out.set(t.subarray(0, Math.min(hashLen, length - off)), off);
    off += hashLen;
  }
  prk.fill(0);
  t.fill(0);
  return out;
}

/** OpenSSL 3.0's KDF fetch is slow; from 3.5 on hkdfSync beats HMAC-based HKDF (bench/README.md). */
const HKDF_VIA_HMAC = /^3\.[0-4]\./.test(process.versions.openssl ?? '');

// ---- ML-KEM ----------------------------------------------------------------------------------

/** OIDs of ML-KEM-768 / -1024 (NIST CSOR 2.16.840.1.101.3.4.4.{2,3}), DER-encoded. */
const KEM_OID: Record<KemName, string> = { 'ML-KEM-768': '0609608648016503040402', 'ML-KEM-1024': '0609608648016503040403' };
const KEM_TYPE: Record<KemName, string> = { 'ML-KEM-768': 'ml-kem-768', 'ML-KEM-1024': 'ml-kem-1024' };

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
function derTlv(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}
/** RFC 9935-style PKCS#8 for ML-KEM: privateKey is `[0] seed` or `OCTET STRING expandedKey`. */
function kemPkcs8(name: KemName, privateKey: Buffer): Buffer {
  const algId = derTlv(0x30, Buffer.from(KEM_OID[name], 'hex'));
  return derTlv(0x30, Buffer.concat([Buffer.from('020100', 'hex'), algId, derTlv(0x04, privateKey)]));
}

interface NodeKemApi {
  encapsulate(key: KeyObject): { sharedKey: Buffer; ciphertext: Buffer };
  decapsulate(key: KeyObject, ciphertext: Uint8Array): Buffer;
}

function nodeKemApi(): NodeKemApi | undefined {
  const api = nodeCrypto as unknown as Partial<NodeKemApi>;
  return typeof api.encapsulate === 'function' && typeof api.decapsulate === 'function' ? (api as NodeKemApi) : undefined;
}

/** Native ML-KEM over node:crypto; the seeded encapsulation (a test seam node cannot take) goes to `fallback`. */
function nodeKem(name: KemName, api: NodeKemApi, fallback: Kem, random: (n: number) => Uint8Array): Kem {
  const len = KEM_LENGTHS[name];
  const type = KEM_TYPE[name];
  /** Encapsulation keys are public; a peer's recurs (its published PQ prekey), so its import is cached. */
  const publicKeys = new BoundedCache<KeyObject>(256, (publicKey) => {
    try {
      return createPublicKey({ key: Buffer.from(publicKey), format: 'raw-public', asymmetricKeyType: type } as unknown as string);
    } catch {
      // FIPS 203 7.2 modulus check, done by OpenSSL on import.
      throw new AgentsecError('decode_failure', 'KEM_PUBLIC_KEY', `${name} public key failed the modulus check`);
    }
  });
  const importSecret = (secretKey: Uint8Array): KeyObject => {
    const der = kemPkcs8(name, derTlv(0x04, secretKey));
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch {
      // FIPS 203 7.3 hash check on the decapsulation key, done by OpenSSL on import.
      throw new AgentsecError('decode_failure', 'KEM_SECRET_KEY', `${name} decapsulation key failed the hash check`);
    } finally {
      der.fill(0);
    }
  };
  return {
    name,
    keygen(seed) {
      const s = seed === undefined ? random(64) : abytes(seed, 'seed', 64);
      const der = kemPkcs8(name, derTlv(0x80, s));
      const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      // OpenSSL exports both forms: SEQUENCE { OCTET STRING seed, OCTET STRING expandedKey }; the
      // expanded key is the tail.
      const full = key.export({ format: 'der', type: 'pkcs8' });
      // Node 26 exports the seed-only form: the expanded key is then FIPS 203 KeyGen of the same
      // seed, which the fallback computes (encapsulation and decapsulation stay native).
      const secretKey = full.length > len.secretKey ? new Uint8Array(full.subarray(full.length - len.secretKey)) : fallback.keygen(s).secretKey;
      full.fill(0);
      der.fill(0);
      const publicKey = u8(createPublicKey(key).export({ format: 'raw-public' } as unknown as { format: 'der'; type: 'spki' }));
      return { publicKey: new Uint8Array(publicKey), secretKey };
    },
    encapsulate(publicKey, message) {
      if (message !== undefined) return fallback.encapsulate(publicKey, message);
      abytes(publicKey, 'publicKey', len.publicKey);
      const { sharedKey, ciphertext } = api.encapsulate(publicKeys.get(publicKey));
      return { ciphertext: u8(ciphertext), sharedSecret: u8(sharedKey) };
    },
    importSecretKey(secretKey) {
      abytes(secretKey, 'secretKey', len.secretKey);
      const key = importSecret(secretKey);
      const copy = secretKey.slice();
      return wrapKemSecretKey(name, NODE_HANDLES, key, () => copy.slice());
    },
    decapsulate(ciphertext, secretKey) {
      abytes(ciphertext, 'ciphertext', len.ciphertext);
      let key: KeyObject;
      if (isKemSecretKeyHandle(secretKey)) {
        const m = ownKemMaterial(secretKey, name, NODE_HANDLES);
        if (m.own) key = m.own as KeyObject;
        else {
          const raw = m.raw();
          key = importSecret(raw);
          raw.fill(0);
        }
      } else key = importSecret(abytes(secretKey, 'secretKey', len.secretKey));
      return u8(api.decapsulate(key, ciphertext));
    },
  };
}

/** True when this Node serves ML-KEM natively in the form nodeKem needs (probed once, at load). */
function probeNativeKem(): NodeKemApi | undefined {
  const api = nodeKemApi();
  if (!api) return undefined;
  try {
    const k = nodeKem('ML-KEM-768', api, createNobleProvider().kem('ML-KEM-768'), (n) => new Uint8Array(n));
    const kp = k.keygen(new Uint8Array(64));
    const { ciphertext, sharedSecret } = k.encapsulate(kp.publicKey);
    const back = k.decapsulate(ciphertext, kp.secretKey);
    return kp.publicKey.length === 1184 && Buffer.from(back).equals(Buffer.from(sharedSecret)) ? api : undefined;
  } catch {
    return undefined;
  }
}

const NATIVE_KEM = probeNativeKem();

/** Whether ML-KEM runs on node:crypto in this process (else it is served by noble). */
export const nodeHasNativeMlKem: boolean = NATIVE_KEM !== undefined;

/**
 * The default randomness: small draws (keys, nonces, salts) are copied out of a pool filled by
 * randomFillSync, one OS-level call per 4 KiB instead of one per draw; each byte is handed out
 * once and wiped from the pool as it is taken.
 */
function pooledRandom(): (n: number) => Uint8Array {
  const pool = new Uint8Array(4096);
  let used = pool.length;
  return (n) => {
    if (n > 256) return u8(nodeRandomBytes(n));
    if (used + n > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const out = pool.slice(used, used + n);
    pool.fill(0, used, used + n);
    used += n;
    return out;
  };
}

/** Builds the node provider; `random` is the randomness source (a test seam swaps it, see deterministic.ts). */
export function createNodeProvider(random: (n: number) => Uint8Array = pooledRandom(), name = 'node'): CryptoProvider {
  const noble = createNobleProvider(random, `${name}/noble`);
  const publicKeys = new PublicKeyCache(1024);
  const aeads = new Map<AeadName, Aead>();
  const kems = new Map<KemName, Kem>();
  return {
    name,
    x25519: {
      generateKeyPair() {
        const privateKey = random(32);
        return { privateKey, publicKey: publicFromPrivate('X25519', privateKey) };
      },
      generate() {
        const raw = random(32);
        try {
          return wrapNode('X25519', raw);
        } finally {
          raw.fill(0);
        }
      },
      importPrivateKey(privateKey) {
        return wrapNode('X25519', privateKey);
      },
      publicKey(privateKey) {
        return isPrivateKeyHandle(privateKey) ? privateKey.publicKey.slice() : publicFromPrivate('X25519', abytes(privateKey, 'privateKey', 32));
      },
      dh(privateKey, publicKey) {
        const key = keyObjectOf('X25519', privateKey);
        abytes(publicKey, 'publicKey', 32);
        let out: Uint8Array;
        try {
          out = u8(diffieHellman({ privateKey: key, publicKey: publicKeys.get('X25519', publicKey) }));
        } catch {
          // OpenSSL refuses exactly the all-zero result (RFC 7748 6.1 check).
          out = new Uint8Array(32);
        }
        return refuseLowOrder(out);
      },
    },
    ed25519: {
      generateKeyPair() {
        const privateKey = random(32);
        return { privateKey, publicKey: publicFromPrivate('Ed25519', privateKey) };
      },
      generate() {
        const raw = random(32);
        try {
          return wrapNode('Ed25519', raw);
        } finally {
          raw.fill(0);
        }
      },
      importPrivateKey(privateKey) {
        return wrapNode('Ed25519', privateKey);
      },
      publicKey(privateKey) {
        return isPrivateKeyHandle(privateKey) ? privateKey.publicKey.slice() : publicFromPrivate('Ed25519', abytes(privateKey, 'privateKey', 32));
      },
      sign(privateKey, message) {
        const key = keyObjectOf('Ed25519', privateKey);
        abytes(message, 'message');
        return u8(nodeSign(null, message, key));
      },
      verify(publicKey, message, signature) {
        abytes(publicKey, 'publicKey', 32);
        abytes(message, 'message');
        abytes(signature, 'signature');
        if (signature.length !== 64) return false;
        try {
          return nodeVerify(null, message, publicKeys.get('Ed25519', publicKey), signature);
        } catch {
          return false;
        }
      },
    },
    aead(n) {
      let a = aeads.get(n);
      if (!a) aeads.set(n, (a = nodeAead(n)));
      return a;
    },
    kem(n) {
      let k = kems.get(n);
      if (!k) {
        const fallback = noble.kem(n);
        k = NATIVE_KEM ? nodeKem(n, NATIVE_KEM, fallback, random) : fallback;
        kems.set(n, k);
      }
      return k;
    },
    hash(n, data) {
      const alg = hashAlg(n);
      return u8(createHash(alg).update(abytes(data, 'data')).digest());
    },
    hmac(n, key, data) {
      const alg = hashAlg(n);
      return hmacBytes(alg, abytes(key, 'key'), abytes(data, 'data'));
    },
    hkdf(n, ikm, salt, info, length) {
      const alg = hashAlg(n);
      const hashLen = HASH_LENGTHS[n].hashLen;
      checkHkdfLength(length, hashLen);
      abytes(ikm, 'ikm');
      abytes(salt, 'salt');
      abytes(info, 'info');
      // hkdfSync refuses info longer than 1024 bytes. On OpenSSL 3.0 (Node 20) it also has a large
      // fixed cost (about 4 HMACs; bench group hkdf-sha256-64B), so short outputs go through HMAC there.
      if (info.length > 1024 || (HKDF_VIA_HMAC && length <= 4 * hashLen)) return hkdfViaHmac(alg, hashLen, ikm, salt, info, length);
      return u8(hkdfSync(alg, ikm, salt, info, length));
    },
    randomBytes(n) {
      checkNonNegativeInt(n, 'length');
      return random(n);
    },
  };
}
