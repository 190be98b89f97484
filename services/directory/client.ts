/** A small client for the prekey directory, used by agents and tests. */
import { AgentsecError, fromHex, isErrorKind, toHex } from '../../reference/index.js';

export class DirectoryClient {
  constructor(private readonly url: string) {}

  async publish(agent: string, bundles: Uint8Array[]): Promise<{ stored: number; single_use: number; reusable: boolean }> {
    return (await this.call('PUT', `/v1/agents/${encodeURIComponent(agent)}/bundles`, { bundles: bundles.map(toHex) })) as never;
  }

  async fetchBundle(agent: string): Promise<{ bundle: Uint8Array; oneTime: boolean; remaining: number }> {
    const r = (await this.call('POST', `/v1/agents/${encodeURIComponent(agent)}/bundle`)) as { bundle: string; one_time: boolean; remaining: number };
    return { bundle: fromHex(r.bundle, 'bundle'), oneTime: r.one_time, remaining: r.remaining };
  }

  async info(agent: string): Promise<{ identity_signing: string; identity_agreement: string; single_use_remaining: number; has_reusable: boolean }> {
    return (await this.call('GET', `/v1/agents/${encodeURIComponent(agent)}`)) as never;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = (await res.json()) as { error?: { kind?: unknown; reason?: unknown; message?: unknown } };
    if (!res.ok) {
      const e = json.error ?? {};
      throw new AgentsecError(isErrorKind(e.kind) ? e.kind : 'internal', typeof e.reason === 'string' ? e.reason : `HTTP_${res.status}`, typeof e.message === 'string' ? e.message : `HTTP ${res.status}`);
    }
    return json;
  }
}
