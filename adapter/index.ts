/**
 * The reference served over agentsec-adapter/1: `hello`, `free`, and routing of every other method
 * to the area that owns it (noise.ts, session.ts, envelope.ts, prim.ts). Handlers throw
 * AgentsecError; this file turns kinds into protocol errors, so areas never see JSON-RPC.
 */
import { AgentsecError, isErrorKind, type ErrorKind } from '../reference/errors.js';
import { getProvider, type CryptoProvider } from '../reference/crypto/index.js';
import type { Capabilities, HelloResult, Services } from '../protocol/types.js';
import { AGENTSEC_VERSION } from '../protocol/version.js';
import type { Area, AreaContext, Handler } from './area.js';
import { envelopeArea } from './envelope.js';
import { identityArea } from './identity.js';
import { noiseArea } from './noise.js';
import { ObjectTable } from './objects.js';
import { primArea } from './prim.js';
import { sessionArea } from './session.js';

export const REFERENCE_NAME = 'agentsec-reference';

/** JSON-RPC 2.0 error codes used by agentsec-adapter/1. */
export const RPC_PARSE_ERROR = -32700;
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_AGENTSEC_ERROR = -32000;

export interface RpcError {
  code: number;
  message: string;
  data?: { kind: ErrorKind; reason?: string };
}

/** Raised for a method no area serves; maps to -32601 (counted as `unsupported` by the harness). */
export class MethodNotFound extends Error {
  override name = 'MethodNotFound';
}

export interface DispatcherOptions {
  provider?: CryptoProvider;
  areas?: readonly Area[];
  /** Told about exceptions that are not AgentsecErrors (bugs); `agentsec adapter` logs them to stderr. */
  onInternalError?: (method: string, e: unknown) => void;
}

export const REFERENCE_AREAS: readonly Area[] = [noiseArea, sessionArea, envelopeArea, primArea, identityArea];

/** Deep merge of the capability fragments each area claims. */
function mergeCapabilities(parts: Partial<Capabilities>[]): Capabilities {
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [k, v] of Object.entries(part)) {
      const prev = out[k];
      if (prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v)) {
        out[k] = { ...prev, ...v };
      } else if (v !== undefined) {
        out[k] = v;
      }
    }
  }
  return out as Capabilities;
}

function servicesParam(p: Record<string, unknown>): Services {
  const s = p.services;
  if (s === undefined || s === null) return {};
  if (typeof s !== 'object' || Array.isArray(s)) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "services" must be an object');
  const kms = (s as Record<string, unknown>).kms;
  if (kms === undefined || kms === null) return {};
  if (typeof kms !== 'object' || Array.isArray(kms)) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "services.kms" must be an object');
  const k = kms as Record<string, unknown>;
  for (const f of ['endpoint', 'region', 'key_id']) {
    if (typeof k[f] !== 'string') throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "services.kms.${f}" must be a string`);
  }
  return { kms: { endpoint: k.endpoint as string, region: k.region as string, key_id: k.key_id as string } };
}

/**
 * One reference implementation instance: its object table and the services `hello` gave it.
 * Methods take and return plain JSON values, exactly what travels on the wire.
 */
export class ReferenceDispatcher {
  readonly areas: readonly Area[];
  private readonly ctx: AreaContext;
  private readonly methods = new Map<string, Handler>();
  private readonly onInternalError: ((method: string, e: unknown) => void) | undefined;

  constructor(opts: DispatcherOptions = {}) {
    this.onInternalError = opts.onInternalError;
    this.areas = opts.areas ?? REFERENCE_AREAS;
    this.ctx = { objects: new ObjectTable(), services: {}, provider: opts.provider ?? getProvider('noble') };
    for (const area of this.areas) {
      for (const [name, handler] of Object.entries(area.methods)) {
        if (name === 'hello' || name === 'free' || this.methods.has(name)) throw new Error(`method ${name} registered twice`);
        this.methods.set(name, handler);
      }
    }
  }

  hello(params: Record<string, unknown>): HelloResult {
    if (params.protocol !== 1) throw new AgentsecError('unsupported', 'PROTOCOL_VERSION', `unsupported protocol ${JSON.stringify(params.protocol)} (this adapter speaks 1)`);
    this.ctx.services = servicesParam(params);
    return {
      name: REFERENCE_NAME,
      version: AGENTSEC_VERSION,
      protocol: 1,
      capabilities: mergeCapabilities(this.areas.map((a) => a.capabilities(this.ctx))),
    };
  }

  /** Calls one method; throws AgentsecError (or MethodNotFound) on refusal. */
  async call(method: string, params: Record<string, unknown>): Promise<unknown> {
    if (method === 'hello') return this.hello(params);
    if (method === 'free') {
      this.ctx.objects.free(params.id);
      return {};
    }
    const handler = this.methods.get(method);
    if (!handler) throw new MethodNotFound(`unknown method "${method}"`);
    const result = await handler(params, this.ctx);
    return result === undefined ? {} : result;
  }

  /**
   * Handles one request line and returns the response line (without newline), or undefined for a
   * notification (a request without id gets no answer, per JSON-RPC 2.0).
   */
  async handleLine(line: string): Promise<string | undefined> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RPC_PARSE_ERROR, message: 'parse error: not JSON' } });
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RPC_INVALID_REQUEST, message: 'invalid request: not an object' } });
    }
    const r = req as Record<string, unknown>;
    const id = typeof r.id === 'string' || typeof r.id === 'number' ? r.id : null;
    const isNotification = !('id' in r);
    const params = r.params === undefined ? {} : r.params;
    if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || typeof params !== 'object' || params === null || Array.isArray(params)) {
      return JSON.stringify({ jsonrpc: '2.0', id, error: { code: RPC_INVALID_REQUEST, message: 'invalid request: need jsonrpc "2.0", a method string and object params' } });
    }
    const response = await this.respond(r.method, params as Record<string, unknown>);
    if (isNotification) return undefined;
    return JSON.stringify({ jsonrpc: '2.0', id, ...response });
  }

  /** Runs a call and shapes the outcome as a JSON-RPC `result` or `error` member. */
  async respond(method: string, params: Record<string, unknown>): Promise<{ result: unknown } | { error: RpcError }> {
    try {
      return { result: await this.call(method, params) };
    } catch (e) {
      if (!(e instanceof AgentsecError) && !(e instanceof MethodNotFound)) this.onInternalError?.(method, e);
      return { error: toRpcError(e) };
    }
  }
}

/** Maps a thrown value to the protocol error; anything that is not an AgentsecError is `internal`. */
// @req CONF-009
export function toRpcError(e: unknown): RpcError {
  if (e instanceof MethodNotFound) return { code: RPC_METHOD_NOT_FOUND, message: e.message };
  if (e instanceof AgentsecError && isErrorKind(e.kind)) {
    return { code: RPC_AGENTSEC_ERROR, message: e.message, data: { kind: e.kind, reason: e.reason } };
  }
  // An unexpected exception is a bug in the reference; its message may not be safe to echo (it
  // could quote inputs), so only its class name travels.
  const name = e instanceof Error ? e.name : typeof e;
  return { code: RPC_AGENTSEC_ERROR, message: `internal error (${name})`, data: { kind: 'internal' } };
}
