/**
 * Nothing an implementation sends is trusted: every response is checked against the shapes of
 * agentsec-adapter/1 before a suite sees it. A malformed answer is an AdapterFault('bad_result').
 * The hand-written checks below name the common faults plainly; then every answer is checked against
 * its `$defs["<method>.result"]` of spec/adapter-protocol.schema.json (spec/adapter-protocol.md).
 */
import { isErrorKind } from '../../protocol/types.js';
import { contractValidator } from '../../spec/tools/adapter-protocol.js';
import { AdapterCallError, AdapterFault, HarnessError, type CallOptions, type Capabilities, type HelloResult } from './types.js';

const HEX = /^(?:[0-9a-f]{2})*$/;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Quotes at most `max` characters of untrusted text, with control characters made visible. */
export function snippet(text: string, max = 120): string {
  const cut = text.length > max ? `${text.slice(0, max)}...(${text.length} chars)` : text;
  return JSON.stringify(cut);
}

/**
 * Text from the implementation made safe to print: control characters (terminal escapes, newlines)
 * shown as \uXXXX, and at most `max` characters.
 */
export function clean(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is being neutralized
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

/** A JSON value as it arrived, truncated (JSON text is already quoted and escaped). */
export function shown(v: unknown, max = 120): string {
  const t = JSON.stringify(v) ?? 'undefined';
  return t.length > max ? `${t.slice(0, max)}...(${t.length} chars)` : t;
}

function strings(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

function bad(what: string): never {
  throw new AdapterFault('bad_result', what);
}

function validateCapabilities(c: unknown): Capabilities {
  if (!isObject(c)) bad('hello: "capabilities" must be an object');
  const out: Capabilities = {};
  if (c.noise !== undefined) {
    const n = c.noise;
    if (!isObject(n)) bad('hello: capabilities.noise must be an object');
    for (const f of ['patterns', 'dh', 'cipher', 'hash'] as const) if (!strings(n[f])) bad(`hello: capabilities.noise.${f} must be an array of strings`);
    if (n.hfs !== undefined && !strings(n.hfs)) bad('hello: capabilities.noise.hfs must be an array of strings');
    for (const f of ['fixed_ephemeral', 'rekey', 'set_nonce'] as const) {
      if (n[f] !== undefined && typeof n[f] !== 'boolean') bad(`hello: capabilities.noise.${f} must be a boolean`);
    }
    const en = n.explicit_nonce;
    if (en !== undefined && !(isObject(en) && Number.isSafeInteger(en.window) && (en.window as number) >= 1)) bad('hello: capabilities.noise.explicit_nonce must be {window: integer >= 1}');
    out.noise = n as unknown as NonNullable<Capabilities['noise']>;
  }
  if (c.session !== undefined) {
    const s = c.session;
    if (!isObject(s) || !strings(s.kinds)) bad('hello: capabilities.session.kinds must be an array of strings');
    if (s.export !== undefined && typeof s.export !== 'boolean') bad('hello: capabilities.session.export must be a boolean');
    if (s.profile !== undefined && typeof s.profile !== 'string') bad('hello: capabilities.session.profile must be a string');
    out.session = s as unknown as NonNullable<Capabilities['session']>;
  }
  if (c.envelope !== undefined) {
    const e = c.envelope;
    if (!isObject(e) || !strings(e.kms)) bad('hello: capabilities.envelope.kms must be an array of strings');
    out.envelope = e as unknown as NonNullable<Capabilities['envelope']>;
  }
  if (c.primitives !== undefined) {
    if (!strings(c.primitives)) bad('hello: capabilities.primitives must be an array of strings');
    out.primitives = c.primitives;
  }
  // Unknown capability families are kept: a newer implementation may claim more than we test.
  for (const [k, v] of Object.entries(c)) if (!(k in out)) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Checks a result against the contract's schema entry for its method, if the contract has one. */
// @req CONF-102
function checkContract(method: string, r: unknown): void {
  const problems = contractValidator(`${method}.result`)?.(r) ?? [];
  if (problems.length > 0) bad(`${method}: result does not match spec/adapter-protocol.schema.json: ${clean(problems.slice(0, 3).join('; '), 400)}`);
}

export function validateHello(r: unknown): HelloResult {
  if (!isObject(r)) bad('hello: result must be an object');
  if (typeof r.name !== 'string' || r.name.length === 0) bad('hello: "name" must be a non-empty string');
  if (typeof r.version !== 'string') bad('hello: "version" must be a string');
  if (r.protocol !== 1) bad(`hello: "protocol" must be 1, got ${shown(r.protocol)}`);
  const caps = validateCapabilities(r.capabilities);
  checkContract('hello', r);
  return { name: clean(r.name, 200), version: clean(r.version, 100), protocol: 1, capabilities: caps };
}

type Field = 'hex' | 'string' | 'bool' | 'opt-hex' | 'any';

/** The result fields most often wrong, with plain messages; the schema checks the rest (checkContract). */
const RESULT_SHAPES: Record<string, Record<string, Field>> = {
  'noise.new': { id: 'string' },
  'noise.write': { message: 'hex' },
  'noise.read': { payload: 'hex' },
  'noise.state': { complete: 'bool', handshake_hash: 'opt-hex' },
  'session.agent': { agent: 'string' },
  'session.bundle': { bundle: 'any' },
  'session.initiate': { message: 'hex' },
  'session.encrypt': { message: 'hex' },
  'session.decrypt': { plaintext: 'hex' },
  'session.export': { state: 'any' },
  'session.import': { agent: 'string' },
  'envelope.seal': { envelope: 'hex' },
  'envelope.open': { plaintext: 'hex' },
  'envelope.rewrap': { envelope: 'hex' },
};

// @req CONF-002
export function validateResult(method: string, r: unknown): unknown {
  const shape = RESULT_SHAPES[method];
  if (!shape) {
    checkContract(method, r);
    return r;
  }
  if (!isObject(r)) bad(`${method}: result must be an object, got ${shown(r)}`);
  for (const [name, t] of Object.entries(shape)) {
    const v = r[name];
    const ok =
      t === 'any' ? v !== undefined && v !== null
      : t === 'string' ? typeof v === 'string' && v.length > 0
      : t === 'bool' ? typeof v === 'boolean'
      : t === 'hex' ? typeof v === 'string' && HEX.test(v)
      : v === undefined || v === null || (typeof v === 'string' && HEX.test(v));
    if (!ok) {
      const want = t === 'hex' || t === 'opt-hex' ? 'lowercase hex' : t === 'bool' ? 'a boolean' : t === 'string' ? 'a non-empty string' : 'present';
      bad(`${method}: result field "${name}" must be ${want}, got ${shown(v)}`);
    }
  }
  checkContract(method, r);
  return r;
}

/**
 * Maps a JSON-RPC error object to what a suite sees. -32000 carries a kind from the closed set;
 * -32601 (unknown method) counts as `unsupported`; -32602 (invalid params) as `decode_failure`.
 */
// @req CONF-003
export function errorFromRpc(method: string, e: unknown): AdapterCallError {
  if (!isObject(e) || typeof e.code !== 'number' || !Number.isInteger(e.code) || typeof e.message !== 'string') {
    bad(`${method}: malformed error object ${shown(e)}`);
  }
  const message = clean(e.message, 500);
  if (e.code === -32601) return new AdapterCallError(method, 'unsupported', message || 'method not found');
  if (e.code === -32602) return new AdapterCallError(method, 'decode_failure', message);
  if (e.code === -32000) {
    const data = e.data;
    const kind = isObject(data) ? data.kind : undefined;
    if (!isErrorKind(kind)) bad(`${method}: error -32000 without a valid data.kind (got ${shown(kind)}; kinds: auth_failure, decode_failure, state_failure, policy_reject, duplicate, unsupported, internal)`);
    const reason = isObject(data) && typeof data.reason === 'string' ? clean(data.reason, 100) : undefined;
    return new AdapterCallError(method, kind, message, reason);
  }
  return new AdapterCallError(method, 'internal', `JSON-RPC error ${e.code}: ${message}`);
}

/**
 * Checks a request before it is sent (CONF-121): its params, as they would travel (a JSON round
 * trip drops `undefined`), against `$defs["<method>.params"]`. A mismatch is the harness's own bug:
 * HarnessError, and nothing goes out. `opts.unchecked` (a non-empty reason) lets one deliberately
 * malformed request of a negative test through.
 */
// @req CONF-121
export function checkRequest(method: string, params: Record<string, unknown>, opts?: CallOptions): void {
  if (opts?.unchecked !== undefined) {
    if (typeof opts.unchecked !== 'string' || opts.unchecked.trim() === '') throw new HarnessError(method, `"${method}": an unchecked request must say why it breaks the contract`);
    return;
  }
  const validator = contractValidator(`${method}.params`);
  if (!validator) throw new HarnessError(method, `harness error: "${method}" is not a method of spec/adapter-protocol.schema.json (request not sent)`);
  const problems = validator(JSON.parse(JSON.stringify(params ?? {})) as unknown);
  if (problems.length > 0) {
    throw new HarnessError(method, `harness error: the params of "${method}" do not match spec/adapter-protocol.schema.json (request not sent): ${problems.slice(0, 3).join('; ')}`);
  }
}
