import { AgentsecError } from '../errors.js';
import { createNobleProvider } from './noble.js';
import type { CryptoProvider } from './provider.js';

export * from './provider.js';
export { createNobleProvider } from './noble.js';
export { deterministicRandomForTestingOnly } from './deterministic.js';

export type ProviderName = 'noble' | 'node';

const cache = new Map<ProviderName, CryptoProvider>();

/** Registry of the two providers; `node` is registered by ./node.ts when it loads. */
const factories: Partial<Record<ProviderName, () => CryptoProvider>> = { noble: () => createNobleProvider() };

export function registerProviderFactory(name: ProviderName, factory: () => CryptoProvider): void {
  factories[name] = factory;
}

export function getProvider(name: ProviderName = 'noble'): CryptoProvider {
  let p = cache.get(name);
  if (p) return p;
  const f = factories[name];
  if (!f) throw new AgentsecError('unsupported', 'UNKNOWN_PROVIDER', `unknown crypto provider "${String(name)}" (use noble or node)`);
  p = f();
  cache.set(name, p);
  return p;
}
