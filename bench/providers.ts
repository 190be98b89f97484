/**
 * The reference's crypto providers, as the benchmarks see them: each one obtained through
 * getProvider() from reference/index.ts, or listed as unavailable with the reason.
 */
import { getProvider, type CryptoProvider, type ProviderName } from '../reference/index.js';
import type { Unavailable } from './case.js';

export interface NamedProvider {
  readonly name: ProviderName;
  readonly provider: CryptoProvider;
}

export const PROVIDERS: readonly ProviderName[] = ['noble', 'node'];

export function availableProviders(groups: string[]): { providers: NamedProvider[]; unavailable: Unavailable[] } {
  const providers: NamedProvider[] = [];
  const unavailable: Unavailable[] = [];
  for (const name of PROVIDERS) {
    try {
      providers.push({ name, provider: getProvider(name) });
    } catch (e) {
      unavailable.push({ implementation: `provider:${name}`, groups, reason: (e as Error).message });
    }
  }
  return { providers, unavailable };
}
