/**
 * The AWS-KMS-wire-compatible endpoint: AWS JSON 1.1 over HTTP on 127.0.0.1 (X-Amz-Target:
 * TrentService.<Op>). Signatures are not verified; an Authorization header is required. Errors are
 * HTTP 400 (500 for internal) with `__type` and `x-amzn-errortype`, as the AWS SDK expects.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { withFileLock } from '../../../reference/file-lock.js';
import type { ScrubbingLogger } from '../../../reference/index.js';
import type { KmsMode } from './blob.js';
import { KmsError } from './errors.js';
import { Faults } from './faults.js';
import { listenLoopback, logKmsRequest } from './request-log.js';
import { emptyState, loadState, replaceState, saveState, type KmsState } from './model.js';
import { MUTATING, OPS, runAutomaticRotations, type OpContext } from './ops.js';

export interface KmsServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** 127.0.0.1 (default) or ::1; nothing else is allowed. */
  host?: '127.0.0.1' | '::1';
  mode?: KmsMode;
  region?: string;
  /** JSON file the state is loaded from and saved to after each change. */
  statePath?: string;
  /** On-demand rotations allowed per key (AWS documents 10; later docs say 25). */
  onDemandRotationLimit?: number;
  /** Clock in ms; automatic rotation follows it. */
  now?: () => number;
  /** Most request body bytes accepted. */
  maxBodyBytes?: number;
  /** Scrubbing logger (reference/observability): one `kms.request` event per request. */
  logger?: ScrubbingLogger;
}

/** What a request's log event may carry: never a blob, plaintext or key. */
interface RequestMeta {
  op: string;
  keyId?: string;
  context?: unknown;
}

/** Per-message operations: their successes are sampled (observability.sampleHighFrequency). */
const HIGH_FREQUENCY = new Set(['Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext']);

export interface KmsCounters {
  /** Requests per operation (including failed and fault-injected ones). */
  readonly calls: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
}

export interface KmsServer {
  readonly endpoint: string;
  readonly port: number;
  readonly mode: KmsMode;
  readonly region: string;
  readonly state: KmsState;
  readonly faults: Faults;
  readonly counters: KmsCounters;
  resetCounters(): void;
  /**
   * Harness-only administration (no AWS operation does this for generated material): destroys a
   * non-current key material, so ciphertexts under it no longer decrypt (KMSInvalidStateException
   * in aws mode). Models a retired KEK version on the KMS side.
   */
  destroyKeyMaterial(keyId: string, materialId: string): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.1';

export async function startKmsServer(opts: KmsServerOptions = {}): Promise<KmsServer> {
  const mode = opts.mode ?? 'aws';
  if (mode !== 'aws' && mode !== 'localstack') throw new Error(`unknown KMS mode "${String(mode)}" (aws or localstack)`);
  const host = opts.host ?? '127.0.0.1';
  // @req KMS-035
  if (host !== '127.0.0.1' && host !== '::1') throw new Error('the KMS endpoint listens on loopback only');
  const region = opts.region ?? 'us-east-1';
  const limit = opts.onDemandRotationLimit ?? 10;
  if (!Number.isInteger(limit) || limit < 0) throw new Error('onDemandRotationLimit must be a non-negative integer');
  const state = opts.statePath ? loadState(opts.statePath, mode) : emptyState();
  const ctx: OpContext = { state, mode, region, now: opts.now ?? Date.now, onDemandRotationLimit: limit };
  const faults = new Faults();
  const counters: KmsCounters = { calls: {}, inFlight: 0, maxInFlight: 0 };
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const timers = new Set<NodeJS.Timeout>();

  const send = (res: ServerResponse, status: number, body: unknown, errType?: string): void => {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(text)), 'x-amzn-requestid': cryptoRandomId() };
    // Set on the response (not only written) so the request log can read the outcome back.
    if (errType) res.setHeader('x-amzn-errortype', errType);
    res.writeHead(status, headers);
    res.end(text);
  };
  // @req KMS-022
  const sendError = (res: ServerResponse, e: KmsError): void => send(res, e.status, { __type: e.type, message: e.message }, e.type);

  const handle = async (req: IncomingMessage, res: ServerResponse, meta: RequestMeta): Promise<void> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBody) return sendError(res, new KmsError('ValidationException', 'request body too large'));
      chunks.push(c as Buffer);
    }
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith('TrentService.')) {
      return sendError(res, new KmsError('UnknownOperationException', 'missing or unknown X-Amz-Target'));
    }
    const op = target.slice('TrentService.'.length);
    meta.op = op;
    counters.calls[op] = (counters.calls[op] ?? 0) + 1;
    counters.inFlight++;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
    try {
      const delay = faults.delayFor(op);
      if (delay > 0) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            timers.delete(t);
            r();
          }, delay);
          timers.add(t);
        });
      }
      await faults.holdFor(op);
      // @req KMS-031
      if (!req.headers.authorization) throw new KmsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      const injected = faults.take(op);
      if (injected === 'throttle') throw new KmsError('ThrottlingException', 'Rate exceeded');
      if (injected === 'internal') throw new KmsError('KMSInternalException', 'injected internal failure');
      const impl = Object.hasOwn(OPS, op) ? OPS[op] : undefined;
      if (!impl) throw new KmsError('UnknownOperationException', `operation ${op} is not supported by this endpoint`);
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        throw new KmsError('SerializationException', 'request body is not JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KmsError('SerializationException', 'request body must be a JSON object');
      // @req OBS-018: only the key reference and the encryption context are picked for the log.
      const { KeyId: keyId, EncryptionContext: context } = body as Record<string, unknown>;
      if (typeof keyId === 'string') meta.keyId = keyId;
      if (context !== undefined) meta.context = context;
      const run = (statePath?: string): unknown => {
        if (statePath) replaceState(state, loadState(statePath, mode));
        const rotated = runAutomaticRotations(ctx);
        const result = impl(body as Record<string, unknown>, ctx);
        if (statePath && (rotated || MUTATING.has(op))) saveState(statePath, mode, state);
        return result;
      };
      // @req KMS-053: with a state file, each request works on the file's latest state under its
      // lock, so endpoints sharing the file never lose each other's keys or rotations.
      const statePath = opts.statePath;
      const out = statePath ? await withFileLock(statePath, () => run(statePath)) : run();
      send(res, 200, out);
    } catch (e) {
      if (e instanceof KmsError) sendError(res, e);
      else sendError(res, new KmsError('KMSInternalException', 'internal error'));
    } finally {
      counters.inFlight--;
    }
  };

  /**
   * One event per request: operation, outcome (the AWS error type), status, duration, KeyId and the
   * context under `encryption_context` -- a metadata field the scrubber strips under
   * storage.metadataScrubbing. Error messages are not logged (they may quote the request).
   */
  const logRequest = (meta: RequestMeta, res: ServerResponse, started: number): void => {
    const errType = res.getHeader('x-amzn-errortype');
    logKmsRequest(opts.logger, res.statusCode, started, {
      op: meta.op,
      outcome: typeof errType === 'string' ? errType : 'ok',
      ...(meta.keyId !== undefined ? { key: meta.keyId } : {}),
      ...(meta.context !== undefined ? { context: meta.context } : {}),
      frequent: HIGH_FREQUENCY.has(meta.op),
    });
  };

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const meta: RequestMeta = { op: 'unknown' };
    handle(req, res, meta)
      .catch(() => {
        if (!res.headersSent) sendError(res, new KmsError('KMSInternalException', 'internal error'));
      })
      .finally(() => logRequest(meta, res, started));
  });
  const { port, hostPart } = await listenLoopback(server, host, opts.port);
  return {
    endpoint: `http://${hostPart}:${port}`,
    port,
    mode,
    region,
    state,
    faults,
    counters,
    destroyKeyMaterial(keyId, materialId) {
      const k = state.keys.get(keyId);
      const idx = k ? k.materials.findIndex((m) => m.id === materialId) : -1;
      if (!k || idx < 0) throw new Error(`no key material ${materialId} in key ${keyId}`);
      if (idx === k.materials.length - 1) throw new Error('the current key material cannot be destroyed');
      const m = k.materials[idx]!;
      m.key.fill(0);
      m.destroyed = true;
      if (opts.statePath) saveState(opts.statePath, mode, state);
    },
    resetCounters() {
      for (const k of Object.keys(counters.calls)) delete counters.calls[k];
      counters.maxInFlight = counters.inFlight;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      faults.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function cryptoRandomId(): string {
  return globalThis.crypto.randomUUID();
}
