/**
 * The prekey directory and mailbox (spec/directory.md): agents publish signed prekey bundles, and
 * each initiator fetching a bundle gets a different one-time prekey, which the directory then
 * deletes (X3DH section 3.3); agents leave opaque encrypted messages for offline agents. HTTP +
 * JSON on 127.0.0.1 only, served by Fastify (body limit, header / request timeouts, bad-URL and
 * body-size errors delivered as responses; docs/http.md says why).
 *
 *   PUT  /v1/agents/{name}/bundles        signed by name       {"bundles": [hex, ...]} -> {"stored", "single_use", "reusable"}
 *   POST /v1/agents/{name}/bundle         signed by any agent                          -> {"bundle", "one_time", "remaining"}
 *   GET  /v1/agents/{name}                                                             -> {"identity_signing", "identity_agreement", "single_use_remaining", "has_reusable"}
 *   PUT  /v1/agents/{name}/messages/{id}  signed by the sender {"message": hex}         -> {"seq", "duplicate"}
 *   GET  /v1/agents/{name}/messages       signed by name       ?limit=n                -> {"messages": [{"seq", "from", "id", "message", "sent_at"}]}
 *   POST /v1/agents/{name}/messages/ack   signed by name       {"seqs": [n, ...]}      -> {"acked"}
 *
 * Errors: {"error": {"kind": "<closed error kind>", "reason", "message"}} with a 4xx/5xx status.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { AgentsecError, fromHex, getProvider, toHex, type CryptoProvider, type ScrubbingLogger } from '../../reference/index.js';
import { DEFAULT_LIMITS, type DirectoryLimits } from './limits.js';
import { verifyBatch } from './publication.js';
import { RateLimiter } from './rate-limit.js';
import { checkClaim, type Registration } from './registration.js';
import { checkSkew, HEADER, readCredentials, ReplayCache, requestSigningMessage } from './request-auth.js';
import type { DirectoryStore, StoredIdentity } from './store.js';

export { DEFAULT_LIMITS, type DirectoryLimits } from './limits.js';
const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const MESSAGE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface DirectoryOptions {
  store: DirectoryStore;
  port?: number;
  /** Signature verification; node:crypto by default (DIR-016). */
  provider?: CryptoProvider;
  /** Overrides of the named limits (limits.ts). */
  limits?: Partial<DirectoryLimits>;
  /** Who may claim a name (registration.ts); open by default. */
  registration?: Registration;
  now?: () => number;
  /** Scrubbing logger (reference/observability): one `directory.request` event per request. */
  logger?: ScrubbingLogger;
}

export interface RunningDirectory {
  readonly url: string;
  /** The listening node:http server (connection events, metrics). */
  readonly server: Server;
  readonly limits: DirectoryLimits;
  /** Stops accepting, lets in-flight requests finish for up to limits.drainMs, then closes the rest and the store. */
  close(): Promise<void>;
}

type Route = 'publish' | 'fetch' | 'info' | 'send' | 'inbox' | 'ack' | 'unknown';
interface RequestMeta {
  route: Route;
  peer?: string;
}

const REASON_STATUS: Record<string, number> = {
  RATE_LIMITED: 429,
  BODY_TOO_LARGE: 413,
  BAD_CONTENT_TYPE: 415,
  REQUEST_TIMEOUT: 408,
  REPLAY_CACHE_FULL: 503,
  STORE_UNAVAILABLE: 503,
  NO_ROUTE: 404,
  BAD_METHOD: 405,
  WRONG_AGENT: 403,
  NOT_ALLOWED: 403,
  REGISTRATION_REQUIRED: 403,
  KEY_MISMATCH: 403,
  BAD_SIGNATURE: 400,
};
const KIND_STATUS: Record<string, number> = {
  decode_failure: 400,
  auth_failure: 401,
  unsupported: 400,
  policy_reject: 409,
  state_failure: 404,
  duplicate: 409,
  internal: 500,
};

type Json = Record<string, unknown>;

export async function startDirectory(opts: DirectoryOptions): Promise<RunningDirectory> {
  const p = opts.provider ?? getProvider('node');
  const now = opts.now ?? Date.now;
  const limits: DirectoryLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const registration = opts.registration ?? { mode: 'open' };
  const store = opts.store;
  // @req DIR-011 @req DIR-015: every table of the service is bounded.
  const replay = new ReplayCache(limits.replayCacheEntries, 2 * limits.skewMs);
  const clients = new RateLimiter(limits.clientBurst, limits.clientPerSecond / 1000, limits.rateLimitEntries);
  const fetches = new RateLimiter(limits.fetchesPerAgent, limits.fetchesPerAgent / limits.fetchWindowMs, limits.rateLimitEntries);
  let inflight = 0;
  let idle: (() => void) | undefined;

  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    // Idle sockets: longer than a request may take, so that the request deadline answers 408 first.
    connectionTimeout: 2 * limits.requestTimeoutMs,
    // @req DIR-023: header and whole-request deadlines; Node checks them every connectionsCheckingInterval.
    http: { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)) } as never,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // @req DIR-022: a malformed percent-encoding is the client's error (400), not the server's.
    frameworkErrors: (err, req, reply) => {
      const bad = (err as { code?: string }).code === 'FST_ERR_BAD_URL';
      fail(reply, bad ? new AgentsecError('decode_failure', 'BAD_ENCODING', 'the request path has a malformed percent-encoding') : mapFrameworkError(err), { route: 'unknown' }, performance.now());
      void req;
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    (req as unknown as { rawBody: Buffer }).rawBody = body;
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch {
      done(new AgentsecError('decode_failure', 'BAD_JSON', 'request body is not JSON'), undefined);
    }
  });
  app.setErrorHandler((err, _req, reply) => fail(reply, err instanceof AgentsecError ? err : mapFrameworkError(err), { route: 'unknown' }, performance.now()));
  app.setNotFoundHandler((req, reply) => fail(reply, new AgentsecError('unsupported', 'NO_ROUTE', `no route ${req.method} ${req.url.split('?')[0]}`), { route: 'unknown' }, performance.now()));

  /** Authenticates a signed request (DIR-009..DIR-011); `self` is the name the signer must be. */
  async function authenticate(req: FastifyRequest, self: string | undefined, allowUnpinned: boolean): Promise<{ agent: string; key: string; pinned: StoredIdentity | undefined }> {
    const cred = readCredentials(req.headers);
    const t = now();
    checkSkew(cred.timestamp, t, limits.skewMs);
    if (self !== undefined && cred.agent !== self) throw new AgentsecError('auth_failure', 'WRONG_AGENT', `this request must be signed by "${self}", not "${cred.agent}"`);
    const key = toHex(cred.key);
    const pinned = await store.identity(cred.agent);
    // @req DIR-010: the key is the one pinned for the name; an unpinned name may only make its first publication.
    if (pinned && pinned.signing !== key) throw new AgentsecError('auth_failure', 'KEY_NOT_PINNED', `the request is signed by a key other than the one pinned for "${cred.agent}"`);
    if (!pinned && !allowUnpinned) throw new AgentsecError('auth_failure', 'UNKNOWN_SIGNER', `"${cred.agent}" has not published yet; an agent publishes its bundles before it fetches or sends`);
    const raw = (req as unknown as { rawBody?: Buffer }).rawBody ?? new Uint8Array();
    const message = requestSigningMessage({ method: req.method, path: req.url, body: raw, agent: cred.agent, timestamp: cred.timestamp, nonce: cred.nonce });
    if (!p.ed25519.verify(cred.key, message, cred.signature)) throw new AgentsecError('auth_failure', 'BAD_REQUEST_SIGNATURE', 'the request signature does not verify (method, path, body, timestamp or nonce differ from what was signed)');
    replay.admit(`${key}:${cred.nonce}`, t);
    clients.take(`agent:${cred.agent}`, t, `from "${cred.agent}"`);
    return { agent: cred.agent, key, pinned };
  }

  function nameParam(req: FastifyRequest, meta: RequestMeta): string {
    const name = (req.params as { name: string }).name;
    if (!NAME.test(name)) throw new AgentsecError('decode_failure', 'BAD_NAME', 'agent name must match [A-Za-z0-9._-]{1,128}');
    meta.peer = name;
    return name;
  }

  function route(r: Route, fn: (req: FastifyRequest, meta: RequestMeta) => Promise<Json>) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const started = performance.now();
      const meta: RequestMeta = { route: r };
      inflight++;
      try {
        const body = await fn(req, meta);
        void reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
        logRequest(meta, 200, started);
      } catch (e) {
        fail(reply, e instanceof AgentsecError ? e : new AgentsecError('internal', 'INTERNAL', 'internal error'), meta, started);
      } finally {
        if (--inflight === 0) idle?.();
      }
    };
  }

  app.put('/v1/agents/:name/bundles', route('publish', async (req, meta) => {
    const name = nameParam(req, meta);
    const auth = await authenticate(req, name, true);
    if (!auth.pinned) checkClaim(registration, name, auth.key, header(req, HEADER.registrationToken));
    const batch = await verifyBatch(p, req.body, limits);
    if (batch.identity.signing !== auth.key) throw new AgentsecError('policy_reject', 'KEY_MISMATCH', 'the bundles are signed by another identity than the request');
    const r = await store.publish(name, batch, limits);
    return { stored: r.stored, single_use: r.singleUse, reusable: r.reusable };
  }));

  app.post('/v1/agents/:name/bundle', route('fetch', async (req, meta) => {
    const name = nameParam(req, meta);
    await authenticate(req, undefined, false);
    // @req DIR-004
    fetches.take(`fetch:${name}`, now(), `for the bundles of "${name}"`);
    // @req DIR-003 @req DIR-005
    const r = await store.take(name);
    if (!r) throw new AgentsecError('state_failure', 'NO_BUNDLE', `no bundle published for "${name}"`);
    return { bundle: toHex(r.bundle), one_time: r.oneTime, remaining: r.remaining };
  }));

  app.get('/v1/agents/:name', route('info', async (req, meta) => {
    const name = nameParam(req, meta);
    clients.take(`addr:${req.ip}`, now(), `from ${req.ip}`);
    const info = await store.info(name);
    if (!info) throw new AgentsecError('state_failure', 'UNKNOWN_AGENT', `no agent "${name}"`);
    return { identity_signing: info.identity.signing, identity_agreement: info.identity.agreement, single_use_remaining: info.singleUseRemaining, has_reusable: info.hasReusable };
  }));

  app.put('/v1/agents/:name/messages/:id', {
    schema: { body: { type: 'object', required: ['message'], additionalProperties: false, properties: { message: { type: 'string', pattern: '^([0-9a-f]{2})+$' } } } },
  }, route('send', async (req, meta) => {
    const name = nameParam(req, meta);
    const id = (req.params as { id: string }).id;
    if (!MESSAGE_ID.test(id)) throw new AgentsecError('decode_failure', 'BAD_MESSAGE_ID', 'message id must match [A-Za-z0-9._-]{1,64}');
    // @req DIR-018: sent by a registered agent, signed with its pinned key.
    const auth = await authenticate(req, undefined, false);
    const body = fromHex((req.body as { message: string }).message, 'message');
    if (body.length > limits.maxMessageBytes) throw new AgentsecError('policy_reject', 'QUOTA_MESSAGE', `a message is at most ${limits.maxMessageBytes} bytes, got ${body.length}`);
    if (!(await store.identity(name))) throw new AgentsecError('state_failure', 'UNKNOWN_AGENT', `no agent "${name}"`);
    const t = now();
    const r = await store.send({ recipient: name, sender: auth.agent, id, body, digest: createHash('sha256').update(body).digest('hex'), sentAt: t, expiresAt: t + limits.messageTtlMs }, limits);
    return { seq: r.seq, duplicate: r.duplicate };
  }));

  app.get('/v1/agents/:name/messages', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1 } } } },
  }, route('inbox', async (req, meta) => {
    const name = nameParam(req, meta);
    // @req DIR-021: only the recipient reads its mailbox, in arrival order.
    await authenticate(req, name, false);
    const max = Math.min(limits.maxFetchMessages, (req.query as { limit?: number }).limit ?? limits.maxFetchMessages);
    const list = await store.inbox(name, now(), max);
    return { messages: list.map((m) => ({ seq: m.seq, from: m.sender, id: m.id, message: toHex(m.body), sent_at: m.sentAt })) };
  }));

  app.post('/v1/agents/:name/messages/ack', {
    schema: { body: { type: 'object', required: ['seqs'], additionalProperties: false, properties: { seqs: { type: 'array', maxItems: 1000, items: { type: 'integer', minimum: 1 } } } } },
  }, route('ack', async (req, meta) => {
    const name = nameParam(req, meta);
    await authenticate(req, name, false);
    return { acked: await store.ack(name, (req.body as { seqs: number[] }).seqs) };
  }));

  /**
   * One event per request. Only the route label, outcome and the agent name as `peer_id` -- a
   * routing field the scrubber strips under observability.stripRoutingHeaders. Never the URL path
   * or an error message (both name the agent) and never a bundle or message.
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

  function fail(reply: FastifyReply, err: AgentsecError, meta: RequestMeta, started: number): void {
    const status = REASON_STATUS[err.reason] ?? KIND_STATUS[err.kind] ?? 500;
    // @req DIR-022: a 413 (and any error) is a complete response; the body still unread is drained by Node, and the connection is closed after it.
    if (status === 413) void reply.header('connection', 'close');
    void reply.code(status).header('content-type', 'application/json').send(JSON.stringify({ error: { kind: err.kind, reason: err.reason, message: err.message } }));
    logRequest(meta, status, started, err);
  }

  await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    server: app.server,
    limits,
    close() {
      closing ??= (async () => {
        // @req DIR-024: drain in-flight requests within limits.drainMs, then close what is left.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((r) => (timer = setTimeout(() => { app.server.closeAllConnections(); r(); }, limits.drainMs)));
        await Promise.race([app.close(), deadline]);
        clearTimeout(timer);
        app.server.closeAllConnections();
        if (inflight > 0) await new Promise<void>((r) => (idle = r));
        await store.close();
      })();
      return closing;
    },
  };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Fastify's own errors (body size, content type, schema validation, timeouts) as closed-set errors. */
function mapFrameworkError(err: unknown): AgentsecError {
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AgentsecError('policy_reject', 'BODY_TOO_LARGE', 'request body exceeds the directory\'s body limit');
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new AgentsecError('decode_failure', 'BAD_CONTENT_TYPE', 'request bodies are application/json');
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new AgentsecError('decode_failure', 'BAD_JSON', 'request body is not JSON');
  if (e.validation) return new AgentsecError('decode_failure', 'BAD_REQUEST', `request does not match the route's schema: ${e.message ?? ''}`);
  if (e.statusCode === 408) return new AgentsecError('decode_failure', 'REQUEST_TIMEOUT', 'the request was not received in time');
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return new AgentsecError('decode_failure', 'BAD_REQUEST', 'malformed request');
  return new AgentsecError('internal', 'INTERNAL', 'internal error');
}
