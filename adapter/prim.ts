/**
 * agentsec-adapter/1 `prim.*` methods of the reference (spec/crypto.md "Adapter methods",
 * CRYPTO-015): single primitives of the configured CryptoProvider, for the Wycheproof suite.
 */
import { toHex } from '../reference/bytes.js';
import { AgentsecError } from '../reference/errors.js';
import { AEAD_NAMES, HASH_NAMES, KEM_NAMES, type AeadName, type HashName, type KemName } from '../reference/crypto/index.js';
import type { Area } from './area.js';
import { hexParam, optHexParam, strParam } from './params.js';

function oneOf<T extends string>(p: Record<string, unknown>, name: string, allowed: readonly T[]): T {
  const v = strParam(p, name);
  // @req CRYPTO-015: an algorithm the reference does not offer is `unsupported`.
  if (!(allowed as readonly string[]).includes(v)) throw new AgentsecError('unsupported', 'UNKNOWN_ALGORITHM', `param "${name}": "${v.slice(0, 40)}" is not offered (one of ${allowed.join(', ')})`);
  return v as T;
}

function lengthParam(p: Record<string, unknown>, name: string): number {
  const v = p[name];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" must be a non-negative integer`);
  return v;
}

/** The names claimed in `hello` under `capabilities.primitives`. */
export const REFERENCE_PRIMITIVES = ['x25519', 'ed25519', 'aes-256-gcm', 'chacha20-poly1305', 'hkdf-sha256', 'hmac-sha256', 'ml-kem-768', 'ml-kem-1024'];

export const primArea: Area = {
  name: 'prim',
  capabilities: () => ({ primitives: [...REFERENCE_PRIMITIVES] }),
  methods: {
    'prim.x25519': (p, { provider }) => ({ shared: toHex(provider.x25519.dh(hexParam(p, 'private'), hexParam(p, 'public'))) }),
    'prim.ed25519_verify': (p, { provider }) => ({
      valid: provider.ed25519.verify(hexParam(p, 'public'), hexParam(p, 'message'), hexParam(p, 'signature')),
    }),
    'prim.aead_seal': (p, { provider }) => {
      const aead = provider.aead(oneOf<AeadName>(p, 'alg', AEAD_NAMES));
      return { ciphertext: toHex(aead.seal(hexParam(p, 'key'), hexParam(p, 'nonce'), hexParam(p, 'plaintext'), hexParam(p, 'ad'))) };
    },
    'prim.aead_open': (p, { provider }) => {
      const aead = provider.aead(oneOf<AeadName>(p, 'alg', AEAD_NAMES));
      return { plaintext: toHex(aead.open(hexParam(p, 'key'), hexParam(p, 'nonce'), hexParam(p, 'ciphertext'), hexParam(p, 'ad'))) };
    },
    'prim.hkdf': (p, { provider }) => {
      const hash = oneOf<HashName>(p, 'hash', HASH_NAMES);
      return { okm: toHex(provider.hkdf(hash, hexParam(p, 'ikm'), hexParam(p, 'salt'), hexParam(p, 'info'), lengthParam(p, 'length'))) };
    },
    'prim.hmac': (p, { provider }) => {
      const hash = oneOf<HashName>(p, 'hash', HASH_NAMES);
      return { mac: toHex(provider.hmac(hash, hexParam(p, 'key'), hexParam(p, 'message'))) };
    },
    'prim.mlkem_keygen': (p, { provider }) => {
      const kp = provider.kem(oneOf<KemName>(p, 'alg', KEM_NAMES)).keygen(hexParam(p, 'seed'));
      return { public: toHex(kp.publicKey), secret: toHex(kp.secretKey) };
    },
    'prim.mlkem_encaps': (p, { provider }) => {
      const r = provider.kem(oneOf<KemName>(p, 'alg', KEM_NAMES)).encapsulate(hexParam(p, 'public'), optHexParam(p, 'm'));
      return { ciphertext: toHex(r.ciphertext), shared: toHex(r.sharedSecret) };
    },
    'prim.mlkem_decaps': (p, { provider }) => {
      const kem = provider.kem(oneOf<KemName>(p, 'alg', KEM_NAMES));
      return { shared: toHex(kem.decapsulate(hexParam(p, 'ciphertext'), hexParam(p, 'secret'))) };
    },
  },
};
