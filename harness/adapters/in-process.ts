/**
 * The reference as an Adapter in the harness's own process. Params and results go through a JSON
 * round trip and the same validation as the child-process client, so a suite sees exactly what it
 * would see over agentsec-adapter/1 (that is what makes in-process and child-process runs agree).
 */
import type { CryptoProvider } from '../../reference/crypto/index.js';
import type { Adapter, CallOptions, HelloResult, Services } from '../conform/types.js';
import { checkRequest, errorFromRpc, validateHello, validateResult } from '../conform/validate.js';
import { ReferenceDispatcher } from '../../adapter/index.js';
import type { Area } from '../../adapter/area.js';

export interface InProcessOptions {
  services?: Services;
  provider?: CryptoProvider;
  /** The dispatcher's areas (the reference's by default); test-side mutant adapters replace one. */
  areas?: readonly Area[];
}

class InProcessAdapter implements Adapter {
  readonly healthy = true;
  constructor(
    readonly hello: HelloResult,
    private readonly dispatcher: ReferenceDispatcher,
  ) {}

  private inFlight: string | undefined;

  async call(method: string, params: Record<string, unknown>, opts?: CallOptions): Promise<unknown> {
    checkRequest(method, params, opts);
    // One request in flight, as over the wire (CONF-005): a suite that overlaps calls fails here too.
    if (this.inFlight) throw new Error(`harness bug: "${method}" sent while "${this.inFlight}" is in flight`);
    this.inFlight = method;
    try {
      const wire = JSON.parse(JSON.stringify(params)) as Record<string, unknown>;
      const response = await this.dispatcher.respond(method, wire);
      if ('error' in response) throw errorFromRpc(method, JSON.parse(JSON.stringify(response.error)));
      return validateResult(method, JSON.parse(JSON.stringify(response.result ?? null)));
    } finally {
      this.inFlight = undefined;
    }
  }

  stderr(): string {
    return '';
  }

  drainStderr(): string {
    return '';
  }

  async close(): Promise<void> {}
}

export async function startReferenceAdapter(opts: InProcessOptions = {}): Promise<Adapter> {
  const dispatcher = new ReferenceDispatcher({ ...(opts.provider ? { provider: opts.provider } : {}), ...(opts.areas ? { areas: opts.areas } : {}) });
  const params = JSON.parse(JSON.stringify({ protocol: 1, ...(opts.services && Object.keys(opts.services).length ? { services: opts.services } : {}) })) as Record<string, unknown>;
  checkRequest('hello', params);
  const response = await dispatcher.respond('hello', params);
  if ('error' in response) throw errorFromRpc('hello', response.error);
  return new InProcessAdapter(validateHello(JSON.parse(JSON.stringify(response.result))), dispatcher);
}
