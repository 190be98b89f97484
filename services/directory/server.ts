/**
 * The prekey directory (spec/directory.md): agents publish batches of signed prekey bundles, and
 * each initiator fetching a bundle gets a different one-time prekey, which the directory then
 * deletes (X3DH section 3.3). HTTP + JSON on 127.0.0.1 only.
 *
 *   PUT  /v1/agents/{name}/bundles  {"bundles": ["<hex>", ...]}  -> {"stored", "single_use", "reusable"}
 *   POST /v1/agents/{name}/bundle                                 -> {"bundle", "one_time", "remaining"}
 *   GET  /v1/agents/{name}                                        -> {"identity_signing", "identity_agreement", "single_use_remaining", "has_reusable"}
 *
 * Errors: {"error": {"kind": "<closed error kind>", "message"}} with a 4xx status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentsecError, decodeBundle, fromHex, getProvider, toHex, type CryptoProvider, type ScrubbingLogger } from '../../reference/index.js';
import type { DirectoryStore } from './store.js';

/** Largest request body: a batch of 100 PQXDH bundles is about 400 KB of hex. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Most bundles one publication may carry. */
export const MAX_BATCH = 1000;
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export interface DirectoryOptions {
  store: DirectoryStore;
  port?: number;
  provider?: CryptoProvider;
  /** Bundle fetches allowed per agent per window (X3DH section 4.7: draining one-time prekeys degrades forward secrecy). */
  rateLimit?: { fetches: number; windowMs: number };
  now?: () => number;
  /** Scrubbing logger (reference/observability): one `directory.request` event per request. */
  logger?: ScrubbingLogger;
}

export interface RunningDirectory {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

interface RequestMeta {
  route: 'publish' | 'fetch' | 'info' | 'other' | 'unknown';
  peer?: string;
}

const STATUS: Record<string, number> = {
  decode_failure: 400,
  auth_failure: 400,
  unsupported: 400,
  policy_reject: 409,
  state_failure: 404,
  duplicate: 409,
  internal: 500,
};

export async function startDirectory(opts: DirectoryOptions): Promise<RunningDirectory> {
  const p = opts.provider ?? getProvider('noble');
  const now = opts.now ?? Date.now;
  const limit = opts.rateLimit ?? { fetches: 1000, windowMs: 60_000 };
  const fetches = new Map<string, number[]>();

  async function publish(agent: string, body: unknown): Promise<unknown> {
    const list = (body as { bundles?: unknown } | null)?.bundles;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH) {
      throw new AgentsecError('decode_failure', 'BAD_BATCH', `"bundles" must be an array of 1..${MAX_BATCH} hex strings`);
    }
    const singleUse: string[] = [];
    let reusable: string | undefined;
    let identity: { signing: string; agreement: string } | undefined;
    for (const [i, item] of list.entries()) {
      // @req DIR-001: every bundle is parsed and its signatures verified before anything is stored.
      let b;
      try {
        b = decodeBundle(p, fromHex(item, `bundles[${i}]`));
      } catch (e) {
        if (e instanceof AgentsecError) throw new AgentsecError(e.kind, e.reason, `bundles[${i}]: ${e.message}`);
        throw e;
      }
      const id = { signing: toHex(b.identitySigning), agreement: toHex(b.identityAgreement) };
      if (identity && (identity.signing !== id.signing || identity.agreement !== id.agreement)) {
        throw new AgentsecError('policy_reject', 'MIXED_IDENTITIES', `bundles[${i}] is signed by a different identity than bundles[0]`);
      }
      identity = id;
      const single = b.oneTimePrekey !== undefined || b.pqPrekey?.kind === 'oneTime';
      if (single) singleUse.push(item as string);
      else reusable = item as string;
    }
    const pinned = await opts.store.identity(agent);
    // @req DIR-002: the identity keys pinned at first publication never change.
    if (pinned && identity && (pinned.signing !== identity.signing || pinned.agreement !== identity.agreement)) {
      throw new AgentsecError('policy_reject', 'IDENTITY_CHANGED', `agent "${agent}" is published under other identity keys`);
    }
    await opts.store.publish(agent, { identity: identity!, singleUse, ...(reusable ? { reusable } : {}) });
    return { stored: list.length, single_use: singleUse.length, reusable: reusable !== undefined };
  }

  async function take(agent: string): Promise<unknown> {
    // @req DIR-004
    const t = now();
    const recent = (fetches.get(agent) ?? []).filter((x) => t - x < limit.windowMs);
    if (recent.length >= limit.fetches) throw new AgentsecError('policy_reject', 'RATE_LIMITED', `too many bundle fetches for "${agent}"; retry later`);
    recent.push(t);
    fetches.set(agent, recent);
    // @req DIR-003: a one-time prekey is handed out at most once.
    const r = await opts.store.take(agent);
    if (!r) throw new AgentsecError('state_failure', 'NO_BUNDLE', `no bundle published for "${agent}"`);
    return { bundle: r.bundle, one_time: r.oneTime, remaining: r.remaining };
  }

  async function route(req: IncomingMessage, meta: RequestMeta): Promise<[number, unknown]> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/v1\/agents\/([^/]+)(\/bundles?)?$/.exec(url.pathname);
    if (!m) return [404, { error: { kind: 'unsupported', message: `no route ${req.method} ${url.pathname}` } }];
    const agent = decodeURIComponent(m[1]!);
    if (!NAME.test(agent)) throw new AgentsecError('decode_failure', 'BAD_NAME', 'agent name must match [A-Za-z0-9._-]{1,128}');
    meta.peer = agent;
    meta.route = m[2] === '/bundles' && req.method === 'PUT' ? 'publish' : m[2] === '/bundle' && req.method === 'POST' ? 'fetch' : m[2] === undefined && req.method === 'GET' ? 'info' : 'other';
    if (meta.route === 'publish') return [200, await publish(agent, await readJson(req))];
    if (meta.route === 'fetch') return [200, await take(agent)];
    if (meta.route === 'info') {
      const info = await opts.store.info(agent);
      if (!info) throw new AgentsecError('state_failure', 'UNKNOWN_AGENT', `no agent "${agent}"`);
      return [200, { identity_signing: info.identity.signing, identity_agreement: info.identity.agreement, single_use_remaining: info.singleUseRemaining, has_reusable: info.hasReusable }];
    }
    return [405, { error: { kind: 'unsupported', message: `method ${req.method} not allowed on ${url.pathname}` } }];
  }

  /**
   * One event per request. Only the route label, outcome and the agent name as `peer_id` -- a
   * routing field the scrubber strips under observability.stripRoutingHeaders. Never the URL path
   * or an error message (both name the agent) and never a bundle.
   */
  function logRequest(meta: RequestMeta, status: number, started: number, err?: AgentsecError): void {
    const log = opts.logger;
    if (!log) return;
    // @req OBS-017 @req OBS-018
    const attrs = { route: meta.route, peer_id: meta.peer, status, outcome: err ? err.kind : 'ok', ...(err ? { reason: err.reason } : {}), duration_ms: Math.round((performance.now() - started) * 1000) / 1000 };
    // @req OBS-019: a successful fetch is per-session traffic and is sampled; a failure never is.
    try {
      if (status >= 500) log.error('directory.request', attrs);
      else if (status >= 400) log.warn('directory.request', attrs);
      else if (meta.route === 'fetch') log.frequent('directory.request', attrs, 'info');
      else log.info('directory.request', attrs);
    } catch {
      // A logger is never why a request fails (OBS-006); the response is already sent.
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const meta: RequestMeta = { route: 'unknown' };
    route(req, meta)
      .then(([status, body]) => {
        send(res, status, body);
        const e = (body as { error?: { kind?: string } } | null)?.error;
        logRequest(meta, status, started, e ? new AgentsecError('unsupported', status === 404 ? 'NO_ROUTE' : 'BAD_METHOD', '') : undefined);
      })
      .catch((e: unknown) => {
        const err = e instanceof AgentsecError ? e : new AgentsecError('internal', 'INTERNAL', 'internal error');
        const status = err.reason === 'RATE_LIMITED' ? 429 : err.reason === 'BODY_TOO_LARGE' ? 413 : (STATUS[err.kind] ?? 500);
        send(res, status, { error: { kind: err.kind, reason: err.reason, message: err.message } });
        logRequest(meta, status, started, err);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await opts.store.close();
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AgentsecError('decode_failure', 'BODY_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new AgentsecError('decode_failure', 'BAD_JSON', 'request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
