/**
 * The reference adapter is split by protocol area; each area file exports an `Area` with the
 * capabilities it claims in `hello` and its agentsec-adapter/1 methods. The dispatcher (index.ts)
 * maps AgentsecError kinds onto protocol errors.
 */
import type { CryptoProvider } from '../reference/crypto/provider.js';
import type { Capabilities, Services } from '../protocol/types.js';
import type { ObjectTable } from './objects.js';

export interface AreaContext {
  readonly objects: ObjectTable;
  /** Services passed by the harness in `hello` (e.g. the KMS endpoint). */
  services: Services;
  readonly provider: CryptoProvider;
}

export type Handler = (params: Record<string, unknown>, ctx: AreaContext) => unknown;

export interface Area {
  readonly name: string;
  capabilities(ctx: AreaContext): Partial<Capabilities>;
  readonly methods: Record<string, Handler>;
}
