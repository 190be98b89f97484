/**
 * The directory's client (spec/directory.md): signs each request with the agent's identity key
 * (DIR-009) and maps error answers to AgentsecError. One client speaks for one agent; reading
 * public agent info needs no signer.
 */
import { randomBytes } from 'node:crypto';
import { AgentsecError, fromHex, isErrorKind, toHex } from '../../reference/index.js';
import { HEADER, requestSigningMessage } from './request-auth.js';

/** Who signs: an agent name and its identity signing key (a SessionAgent's `identity` fits). */
export interface DirectorySigner {
  readonly agent: string;
  readonly signingPublic: Uint8Array;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export function agentSigner(agent: string, identity: { readonly signingPublic: Uint8Array; sign(message: Uint8Array): Uint8Array | Promise<Uint8Array> }): DirectorySigner {
  return { agent, signingPublic: identity.signingPublic, sign: (m) => identity.sign(m) };
}

export interface DirectoryClientOptions {
  readonly signer?: DirectorySigner;
  /** Sent with publications while the name is not yet pinned (registration mode `token`). */
  readonly registrationToken?: string;
  readonly clock?: () => number;
}

export interface InboxMessage {
  readonly seq: number;
  readonly from: string;
  readonly id: string;
  readonly message: Uint8Array;
  readonly sentAt: number;
}

export class DirectoryClient {
  constructor(
    private readonly url: string,
    private readonly opts: DirectoryClientOptions = {},
  ) {}

  /** The same directory, speaking for another agent. */
  as(signer: DirectorySigner): DirectoryClient {
    return new DirectoryClient(this.url, { ...this.opts, signer });
  }

  async publish(agent: string, bundles: Uint8Array[]): Promise<{ stored: number; single_use: number; reusable: boolean }> {
    return (await this.call('PUT', `/v1/agents/${encodeURIComponent(agent)}/bundles`, { bundles: bundles.map(toHex) })) as never;
  }

  async fetchBundle(agent: string): Promise<{ bundle: Uint8Array; oneTime: boolean; remaining: number }> {
    const r = (await this.call('POST', `/v1/agents/${encodeURIComponent(agent)}/bundle`)) as { bundle: string; one_time: boolean; remaining: number };
    return { bundle: fromHex(r.bundle, 'bundle'), oneTime: r.one_time, remaining: r.remaining };
  }

  async info(agent: string): Promise<{ identity_signing: string; identity_agreement: string; single_use_remaining: number; has_reusable: boolean }> {
    return (await this.call('GET', `/v1/agents/${encodeURIComponent(agent)}`, undefined, false)) as never;
  }

  /** Leaves `message` (opaque, e.g. a session ciphertext) for `to`; resending the same id is safe. */
  async send(to: string, id: string, message: Uint8Array): Promise<{ seq: number; duplicate: boolean }> {
    return (await this.call('PUT', `/v1/agents/${encodeURIComponent(to)}/messages/${encodeURIComponent(id)}`, { message: toHex(message) })) as never;
  }

  /** The signer's undelivered messages, oldest first. */
  async inbox(limit?: number): Promise<InboxMessage[]> {
    const me = this.signer().agent;
    const r = (await this.call('GET', `/v1/agents/${encodeURIComponent(me)}/messages${limit === undefined ? '' : `?limit=${limit}`}`)) as { messages: { seq: number; from: string; id: string; message: string; sent_at: number }[] };
    return r.messages.map((m) => ({ seq: m.seq, from: m.from, id: m.id, message: fromHex(m.message, 'message'), sentAt: m.sent_at }));
  }

  /** Marks messages delivered: they are never handed out again. */
  async ack(seqs: readonly number[]): Promise<number> {
    const me = this.signer().agent;
    return ((await this.call('POST', `/v1/agents/${encodeURIComponent(me)}/messages/ack`, { seqs })) as { acked: number }).acked;
  }

  private signer(): DirectorySigner {
    if (!this.opts.signer) throw new AgentsecError('policy_reject', 'NO_SIGNER', 'this directory request must be signed: give the client a signer (agentSigner(name, agent.identity))');
    return this.opts.signer;
  }

  private async call(method: string, path: string, body?: unknown, signed = true): Promise<unknown> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = data === undefined ? {} : { 'content-type': 'application/json' };
    if (signed) {
      const s = this.signer();
      const timestamp = (this.opts.clock ?? Date.now)();
      const nonce = randomBytes(16).toString('hex');
      const raw = new TextEncoder().encode(data ?? '');
      const sig = await s.sign(requestSigningMessage({ method, path, body: raw, agent: s.agent, timestamp, nonce }));
      Object.assign(headers, { [HEADER.agent]: s.agent, [HEADER.key]: toHex(s.signingPublic), [HEADER.timestamp]: String(timestamp), [HEADER.nonce]: nonce, [HEADER.signature]: toHex(sig) });
      if (this.opts.registrationToken !== undefined) headers[HEADER.registrationToken] = this.opts.registrationToken;
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(data === undefined ? {} : { body: data }) });
    const json = (await res.json().catch(() => ({}))) as { error?: { kind?: unknown; reason?: unknown; message?: unknown } };
    if (!res.ok) {
      const e = json.error ?? {};
      throw new AgentsecError(isErrorKind(e.kind) ? e.kind : 'internal', typeof e.reason === 'string' ? e.reason : `HTTP_${res.status}`, typeof e.message === 'string' ? e.message : `HTTP ${res.status}`);
    }
    return json;
  }
}
