/**
 * The peers the providers are measured against, called directly: node:crypto (OpenSSL), the
 * @noble/* libraries, and sodium-native (libsodium) when it loads. Only the glue a caller of each
 * library would write; no caching beyond what that library's own users do.
 */
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../vectors/external.js';

const require = createRequire(import.meta.url);

// ---- node:crypto ------------------------------------------------------------------------------

const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

// One-time setup uses DER (PKCS#8/SPKI); the per-operation import variants use JWK, the fast path on Node 20.
const DER = {
  x25519Private: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  x25519Public: Buffer.from('302a300506032b656e032100', 'hex'),
  ed25519Private: Buffer.from('302e020100300506032b657004220420', 'hex'),
  ed25519Public: Buffer.from('302a300506032b6570032100', 'hex'),
};

export function nodeX25519PrivateKey(raw: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPrivateKey({ key: Buffer.concat([DER.x25519Private, raw]), format: 'der', type: 'pkcs8' });
}

export function nodeX25519PublicKey(raw: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPublicKey({ key: Buffer.concat([DER.x25519Public, raw]), format: 'der', type: 'spki' });
}

export function nodeX25519PublicKeyJwk(raw: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(raw) }, format: 'jwk' });
}

export function nodeEd25519PrivateKey(seed: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPrivateKey({ key: Buffer.concat([DER.ed25519Private, seed]), format: 'der', type: 'pkcs8' });
}

export function nodeEd25519PublicKey(raw: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPublicKey({ key: Buffer.concat([DER.ed25519Public, raw]), format: 'der', type: 'spki' });
}

export function nodeEd25519PublicKeyJwk(raw: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(raw) }, format: 'jwk' });
}

export type NodeAeadAlgorithm = 'aes-256-gcm' | 'chacha20-poly1305';

export function nodeAeadSeal(alg: NodeAeadAlgorithm, key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = nodeCrypto.createCipheriv(alg, key, nonce, { authTagLength: 16 } as nodeCrypto.CipherGCMOptions) as nodeCrypto.CipherGCM;
  c.setAAD(ad, { plaintextLength: pt.length });
  const body = c.update(pt);
  const fin = c.final();
  return Buffer.concat([body, fin, c.getAuthTag()]);
}

/** Returns undefined when the tag does not verify (node:crypto throws; the peer glue maps it). */
export function nodeAeadOpen(alg: NodeAeadAlgorithm, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < 16) return undefined;
  const d = nodeCrypto.createDecipheriv(alg, key, nonce, { authTagLength: 16 } as nodeCrypto.CipherGCMOptions) as nodeCrypto.DecipherGCM;
  const n = sealed.length - 16;
  d.setAuthTag(sealed.subarray(n));
  d.setAAD(ad, { plaintextLength: n });
  const body = d.update(sealed.subarray(0, n));
  try {
    const fin = d.final();
    return fin.length === 0 ? body : Buffer.concat([body, fin]);
  } catch {
    return undefined;
  }
}

/** ML-KEM in node:crypto (Node >= 24.7 with OpenSSL 3.5); absent on Node 20. */
export interface NodeKem {
  generateKeyPairSync(type: 'ml-kem-768'): { publicKey: nodeCrypto.KeyObject; privateKey: nodeCrypto.KeyObject };
  encapsulate(key: nodeCrypto.KeyObject): { sharedKey: Buffer; ciphertext: Buffer };
  decapsulate(key: nodeCrypto.KeyObject, ciphertext: Uint8Array): Buffer;
}

export function nodeKem(): NodeKem | { reason: string } {
  const c = nodeCrypto as unknown as Partial<NodeKem>;
  if (typeof c.encapsulate !== 'function' || typeof c.decapsulate !== 'function') {
    return { reason: `node:crypto on Node ${process.versions.node} (OpenSSL ${process.versions.openssl}) has no ML-KEM (needs Node >= 24.7 with OpenSSL 3.5)` };
  }
  try {
    nodeCrypto.generateKeyPairSync('ml-kem-768' as never);
  } catch (e) {
    return { reason: `node:crypto ML-KEM-768 key generation failed: ${(e as Error).message}` };
  }
  return c as NodeKem;
}

// ---- sodium-native ------------------------------------------------------------------------------

/** The part of sodium-native's API the benchmarks call (it ships no TypeScript types). */
export interface SodiumNative {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_box_keypair(pk: Uint8Array, sk: Uint8Array): void;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
}

let sodiumCache: { lib: SodiumNative; version: string } | { reason: string } | undefined;

/** sodium-native when its prebuilt binding loads on this platform, else the reason it does not. */
export function loadSodium(): { lib: SodiumNative; version: string } | { reason: string } {
  if (sodiumCache) return sodiumCache;
  try {
    const lib = require('sodium-native') as SodiumNative;
    sodiumCache = { lib, version: packageVersion('sodium-native') ?? 'unknown' };
  } catch (e) {
    sodiumCache = { reason: `sodium-native did not load: ${(e as Error).message.split('\n')[0]}` };
  }
  return sodiumCache;
}

/** Installed version of a package, for the run's record. */
export function packageVersion(name: string): string | undefined {
  // Read from node_modules: many packages do not export their package.json.
  for (const root of [REPO_ROOT, BENCH_PEERS]) {
    try {
      return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

/** Where `npm run bench:peers` installs the peers that are no dependency of the package (licence). */
export const BENCH_PEERS = join(REPO_ROOT, '.bench-peers');

/** Imports a peer from the project's node_modules or, failing that, from .bench-peers/. */
export async function loadBenchPeer(name: string): Promise<unknown> {
  try {
    return await import(name);
  } catch {
    const resolved = createRequire(join(BENCH_PEERS, 'package.json')).resolve(name);
    return await import(pathToFileURL(resolved).href);
  }
}

// ---- noise-handshake (holepunch): Noise IK/XX with 25519, ChaChaPoly, BLAKE2b over sodium -------

export interface NoiseHsKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** The part of noise-handshake's NoiseState the benchmarks use (it ships no TypeScript types). */
export interface NoiseHsState {
  initialise(prologue: Uint8Array, remoteStatic?: Uint8Array): void;
  send(payload?: Uint8Array): Uint8Array;
  recv(message: Uint8Array): Uint8Array;
  readonly complete: boolean;
  readonly hash: Uint8Array | null;
  readonly tx: Uint8Array | null;
  readonly rx: Uint8Array | null;
  readonly rs: Uint8Array | null;
  /** Its ephemeral key pair; set before the first send to replay a vector. */
  e: NoiseHsKeyPair | null;
}

export interface NoiseHsCipher {
  encrypt(plaintext: Uint8Array, ad?: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array, ad?: Uint8Array): Uint8Array;
}

export interface NoiseHandshakeLib {
  readonly version: string;
  readonly Noise: new (pattern: 'IK' | 'XX', initiator: boolean, staticKeypair?: NoiseHsKeyPair) => NoiseHsState;
  readonly Cipher: new (key: Uint8Array) => NoiseHsCipher;
}

export function loadNoiseHandshake(): NoiseHandshakeLib | { reason: string } {
  try {
    return {
      version: packageVersion('noise-handshake') ?? 'unknown',
      Noise: require('noise-handshake') as NoiseHandshakeLib['Noise'],
      Cipher: require('noise-handshake/cipher') as NoiseHandshakeLib['Cipher'],
    };
  } catch (e) {
    return { reason: `noise-handshake did not load: ${(e as Error).message.split('\n')[0]}` };
  }
}
