import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../bytes.js';
import { createNobleProvider } from './noble.js';
import { createNodeProvider } from './node.js';
import type { CryptoProvider } from './provider.js';

/**
 * TEST SEAM. A seeded byte stream (ChaCha20 keystream under SHA-256(seed)) used to make
 * vectors and randomized tests reproducible. Never use it for real keys.
 */
export function deterministicRandomForTestingOnly(seed: number | string | Uint8Array): (n: number) => Uint8Array {
  const seedBytes = seed instanceof Uint8Array ? seed : utf8(`agentsec-test-seed:${String(seed)}`);
  const key = sha256(seedBytes);
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n: number) => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (pool.length === 0) {
        const nonce = new Uint8Array(12);
        new DataView(nonce.buffer).setUint32(0, counter++, true);
        pool = chacha20(key, nonce, new Uint8Array(4096));
      }
      const take = Math.min(n - off, pool.length);
      out.set(pool.subarray(0, take), off);
      pool = pool.subarray(take);
      off += take;
    }
    return out;
  };
}

/** TEST SEAM. A crypto provider (noble or node) whose every random byte comes from the seed. */
export function seededProviderForTestingOnly(seed: number | string | Uint8Array, provider: 'noble' | 'node' = 'noble'): CryptoProvider {
  const random = deterministicRandomForTestingOnly(seed);
  const name = `${provider}-seeded`;
  return provider === 'noble' ? createNobleProvider(random, name) : createNodeProvider(random, name);
}
