/**
 * The GCP-Cloud-KMS-wire-compatible endpoint (symmetric ENCRYPT_DECRYPT keys): the Cloud KMS v1
 * REST/JSON API over HTTP/1.1 on 127.0.0.1, the transport @google-cloud/kms uses with
 * `fallback: true` (`protocol: 'http'`, `apiEndpoint`, `port`). A bearer token is required (any
 * non-empty one, or exactly `token` when set).
 *
 * As the service documents: key rings, crypto keys with numbered versions and a primary; encrypt
 * with the primary or a named version, decrypt choosing the version from the ciphertext; additional
 * authenticated data; CRC32C integrity fields checked on requests and returned on responses;
 * versions ENABLED, DISABLED, DESTROY_SCHEDULED (then DESTROYED, material gone, at destroyTime).
 * Errors are `{ error: { code, message, status } }` with the HTTP status of the gRPC code.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { crc32c } from './crc32c.js';
import type { ScrubbingLogger } from '../../../reference/index.js';
import { Faults } from './faults.js';
import { listenLoopback, logKmsRequest } from './request-log.js';

export interface GcpKmsOptions {
  port?: number;
  host?: '127.0.0.1' | '::1';
  token?: string;
  /** How long a destroyed version stays DESTROY_SCHEDULED (default 24 h, as the service). */
  destroyScheduledMs?: number;
  now?: () => number;
  maxBodyBytes?: number;
  logger?: ScrubbingLogger;
}

type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED' | 'DESTROY_SCHEDULED';
const STATE_NUM: Record<VersionState, number> = { ENABLED: 1, DISABLED: 2, DESTROYED: 3, DESTROY_SCHEDULED: 4 };
const STATE_BY_NUM = Object.fromEntries(Object.entries(STATE_NUM).map(([k, v]) => [v, k])) as Record<number, VersionState>;

interface KeyVersion {
  readonly n: number;
  readonly key: Buffer;
  state: VersionState;
  readonly createTime: number;
  destroyTime?: number;
}

interface CryptoKey {
  readonly name: string;
  readonly createTime: number;
  readonly versions: KeyVersion[];
  primary?: number;
  labels: Record<string, string>;
}

export interface GcpKms {
  readonly endpoint: string;
  /** For the client: `apiEndpoint` and `port`. */
  readonly host: string;
  readonly port: number;
  readonly faults: Faults;
  readonly calls: Record<string, number>;
  close(): Promise<void>;
}

const GRPC_STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

class GcpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly grpc = GRPC_STATUS[status] ?? 'UNKNOWN',
  ) {
    super(message);
  }
}
const precondition = (m: string): GcpError => new GcpError(400, m, 'FAILED_PRECONDITION');

const ID = /^[a-zA-Z0-9_-]{1,63}$/;
const MAX_DATA = 64 * 1024;

function bytesField(v: unknown, field: string, required: boolean): Buffer {
  if (v === undefined || v === null || v === '') {
    if (required) throw new GcpError(400, `${field} is required`);
    return Buffer.alloc(0);
  }
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw new GcpError(400, `Invalid value at '${field}' (TYPE_BYTES)`);
  return Buffer.from(v, 'base64');
}

/** An Int64Value wrapper in JSON: a decimal string (or number); undefined when absent. */
function int64Field(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'object' ? (v as { value?: unknown }).value : v;
  if ((typeof s !== 'string' && typeof s !== 'number') || !/^\d+$/.test(String(s))) throw new GcpError(400, `Invalid value at '${field}' (TYPE_INT64)`);
  return Number(s);
}

// @req KMS-064: request checksums are verified before the data is used.
function checkCrc(data: Buffer, crc: number | undefined, field: string, dataField: string): boolean {
  if (crc === undefined) return false;
  if (crc32c(data) !== crc) throw new GcpError(400, `The checksum in field ${field} did not match the data in field ${dataField}.`);
  return true;
}

export async function startGcpKms(opts: GcpKmsOptions = {}): Promise<GcpKms> {
  const host = opts.host ?? '127.0.0.1';
  // @req KMS-060
  if (host !== '127.0.0.1' && host !== '::1') throw new Error('the Cloud KMS endpoint listens on loopback only');
  const now = opts.now ?? Date.now;
  const destroyMs = opts.destroyScheduledMs ?? 24 * 3600 * 1000;
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const rings = new Map<string, number>();
  const keys = new Map<string, CryptoKey>();
  const faults = new Faults();
  const calls: Record<string, number> = {};

  const iso = (ms: number): string => new Date(ms).toISOString();
  const settle = (v: KeyVersion): void => {
    if (v.state === 'DESTROY_SCHEDULED' && v.destroyTime !== undefined && now() >= v.destroyTime) {
      v.key.fill(0);
      v.state = 'DESTROYED';
    }
  };
  const versionJson = (k: CryptoKey, v: KeyVersion, ints: boolean): unknown => {
    settle(v);
    return {
      name: `${k.name}/cryptoKeyVersions/${v.n}`,
      state: ints ? STATE_NUM[v.state] : v.state,
      protectionLevel: ints ? 1 : 'SOFTWARE',
      algorithm: ints ? 1 : 'GOOGLE_SYMMETRIC_ENCRYPTION',
      createTime: iso(v.createTime),
      generateTime: iso(v.createTime),
      ...(v.destroyTime !== undefined ? { destroyTime: iso(v.destroyTime) } : {}),
      ...(v.state === 'DESTROYED' && v.destroyTime !== undefined ? { destroyEventTime: iso(v.destroyTime) } : {}),
    };
  };
  const keyJson = (k: CryptoKey, ints: boolean): unknown => {
    const p = k.primary !== undefined ? k.versions.find((v) => v.n === k.primary) : undefined;
    return {
      name: k.name,
      purpose: ints ? 1 : 'ENCRYPT_DECRYPT',
      createTime: iso(k.createTime),
      versionTemplate: { protectionLevel: ints ? 1 : 'SOFTWARE', algorithm: ints ? 1 : 'GOOGLE_SYMMETRIC_ENCRYPTION' },
      labels: k.labels,
      destroyScheduledDuration: `${Math.floor(destroyMs / 1000)}s`,
      ...(p ? { primary: versionJson(k, p, ints) } : {}),
    };
  };
  const findKey = (name: string): CryptoKey => {
    const k = keys.get(name);
    if (!k) throw new GcpError(404, `${name} not found.`);
    return k;
  };
  const findVersion = (k: CryptoKey, n: string): KeyVersion => {
    const v = /^\d+$/.test(n) ? k.versions.find((x) => x.n === Number(n)) : undefined;
    if (!v) throw new GcpError(404, `${k.name}/cryptoKeyVersions/${n} not found.`);
    settle(v);
    return v;
  };
  const addVersion = (k: CryptoKey): KeyVersion => {
    const v: KeyVersion = { n: k.versions.length + 1, key: randomBytes(32), state: 'ENABLED', createTime: now() };
    k.versions.push(v);
    return v;
  };
  const notEnabled = (k: CryptoKey, v: KeyVersion): GcpError => precondition(`The request cannot be fulfilled. Resource ${k.name}/cryptoKeyVersions/${v.n} is not enabled, current state is: ${v.state}.`);

  /** The ciphertext: format byte, version number, nonce, AES-256-GCM over the data with the key name and AAD authenticated. */
  const seal = (k: CryptoKey, v: KeyVersion, pt: Buffer, aad: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head[0] = 1;
    head.writeUInt32BE(v.n, 1);
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', v.key, nonce);
    c.setAAD(Buffer.concat([head, lenPrefixed(k.name), aad]));
    const ct = Buffer.concat([c.update(pt), c.final()]);
    return Buffer.concat([head, nonce, ct, c.getAuthTag()]);
  };
  const invalidCiphertext = (): GcpError => new GcpError(400, 'Decryption failed: the ciphertext is invalid.');
  const unseal = (k: CryptoKey, ct: Buffer, aad: Buffer): { v: KeyVersion; pt: Buffer } => {
    if (ct.length < 5 + 12 + 16 || ct[0] !== 1) throw invalidCiphertext();
    const n = ct.readUInt32BE(1);
    const v = k.versions.find((x) => x.n === n);
    if (!v) throw invalidCiphertext();
    settle(v);
    // @req KMS-063
    if (v.state !== 'ENABLED') throw notEnabled(k, v);
    try {
      const d = createDecipheriv('aes-256-gcm', v.key, ct.subarray(5, 17));
      d.setAAD(Buffer.concat([ct.subarray(0, 5), lenPrefixed(k.name), aad]));
      d.setAuthTag(ct.subarray(ct.length - 16));
      return { v, pt: Buffer.concat([d.update(ct.subarray(17, ct.length - 16)), d.final()]) };
    } catch {
      throw invalidCiphertext();
    }
  };

  const route = (method: string, path: string, q: URLSearchParams, body: Record<string, unknown>, ints: boolean): [string, unknown] => {
    const [resource, verb] = path.includes(':') ? [path.slice(0, path.lastIndexOf(':')), path.slice(path.lastIndexOf(':') + 1)] : [path, undefined];
    const seg = resource.split('/');
    // projects/P/locations/L[/keyRings[/R[/cryptoKeys[/K[/cryptoKeyVersions[/N]]]]]]
    if (seg[0] !== 'projects' || seg[2] !== 'locations' || !seg[1] || !seg[3] || seg[4] !== 'keyRings') throw new GcpError(404, `unknown resource ${resource}`);
    const location = seg.slice(0, 4).join('/');
    if (seg.length === 5 && method === 'POST' && !verb) {
      const id = q.get('keyRingId') ?? '';
      if (!ID.test(id)) throw new GcpError(400, 'keyRingId must match [a-zA-Z0-9_-]{1,63}');
      const name = `${location}/keyRings/${id}`;
      if (rings.has(name)) throw new GcpError(409, `KeyRing ${name} already exists.`);
      rings.set(name, now());
      return ['CreateKeyRing', { name, createTime: iso(now()) }];
    }
    const ring = seg.slice(0, 6).join('/');
    if (!rings.has(ring)) throw new GcpError(404, `KeyRing ${ring} not found.`);
    if (seg.length === 6 && method === 'GET') return ['GetKeyRing', { name: ring, createTime: iso(rings.get(ring)!) }];
    if (seg[6] !== 'cryptoKeys') throw new GcpError(404, `unknown resource ${resource}`);
    if (seg.length === 7 && method === 'POST' && !verb) {
      const id = q.get('cryptoKeyId') ?? '';
      if (!ID.test(id)) throw new GcpError(400, 'cryptoKeyId must match [a-zA-Z0-9_-]{1,63}');
      const purpose = body.purpose ?? 'ENCRYPT_DECRYPT';
      if (purpose !== 'ENCRYPT_DECRYPT' && purpose !== 1) throw new GcpError(400, 'this endpoint supports purpose ENCRYPT_DECRYPT only');
      const name = `${ring}/cryptoKeys/${id}`;
      if (keys.has(name)) throw new GcpError(409, `CryptoKey ${name} already exists.`);
      const k: CryptoKey = { name, createTime: now(), versions: [], labels: (body.labels as Record<string, string> | undefined) ?? {} };
      if (q.get('skipInitialVersionCreation') !== 'true') k.primary = addVersion(k).n;
      keys.set(name, k);
      return ['CreateCryptoKey', keyJson(k, ints)];
    }
    const k = findKey(seg.slice(0, 8).join('/'));
    if (seg.length === 8) {
      if (method === 'GET' && !verb) return ['GetCryptoKey', keyJson(k, ints)];
      if (method === 'POST' && verb === 'encrypt') return ['Encrypt', encrypt(k, undefined, body)];
      if (method === 'POST' && verb === 'decrypt') return ['Decrypt', decrypt(k, body)];
      if (method === 'POST' && verb === 'updatePrimaryVersion') {
        const v = findVersion(k, String(body.cryptoKeyVersionId ?? ''));
        if (v.state !== 'ENABLED') throw notEnabled(k, v);
        k.primary = v.n;
        return ['UpdateCryptoKeyPrimaryVersion', keyJson(k, ints)];
      }
    }
    if (seg[8] !== 'cryptoKeyVersions') throw new GcpError(404, `unknown resource ${resource}`);
    if (seg.length === 9 && method === 'POST' && !verb) return ['CreateCryptoKeyVersion', versionJson(k, addVersion(k), ints)];
    if (seg.length === 9 && method === 'GET') {
      const size = Math.min(Math.max(Number(q.get('pageSize') ?? 25) || 25, 1), 1000);
      const start = Number(q.get('pageToken') || 0);
      const page = k.versions.slice(start, start + size);
      const next = start + size < k.versions.length ? String(start + size) : undefined;
      return ['ListCryptoKeyVersions', { cryptoKeyVersions: page.map((v) => versionJson(k, v, ints)), totalSize: k.versions.length, ...(next ? { nextPageToken: next } : {}) }];
    }
    if (seg.length !== 10) throw new GcpError(404, `unknown resource ${resource}`);
    const v = findVersion(k, seg[9]!);
    if (method === 'GET' && !verb) return ['GetCryptoKeyVersion', versionJson(k, v, ints)];
    if (method === 'POST' && verb === 'encrypt') return ['Encrypt', encrypt(k, v, body)];
    if (method === 'PATCH' && !verb) {
      const mask = (q.get('updateMask') ?? '').split(',').filter(Boolean);
      if (mask.length !== 1 || mask[0] !== 'state') throw new GcpError(400, 'updateMask must be "state" (the only mutable field here)');
      const raw = body.state;
      const want = typeof raw === 'number' ? STATE_BY_NUM[raw] : (raw as VersionState);
      if (want !== 'ENABLED' && want !== 'DISABLED') throw new GcpError(400, 'state may only be set to ENABLED or DISABLED');
      if (v.state !== 'ENABLED' && v.state !== 'DISABLED') throw precondition(`${k.name}/cryptoKeyVersions/${v.n} is in state ${v.state} and cannot be ${want === 'ENABLED' ? 'enabled' : 'disabled'}.`);
      // @req KMS-062: the primary of an ENCRYPT_DECRYPT key cannot be disabled.
      if (want === 'DISABLED' && v.n === k.primary) throw precondition(`${k.name}/cryptoKeyVersions/${v.n} is the primary version and cannot be disabled.`);
      v.state = want;
      return ['UpdateCryptoKeyVersion', versionJson(k, v, ints)];
    }
    if (method === 'POST' && verb === 'destroy') {
      if (v.n === k.primary) throw precondition(`${k.name}/cryptoKeyVersions/${v.n} is the primary version and cannot be destroyed.`);
      if (v.state !== 'ENABLED' && v.state !== 'DISABLED') throw precondition(`${k.name}/cryptoKeyVersions/${v.n} is already ${v.state}.`);
      v.state = 'DESTROY_SCHEDULED';
      v.destroyTime = now() + destroyMs;
      return ['DestroyCryptoKeyVersion', versionJson(k, v, ints)];
    }
    if (method === 'POST' && verb === 'restore') {
      if (v.state !== 'DESTROY_SCHEDULED') throw precondition(`${k.name}/cryptoKeyVersions/${v.n} is not scheduled for destruction.`);
      v.state = 'DISABLED';
      delete v.destroyTime;
      return ['RestoreCryptoKeyVersion', versionJson(k, v, ints)];
    }
    throw new GcpError(404, `unknown method ${method} ${path}`);
  };

  const encrypt = (k: CryptoKey, named: KeyVersion | undefined, body: Record<string, unknown>): unknown => {
    const pt = bytesField(body.plaintext, 'plaintext', true);
    const aad = bytesField(body.additionalAuthenticatedData, 'additional_authenticated_data', false);
    if (pt.length > MAX_DATA || aad.length > MAX_DATA) throw new GcpError(400, 'plaintext and additional_authenticated_data are limited to 64 KiB');
    const vPt = checkCrc(pt, int64Field(body.plaintextCrc32c, 'plaintext_crc32c'), 'plaintext_crc32c', 'plaintext');
    const vAad = checkCrc(aad, int64Field(body.additionalAuthenticatedDataCrc32c, 'additional_authenticated_data_crc32c'), 'additional_authenticated_data_crc32c', 'additional_authenticated_data');
    const v = named ?? (k.primary !== undefined ? k.versions.find((x) => x.n === k.primary) : undefined);
    if (!v) throw precondition(`${k.name} has no primary version.`);
    settle(v);
    if (v.state !== 'ENABLED') throw notEnabled(k, v);
    const ct = seal(k, v, pt, aad);
    return {
      name: `${k.name}/cryptoKeyVersions/${v.n}`,
      ciphertext: ct.toString('base64'),
      ciphertextCrc32c: String(crc32c(ct)),
      verifiedPlaintextCrc32c: vPt,
      verifiedAdditionalAuthenticatedDataCrc32c: vAad,
      protectionLevel: 'SOFTWARE',
    };
  };
  const decrypt = (k: CryptoKey, body: Record<string, unknown>): unknown => {
    const ct = bytesField(body.ciphertext, 'ciphertext', true);
    const aad = bytesField(body.additionalAuthenticatedData, 'additional_authenticated_data', false);
    checkCrc(ct, int64Field(body.ciphertextCrc32c, 'ciphertext_crc32c'), 'ciphertext_crc32c', 'ciphertext');
    checkCrc(aad, int64Field(body.additionalAuthenticatedDataCrc32c, 'additional_authenticated_data_crc32c'), 'additional_authenticated_data_crc32c', 'additional_authenticated_data');
    const { v, pt } = unseal(k, ct, aad);
    return { plaintext: pt.toString('base64'), plaintextCrc32c: String(crc32c(pt)), usedPrimary: v.n === k.primary, protectionLevel: 'SOFTWARE' };
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, meta: { op: string; key?: string; status?: string }): Promise<void> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBody) throw new GcpError(400, 'request body too large');
      chunks.push(c as Buffer);
    }
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    // @req KMS-061
    if (!token || (opts.token !== undefined && token !== opts.token)) throw new GcpError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
    const url = new URL(req.url ?? '/', 'http://kms');
    if (!url.pathname.startsWith('/v1/')) throw new GcpError(404, 'unknown path');
    const ints = (url.searchParams.get('$alt') ?? '').includes('enum-encoding=int');
    let body: Record<string, unknown> = {};
    if (chunks.length) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new GcpError(400, 'Invalid JSON payload received.');
      }
      // An unset body message arrives as "" or null.
      if (parsed === '' || parsed === null) parsed = {};
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new GcpError(400, 'Invalid JSON payload received.');
      body = parsed as Record<string, unknown>;
    }
    const path = decodeURIComponent(url.pathname.slice(4));
    const op = opName(req.method ?? 'GET', path);
    meta.op = op;
    meta.key = path.split(':')[0]!.split('/').slice(0, 8).join('/');
    calls[op] = (calls[op] ?? 0) + 1;
    await faults.holdFor(op);
    const injected = faults.take(op);
    if (injected === 'throttle') throw new GcpError(429, 'Quota exceeded for quota metric cryptographic requests.');
    if (injected === 'internal') throw new GcpError(500, 'Internal error encountered.');
    const [, out] = route(req.method ?? 'GET', path, url.searchParams, body, ints);
    send(res, 200, out);
  };

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const meta: { op: string; key?: string; status?: string } = { op: 'unknown' };
    handle(req, res, meta)
      .catch((e: unknown) => {
        const err = e instanceof GcpError ? e : new GcpError(500, 'Internal error encountered.');
        meta.status = err.grpc;
        if (!res.headersSent) send(res, err.status, { error: { code: err.status, message: err.message, status: err.grpc } });
      })
      .finally(() =>
        logKmsRequest(opts.logger, res.statusCode, started, { op: meta.op, outcome: meta.status ?? 'ok', ...(meta.key ? { key: meta.key } : {}), frequent: meta.op === 'Encrypt' || meta.op === 'Decrypt' }),
      );
  });
  const { port, hostPart } = await listenLoopback(server, host, opts.port);
  return {
    endpoint: `http://${hostPart}:${port}`,
    host,
    port,
    faults,
    calls,
    async close() {
      faults.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function lenPrefixed(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const l = Buffer.alloc(4);
  l.writeUInt32BE(b.length);
  return Buffer.concat([l, b]);
}

function opName(method: string, path: string): string {
  const verb = path.includes(':') ? path.slice(path.lastIndexOf(':') + 1) : '';
  const depth = path.split(':')[0]!.split('/').length;
  const verbs: Record<string, string> = { encrypt: 'Encrypt', decrypt: 'Decrypt', updatePrimaryVersion: 'UpdateCryptoKeyPrimaryVersion', destroy: 'DestroyCryptoKeyVersion', restore: 'RestoreCryptoKeyVersion' };
  if (verb) return verbs[verb] ?? verb;
  if (method === 'PATCH') return 'UpdateCryptoKeyVersion';
  const byDepth: Record<number, [string, string]> = { 5: ['ListKeyRings', 'CreateKeyRing'], 6: ['GetKeyRing', 'CreateKeyRing'], 7: ['ListCryptoKeys', 'CreateCryptoKey'], 8: ['GetCryptoKey', 'CreateCryptoKey'], 9: ['ListCryptoKeyVersions', 'CreateCryptoKeyVersion'], 10: ['GetCryptoKeyVersion', 'GetCryptoKeyVersion'] };
  const pair = byDepth[depth];
  return pair ? (method === 'GET' ? pair[0] : pair[1]) : 'unknown';
}
