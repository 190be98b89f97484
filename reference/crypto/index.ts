import { AgentsecError } from '../errors.js';
import { createNobleProvider } from './noble.js';
import { createNodeProvider } from './node.js';
import type { CryptoProvider } from './provider.js';

export {
  type AeadName, type HashName, type KemName, AEAD_NAMES, HASH_NAMES, KEM_NAMES, HASH_LENGTHS,
  KEM_LENGTHS, type KeyPair, type KemKeyPair, type X25519, type Ed25519, type Aead, type Kem,
  type CryptoProvider,
} from './provider.js';
export { PrivateKeyHandle, type PrivateKeyInput, type KeyCurve, isPrivateKeyHandle, privateKeyBytesForPersistence, KemSecretKeyHandle, isKemSecretKeyHandle } from './keys.js';
export { createNobleProvider } from './noble.js';
export { createNodeProvider, nodeHasNativeMlKem } from './node.js';
export { deterministicRandomForTestingOnly } from './deterministic.js';

export type ProviderName = 'noble' | 'node';
export const PROVIDER_NAMES: readonly ProviderName[] = ['noble', 'node'];

const cache = new Map<ProviderName, CryptoProvider>();

/** Registry of the two providers (both built in; registerProviderFactory lets a test swap one). */
const factories: Partial<Record<ProviderName, () => CryptoProvider>> = {};

export function registerProviderFactory(name: ProviderName, factory: () => CryptoProvider): void {
  factories[name] = factory;
  cache.delete(name);
}

registerProviderFactory('noble', () => createNobleProvider());
registerProviderFactory('node', () => createNodeProvider());

export function getProvider(name: ProviderName = 'noble'): CryptoProvider {
  let p = cache.get(name);
  if (p) return p;
  const f = factories[name];
  if (!f) throw new AgentsecError('unsupported', 'UNKNOWN_PROVIDER', `unknown crypto provider "${String(name)}" (use noble or node)`);
  p = f();
  cache.set(name, p);
  return p;
}
