/**
 * Crypto primitives: the two reference providers against node:crypto, @noble/* and sodium-native
 * called directly. Every group is one operation at one size; every case first proves it computes
 * the right thing (published known answer, round trip, byte agreement with OpenSSL or noble).
 */
import * as nodeCrypto from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { AgentsecError, type AeadName, type CryptoProvider } from '../reference/index.js';
import {
  AES_256_GCM_KAT,
  CHACHA20_POLY1305_KAT,
  ED25519_KAT,
  HKDF_SHA256_KAT,
  X25519_KAT,
  benchBytes,
  mlkem768Kats,
  type AeadKat,
} from './_fixtures.js';
import { VerificationError, expectBytes, expectTrue, sizeLabel, type BenchCase, type GroupInfo, type Suite, type Unavailable } from './case.js';
import {
  loadSodium,
  nodeAeadOpen,
  nodeAeadSeal,
  nodeEd25519PrivateKey,
  nodeEd25519PublicKey,
  nodeEd25519PublicKeyJwk,
  nodeKem,
  nodeX25519PrivateKey,
  nodeX25519PublicKey,
  nodeX25519PublicKeyJwk,
  type NodeAeadAlgorithm,
  type SodiumNative,
} from './peers.js';
import { availableProviders } from './providers.js';

export const AEAD_SIZES = [64, 1024, 65536] as const;

/** One AEAD implementation reduced to seal/open over (key, nonce, pt|sealed, ad). */
interface AeadImpl {
  readonly name: string;
  readonly kind: BenchCase['kind'];
  readonly alg: AeadName;
  seal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array;
  /** undefined (or a throw of auth_failure for providers) on a bad tag. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined;
}

const NODE_ALG: Record<AeadName, NodeAeadAlgorithm> = { 'AES-256-GCM': 'aes-256-gcm', 'ChaCha20-Poly1305': 'chacha20-poly1305' };
const KATS: Record<AeadName, AeadKat> = { 'AES-256-GCM': AES_256_GCM_KAT, 'ChaCha20-Poly1305': CHACHA20_POLY1305_KAT };

function aeadImpls(providers: { name: string; provider: CryptoProvider }[], sodium: SodiumNative | undefined): AeadImpl[] {
  const out: AeadImpl[] = [];
  for (const alg of ['AES-256-GCM', 'ChaCha20-Poly1305'] as const) {
    for (const { name, provider } of providers) {
      const a = provider.aead(alg);
      out.push({ name: `provider:${name} ${alg}`, kind: 'provider', alg, seal: (k, n, p, d) => a.seal(k, n, p, d), open: (k, n, c, d) => a.open(k, n, c, d) });
    }
  }
  for (const alg of ['AES-256-GCM', 'ChaCha20-Poly1305'] as const) {
    const na = NODE_ALG[alg];
    out.push({ name: `node:crypto ${na}`, kind: 'peer', alg, seal: (k, n, p, d) => nodeAeadSeal(na, k, n, p, d), open: (k, n, c, d) => nodeAeadOpen(na, k, n, c, d) });
  }
  out.push({
    name: '@noble/ciphers gcm',
    kind: 'peer',
    alg: 'AES-256-GCM',
    seal: (k, n, p, d) => gcm(k, n, d).encrypt(p),
    open: (k, n, c, d) => gcm(k, n, d).decrypt(c),
  });
  out.push({
    name: '@noble/ciphers chacha20poly1305',
    kind: 'peer',
    alg: 'ChaCha20-Poly1305',
    seal: (k, n, p, d) => chacha20poly1305(k, n, d).encrypt(p),
    open: (k, n, c, d) => chacha20poly1305(k, n, d).decrypt(c),
  });
  if (sodium) {
    out.push({
      name: 'sodium-native chacha20poly1305_ietf',
      kind: 'peer',
      alg: 'ChaCha20-Poly1305',
      // Output buffers are allocated per call, as the other implementations do.
      seal: (k, n, p, d) => {
        const c = Buffer.allocUnsafe(p.length + 16);
        sodium.crypto_aead_chacha20poly1305_ietf_encrypt(c, p, d, null, n, k);
        return c;
      },
      open: (k, n, c, d) => {
        if (c.length < 16) return undefined;
        const m = Buffer.allocUnsafe(c.length - 16);
        try {
          sodium.crypto_aead_chacha20poly1305_ietf_decrypt(m, null, c, d, n, k);
        } catch {
          return undefined;
        }
        return m;
      },
    });
  }
  return out;
}

/** open() that maps every refusal style (undefined, a thrown error) to undefined. */
function tryOpen(impl: AeadImpl, k: Uint8Array, n: Uint8Array, c: Uint8Array, d: Uint8Array): Uint8Array | undefined {
  try {
    return impl.open(k, n, c, d);
  } catch (e) {
    if (impl.kind === 'provider' && !(e instanceof AgentsecError && e.kind === 'auth_failure')) {
      throw new VerificationError(`tampered ciphertext refused with ${(e as Error).message}, not auth_failure`);
    }
    return undefined;
  }
}

function aeadCases(impls: AeadImpl[]): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const size of AEAD_SIZES) {
    const group = `aead-seal-open-${sizeLabel(size)}`;
    const key = benchBytes('aead-key', 32);
    const ad = benchBytes('aead-ad', 16);
    const pt = benchBytes(`aead-pt-${size}`, size);
    for (const impl of impls) {
      // The nonce changes every operation, as in a real channel; the counter write costs the same for all.
      const nonce = new Uint8Array(12);
      const view = new DataView(nonce.buffer);
      let counter = 0;
      cases.push({
        group,
        name: impl.name,
        kind: impl.kind,
        bytes: size,
        verify() {
          const kat = KATS[impl.alg];
          expectBytes(impl.seal(kat.key, kat.nonce, kat.plaintext, kat.ad), kat.sealed, `known answer (${kat.source}) seal`);
          const katOpen = tryOpen(impl, kat.key, kat.nonce, kat.sealed, kat.ad);
          expectTrue(katOpen !== undefined, `known answer (${kat.source}) open refused`);
          expectBytes(katOpen!, kat.plaintext, `known answer (${kat.source}) open`);
          const n = benchBytes('aead-verify-nonce', 12);
          const sealed = impl.seal(key, n, pt, ad);
          const opened = tryOpen(impl, key, n, sealed, ad);
          expectTrue(opened !== undefined, 'round trip: open refused its own seal');
          expectBytes(opened!, pt, 'round trip open(seal(x)) == x');
          expectBytes(sealed, nodeAeadSeal(NODE_ALG[impl.alg], key, n, pt, ad), 'agreement with OpenSSL (node:crypto) ciphertext');
          const bad = sealed.slice();
          bad[bad.length >> 1]! ^= 1;
          expectTrue(tryOpen(impl, key, n, bad, ad) === undefined, 'tampered ciphertext refused');
          return [`known-answer ${kat.source}`, 'round-trip', 'agrees-with node:crypto', 'tamper-refused'];
        },
        fn() {
          view.setUint32(8, ++counter);
          const sealed = impl.seal(key, nonce, pt, ad);
          return impl.open(key, nonce, sealed, ad);
        },
      });
    }
  }
  return cases;
}

// ---- X25519 ------------------------------------------------------------------------------------

interface DhImpl {
  readonly name: string;
  readonly kind: BenchCase['kind'];
  dh(priv: Uint8Array, pub: Uint8Array): Uint8Array;
  /** The timed operation: may use objects prepared once from (priv, pub). */
  prepare(priv: Uint8Array, pub: Uint8Array): () => Uint8Array;
}

function dhImpls(providers: { name: string; provider: CryptoProvider }[], sodium: SodiumNative | undefined): DhImpl[] {
  // The providers' private keys are handles made once (what the protocols keep between calls), and
  // for comparison raw bytes imported on every call.
  const out: DhImpl[] = providers.flatMap(({ name, provider }) => [
    {
      name: `provider:${name}`,
      kind: 'provider' as const,
      dh: (a: Uint8Array, b: Uint8Array) => provider.x25519.dh(provider.x25519.importPrivateKey(a), b),
      prepare: (a: Uint8Array, b: Uint8Array) => {
        const h = provider.x25519.importPrivateKey(a);
        return () => provider.x25519.dh(h, b);
      },
    },
    {
      name: `provider:${name}, raw private key per call`,
      kind: 'provider' as const,
      dh: (a: Uint8Array, b: Uint8Array) => provider.x25519.dh(a, b),
      prepare: (a: Uint8Array, b: Uint8Array) => () => provider.x25519.dh(a, b),
    },
  ]);
  out.push({ name: '@noble/curves x25519', kind: 'peer', dh: (a, b) => x25519.getSharedSecret(a, b), prepare: (a, b) => () => x25519.getSharedSecret(a, b) });
  const nodeDh = (a: Uint8Array, b: Uint8Array): Uint8Array => nodeCrypto.diffieHellman({ privateKey: nodeX25519PrivateKey(a), publicKey: nodeX25519PublicKey(b) });
  out.push({
    name: 'node:crypto diffieHellman, cached KeyObjects',
    kind: 'peer',
    dh: nodeDh,
    prepare: (a, b) => {
      const privateKey = nodeX25519PrivateKey(a);
      const publicKey = nodeX25519PublicKey(b);
      return () => nodeCrypto.diffieHellman({ privateKey, publicKey });
    },
  });
  out.push({
    name: 'node:crypto diffieHellman, peer key imported (JWK)',
    kind: 'peer',
    dh: nodeDh,
    prepare: (a, b) => {
      const privateKey = nodeX25519PrivateKey(a);
      return () => nodeCrypto.diffieHellman({ privateKey, publicKey: nodeX25519PublicKeyJwk(b) });
    },
  });
  if (sodium) {
    const dh = (a: Uint8Array, b: Uint8Array): Uint8Array => {
      const q = Buffer.allocUnsafe(32);
      sodium.crypto_scalarmult(q, a, b);
      return q;
    };
    out.push({ name: 'sodium-native crypto_scalarmult', kind: 'peer', dh, prepare: (a, b) => () => dh(a, b) });
  }
  return out;
}

function x25519Cases(impls: DhImpl[]): BenchCase[] {
  const a = benchBytes('x25519-a', 32);
  const b = benchBytes('x25519-b', 32);
  const A = x25519.getPublicKey(a);
  const B = x25519.getPublicKey(b);
  return impls.map((impl) => {
    const op = impl.prepare(a, B);
    return {
      group: 'x25519-dh',
      name: impl.name,
      kind: impl.kind,
      verify() {
        const k = X25519_KAT;
        expectBytes(impl.dh(k.alicePrivate, k.bobPublic), k.shared, `known answer (${k.source})`);
        expectBytes(op(), impl.dh(b, A), 'agreement dh(a, B) == dh(b, A)');
        expectBytes(op(), x25519.getSharedSecret(a, B), 'agreement with @noble/curves');
        return [`known-answer ${k.source}`, 'dh(a,B) == dh(b,A)', 'agrees-with @noble/curves'];
      },
      fn: op,
    };
  });
}

function x25519KeygenCases(providers: { name: string; provider: CryptoProvider }[], sodium: SodiumNative | undefined): BenchCase[] {
  const gens: { name: string; kind: BenchCase['kind']; gen: () => { publicKey: Uint8Array; privateKey: Uint8Array } }[] = providers.map(({ name, provider }) => ({
    name: `provider:${name}`,
    kind: 'provider' as const,
    gen: () => provider.x25519.generateKeyPair(),
  }));
  gens.push({
    name: '@noble/curves x25519 keygen',
    kind: 'peer',
    gen: () => {
      const k = x25519.keygen();
      return { publicKey: k.publicKey, privateKey: k.secretKey };
    },
  });
  gens.push({
    name: 'node:crypto generateKeyPairSync, DER out',
    kind: 'peer',
    // Encoded inside the call: on Node 20, exporting (JWK) the KeyObjects generateKeyPairSync returns
    // can deadlock the process when a GC runs during the export (the finished key-generation job's
    // destructor waits on the mutex the export holds). Raw keys are the DER's last 32 bytes.
    gen: () => {
      const kp = nodeCrypto.generateKeyPairSync('x25519', { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
      return { publicKey: kp.publicKey.subarray(kp.publicKey.length - 32), privateKey: kp.privateKey.subarray(kp.privateKey.length - 32) };
    },
  });
  if (sodium) {
    gens.push({
      name: 'sodium-native crypto_box_keypair',
      kind: 'peer',
      gen: () => {
        const publicKey = Buffer.allocUnsafe(32);
        const privateKey = Buffer.allocUnsafe(32);
        sodium.crypto_box_keypair(publicKey, privateKey);
        return { publicKey, privateKey };
      },
    });
  }
  return gens.map((g) => ({
    group: 'x25519-keygen',
    name: g.name,
    kind: g.kind,
    verify() {
      const k1 = g.gen();
      const k2 = g.gen();
      expectTrue(k1.publicKey.length === 32 && k1.privateKey.length === 32, 'key lengths 32/32');
      expectBytes(k1.publicKey, x25519.getPublicKey(k1.privateKey), 'public key matches private key (@noble/curves)');
      expectTrue(!Buffer.from(k1.privateKey).equals(Buffer.from(k2.privateKey)), 'two key pairs differ');
      return ['public-matches-private', 'fresh-each-call'];
    },
    fn: g.gen,
  }));
}

// ---- Ed25519 -----------------------------------------------------------------------------------

interface SigImpl {
  readonly signName?: string;
  readonly verifyName?: string;
  readonly kind: BenchCase['kind'];
  /** (seed) -> sign(message), with what the library's users keep between calls prepared once; absent for verify-only entries. */
  signer?(seed: Uint8Array): (m: Uint8Array) => Uint8Array;
  /** (public key) -> verify(message, signature); absent for sign-only entries. */
  verifier?(pub: Uint8Array): (m: Uint8Array, sig: Uint8Array) => boolean;
}

function sigImpls(providers: { name: string; provider: CryptoProvider }[], sodium: SodiumNative | undefined): SigImpl[] {
  const out: SigImpl[] = providers.flatMap(({ name, provider }) => [
    {
      signName: `provider:${name}`,
      verifyName: `provider:${name}`,
      kind: 'provider' as const,
      signer: (seed: Uint8Array) => {
        const h = provider.ed25519.importPrivateKey(seed);
        return (m: Uint8Array) => provider.ed25519.sign(h, m);
      },
      verifier: (pub: Uint8Array) => (m: Uint8Array, s: Uint8Array) => provider.ed25519.verify(pub, m, s),
    },
    {
      signName: `provider:${name}, raw private key per call`,
      kind: 'provider' as const,
      signer: (seed: Uint8Array) => (m: Uint8Array) => provider.ed25519.sign(seed, m),
    },
  ]);
  out.push({
    signName: '@noble/curves ed25519',
    verifyName: '@noble/curves ed25519',
    kind: 'peer',
    signer: (seed) => (m) => ed25519.sign(m, seed),
    verifier: (pub) => (m, s) => ed25519.verify(s, m, pub),
  });
  out.push({
    signName: 'node:crypto sign, cached KeyObject',
    verifyName: 'node:crypto verify, cached KeyObject',
    kind: 'peer',
    signer: (seed) => {
      const key = nodeEd25519PrivateKey(seed);
      return (m) => nodeCrypto.sign(null, m, key);
    },
    verifier: (pub) => {
      const key = nodeEd25519PublicKey(pub);
      return (m, s) => nodeCrypto.verify(null, m, key, s);
    },
  });
  out.push({
    verifyName: 'node:crypto verify, key imported (JWK)',
    kind: 'peer',
    verifier: (pub) => (m, s) => nodeCrypto.verify(null, m, nodeEd25519PublicKeyJwk(pub), s),
  });
  if (sodium) {
    out.push({
      signName: 'sodium-native crypto_sign_detached',
      verifyName: 'sodium-native crypto_sign_verify_detached',
      kind: 'peer',
      signer: (seed) => {
        const pk = Buffer.allocUnsafe(32);
        const sk = Buffer.allocUnsafe(64);
        sodium.crypto_sign_seed_keypair(pk, sk, seed);
        return (m) => {
          const sig = Buffer.allocUnsafe(64);
          sodium.crypto_sign_detached(sig, m, sk);
          return sig;
        };
      },
      verifier: (pub) => (m, s) => sodium.crypto_sign_verify_detached(s, m, pub),
    });
  }
  return out;
}

function ed25519Cases(impls: SigImpl[]): BenchCase[] {
  const seed = benchBytes('ed25519-seed', 32);
  const pub = ed25519.getPublicKey(seed);
  const msg = benchBytes('ed25519-msg', 64);
  const expectedSig = ed25519.sign(msg, seed);
  const k = ED25519_KAT;
  const cases: BenchCase[] = [];
  for (const impl of impls) {
    const signerFor = impl.signer;
    if (signerFor && impl.signName) {
      const sign = signerFor(seed);
      cases.push({
        group: 'ed25519-sign',
        name: impl.signName,
        kind: impl.kind,
        verify() {
          expectBytes(signerFor(k.privateKey)(k.message), k.signature, `known answer (${k.source})`);
          const sig = sign(msg);
          expectBytes(sig, expectedSig, 'agreement with @noble/curves (deterministic signature)');
          expectTrue(ed25519.verify(sig, msg, pub), 'signature verifies (@noble/curves)');
          return [`known-answer ${k.source}`, 'agrees-with @noble/curves', 'verifies'];
        },
        fn: () => sign(msg),
      });
    }
    const verifierFor = impl.verifier;
    if (!verifierFor || !impl.verifyName) continue;
    const verify = verifierFor(pub);
    cases.push({
      group: 'ed25519-verify',
      name: impl.verifyName,
      kind: impl.kind,
      verify() {
        expectTrue(verifierFor(k.publicKey)(k.message, k.signature), `known answer (${k.source}) accepted`);
        expectTrue(verify(msg, expectedSig), 'valid signature accepted');
        const bad = expectedSig.slice();
        bad[5]! ^= 0x10;
        expectTrue(!verify(msg, bad), 'altered signature refused');
        const badMsg = msg.slice();
        badMsg[0]! ^= 1;
        expectTrue(!verify(badMsg, expectedSig), 'altered message refused');
        return [`known-answer ${k.source}`, 'valid-accepted', 'altered-signature-refused', 'altered-message-refused'];
      },
      fn: () => verify(msg, expectedSig),
    });
  }
  return cases;
}

// ---- HKDF --------------------------------------------------------------------------------------

function hkdfCases(providers: { name: string; provider: CryptoProvider }[]): BenchCase[] {
  const ikm = benchBytes('hkdf-ikm', 32);
  const salt = benchBytes('hkdf-salt', 32);
  const info = new TextEncoder().encode('agentsec bench v1');
  const L = 64;
  const impls: { name: string; kind: BenchCase['kind']; f: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, n: number) => Uint8Array }[] = providers.map(
    ({ name, provider }) => ({ name: `provider:${name}`, kind: 'provider' as const, f: (i, s, n, l) => provider.hkdf('SHA-256', i, s, n, l) }),
  );
  impls.push({ name: '@noble/hashes hkdf', kind: 'peer', f: (i, s, n, l) => hkdf(sha256, i, s, n, l) });
  impls.push({ name: 'node:crypto hkdfSync', kind: 'peer', f: (i, s, n, l) => new Uint8Array(nodeCrypto.hkdfSync('sha256', i, s, n, l)) });
  const expected = hkdf(sha256, ikm, salt, info, L);
  const k = HKDF_SHA256_KAT;
  return impls.map((impl) => ({
    group: `hkdf-sha256-${L}B`,
    name: impl.name,
    kind: impl.kind,
    verify() {
      expectBytes(impl.f(k.ikm, k.salt, k.info, k.length), k.okm, `known answer (${k.source})`);
      expectBytes(impl.f(ikm, salt, info, L), expected, 'agreement with @noble/hashes');
      return [`known-answer ${k.source}`, 'agrees-with @noble/hashes'];
    },
    fn: () => impl.f(ikm, salt, info, L),
  }));
}

// ---- ML-KEM-768 ---------------------------------------------------------------------------------

function mlkemCases(providers: { name: string; provider: CryptoProvider }[], unavailable: Unavailable[]): BenchCase[] {
  const kats = mlkem768Kats();
  if (!kats) {
    unavailable.push({
      implementation: 'known answers for ML-KEM-768',
      groups: ['mlkem768-'],
      reason: 'vectors/third_party (Wycheproof) not found; ML-KEM cases are checked by round trip and agreement only',
    });
  }
  const seed = benchBytes('mlkem-seed', 64);
  const ref = ml_kem768.keygen(seed);
  const refEnc = ml_kem768.encapsulate(ref.publicKey, benchBytes('mlkem-m', 32));
  const cases: BenchCase[] = [];
  const impls: {
    name: string;
    kind: BenchCase['kind'];
    keygen: (s?: Uint8Array) => { publicKey: Uint8Array; secretKey: Uint8Array };
    encaps: (pk: Uint8Array, m?: Uint8Array) => { ciphertext: Uint8Array; sharedSecret: Uint8Array };
    decaps: (c: Uint8Array, sk: Uint8Array) => Uint8Array;
  }[] = providers.map(({ name, provider }) => {
    const kem = provider.kem('ML-KEM-768');
    return {
      name: `provider:${name}`,
      kind: 'provider' as const,
      keygen: (s?: Uint8Array) => kem.keygen(s),
      encaps: (pk: Uint8Array, m?: Uint8Array) => kem.encapsulate(pk, m),
      decaps: (c: Uint8Array, sk: Uint8Array) => kem.decapsulate(c, sk),
    };
  });
  impls.push({
    name: '@noble/post-quantum ml_kem768',
    kind: 'peer',
    keygen: (s) => ml_kem768.keygen(s),
    encaps: (pk, m) => {
      const r = ml_kem768.encapsulate(pk, m);
      return { ciphertext: r.cipherText, sharedSecret: r.sharedSecret };
    },
    decaps: (c, sk) => ml_kem768.decapsulate(c, sk),
  });
  const knownAnswer = (impl: (typeof impls)[number]): string[] => {
    if (!kats) return [];
    const e = impl.encaps(kats.encaps.ek, kats.encaps.m);
    expectBytes(e.ciphertext, kats.encaps.c, `known answer (${kats.source}) encaps ciphertext`);
    expectBytes(e.sharedSecret, kats.encaps.K, `known answer (${kats.source}) encaps key`);
    const kp = impl.keygen(kats.decaps.seed);
    expectBytes(impl.decaps(kats.decaps.c, kp.secretKey), kats.decaps.K, `known answer (${kats.source}) decaps`);
    return [`known-answer ${kats.source}`];
  };
  for (const impl of impls) {
    cases.push(
      {
        group: 'mlkem768-keygen',
        name: impl.name,
        kind: impl.kind,
        verify() {
          const kp = impl.keygen(seed);
          expectBytes(kp.publicKey, ref.publicKey, 'agreement with @noble/post-quantum (seeded keygen)');
          const fresh = impl.keygen();
          const e = ml_kem768.encapsulate(fresh.publicKey);
          expectBytes(impl.decaps(e.cipherText, fresh.secretKey), e.sharedSecret, 'random key pair round trip');
          return [...knownAnswer(impl), 'agrees-with @noble/post-quantum', 'round-trip'];
        },
        fn: () => impl.keygen(),
      },
      {
        group: 'mlkem768-encaps',
        name: impl.name,
        kind: impl.kind,
        verify() {
          const e = impl.encaps(ref.publicKey);
          expectBytes(ml_kem768.decapsulate(e.ciphertext, ref.secretKey), e.sharedSecret, 'round trip decaps(encaps) == K');
          return [...knownAnswer(impl), 'round-trip'];
        },
        fn: () => impl.encaps(ref.publicKey),
      },
      {
        group: 'mlkem768-decaps',
        name: impl.name,
        kind: impl.kind,
        verify() {
          expectBytes(impl.decaps(refEnc.cipherText, ref.secretKey), refEnc.sharedSecret, 'round trip decaps(encaps) == K');
          const bad = refEnc.cipherText.slice();
          bad[0]! ^= 1;
          expectTrue(!Buffer.from(impl.decaps(bad, ref.secretKey)).equals(Buffer.from(refEnc.sharedSecret)), 'altered ciphertext gives another key (implicit rejection)');
          return [...knownAnswer(impl), 'round-trip', 'implicit-rejection'];
        },
        fn: () => impl.decaps(refEnc.cipherText, ref.secretKey),
      },
    );
  }
  // Decapsulation with the key imported once into a handle (what a holder of a prekey keeps).
  for (const { name, provider } of providers) {
    const kem = provider.kem('ML-KEM-768');
    const h = kem.importSecretKey(ref.secretKey);
    cases.push({
      group: 'mlkem768-decaps',
      name: `provider:${name}, decapsulation key handle`,
      kind: 'provider',
      verify() {
        expectBytes(kem.decapsulate(refEnc.cipherText, h), refEnc.sharedSecret, 'round trip decaps(encaps) == K');
        return ['round-trip'];
      },
      fn: () => kem.decapsulate(refEnc.cipherText, h),
    });
  }
  const nk = nodeKem();
  if ('reason' in nk) {
    unavailable.push({ implementation: 'node:crypto ML-KEM-768', groups: ['mlkem768-'], reason: nk.reason });
  } else {
    const kp = nk.generateKeyPairSync('ml-kem-768');
    const enc = nk.encapsulate(kp.publicKey);
    const name = 'node:crypto ml-kem-768 (KeyObjects)';
    cases.push(
      {
        group: 'mlkem768-keygen',
        name,
        kind: 'peer',
        verify() {
          const k = nk.generateKeyPairSync('ml-kem-768');
          const e = nk.encapsulate(k.publicKey);
          expectBytes(nk.decapsulate(k.privateKey, e.ciphertext), e.sharedKey, 'round trip');
          return ['round-trip'];
        },
        fn: () => nk.generateKeyPairSync('ml-kem-768'),
      },
      {
        group: 'mlkem768-encaps',
        name,
        kind: 'peer',
        verify() {
          const e = nk.encapsulate(kp.publicKey);
          expectBytes(nk.decapsulate(kp.privateKey, e.ciphertext), e.sharedKey, 'round trip decaps(encaps) == K');
          return ['round-trip'];
        },
        fn: () => nk.encapsulate(kp.publicKey),
      },
      {
        group: 'mlkem768-decaps',
        name,
        kind: 'peer',
        verify() {
          expectBytes(nk.decapsulate(kp.privateKey, enc.ciphertext), enc.sharedKey, 'round trip decaps(encaps) == K');
          return ['round-trip'];
        },
        fn: () => nk.decapsulate(kp.privateKey, enc.ciphertext),
      },
    );
  }
  return cases;
}

export const PRIMITIVE_GROUPS: GroupInfo[] = [
  ...AEAD_SIZES.map((n) => ({ id: `aead-seal-open-${sizeLabel(n)}`, title: `AEAD seal + open, ${sizeLabel(n)} message (16 B AD)`, op: 'one seal and one open' })),
  { id: 'x25519-dh', title: 'X25519 Diffie-Hellman', op: 'one shared secret' },
  { id: 'x25519-keygen', title: 'X25519 key pair generation (raw bytes out)', op: 'one key pair' },
  { id: 'ed25519-sign', title: 'Ed25519 sign, 64 B message', op: 'one signature' },
  { id: 'ed25519-verify', title: 'Ed25519 verify, 64 B message', op: 'one verification' },
  { id: 'hkdf-sha256-64B', title: 'HKDF-SHA256, 32 B IKM and salt -> 64 B', op: 'one extract + expand' },
  { id: 'mlkem768-keygen', title: 'ML-KEM-768 key generation', op: 'one key pair' },
  { id: 'mlkem768-encaps', title: 'ML-KEM-768 encapsulation', op: 'one encapsulation' },
  { id: 'mlkem768-decaps', title: 'ML-KEM-768 decapsulation', op: 'one decapsulation' },
];

export function primitiveSuite(): Suite {
  const { providers, unavailable } = availableProviders(PRIMITIVE_GROUPS.map((g) => g.id));
  const s = loadSodium();
  let sodium: SodiumNative | undefined;
  if ('reason' in s) unavailable.push({ implementation: 'sodium-native', groups: ['aead-', 'x25519-', 'ed25519-'], reason: s.reason });
  else sodium = s.lib;
  const cases = [
    ...aeadCases(aeadImpls(providers, sodium)),
    ...x25519Cases(dhImpls(providers, sodium)),
    ...x25519KeygenCases(providers, sodium),
    ...ed25519Cases(sigImpls(providers, sodium)),
    ...hkdfCases(providers),
    ...mlkemCases(providers, unavailable),
  ];
  return { cases, groups: PRIMITIVE_GROUPS, unavailable };
}
