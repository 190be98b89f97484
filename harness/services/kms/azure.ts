/**
 * The Azure-Key-Vault-wire-compatible endpoint (keys only): the Key Vault REST API over HTTPS on
 * 127.0.0.1, with the challenge-based bearer authentication the Azure SDK performs (an unauthorized
 * request gets 401 and a `WWW-Authenticate: Bearer authorization=..., resource=...` challenge; any
 * non-empty bearer token is then accepted, or exactly `token` when set). TLS uses a certificate
 * made at startup (tls.ts); clients trust its PEM (`cert`).
 *
 * Keys: RSA / RSA-HSM (wrapKey/unwrapKey with RSA-OAEP-256 or RSA-OAEP) and oct-HSM (A128KW,
 * A192KW, A256KW, as Managed HSM). Versions are 32-hex ids; the latest is current; rotate makes a
 * new one; a disabled version refuses unwrapKey with 403 Forbidden / KeyDisabled, as Key Vault does.
 * Errors are `{ error: { code, message, innererror? } }` with the service's HTTP statuses.
 */
import { constants, createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScrubbingLogger } from '../../../reference/index.js';
import { Faults } from './faults.js';
import { listenLoopback, logKmsRequest } from './request-log.js';
import { makeLoopbackTls } from './tls.js';

export interface AzureVaultOptions {
  port?: number;
  host?: '127.0.0.1' | '::1';
  /** Accept only this bearer token (default: any non-empty one). */
  token?: string;
  /** Tenant named in the authentication challenge. */
  tenantId?: string;
  maxBodyBytes?: number;
  logger?: ScrubbingLogger;
  now?: () => number;
}

interface VaultKeyVersion {
  readonly version: string;
  readonly kty: 'RSA' | 'RSA-HSM' | 'oct-HSM';
  readonly keyOps: string[];
  /** Private key (RSA) or the raw AES key (oct). */
  readonly material: KeyObject | Buffer;
  enabled: boolean;
  readonly created: number;
  updated: number;
  tags: Record<string, string>;
}

export interface AzureVault {
  /** The vault URL clients use (`https://127.0.0.1:PORT`). */
  readonly vaultUrl: string;
  readonly port: number;
  /** PEM certificate the client must trust. */
  readonly cert: string;
  readonly fingerprint256: string;
  readonly faults: Faults;
  /** Requests per operation. */
  readonly calls: Record<string, number>;
  close(): Promise<void>;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly inner?: string,
  ) {
    super(message);
  }
}

const b64u = (b: Buffer): string => b.toString('base64url');
const fromB64u = (s: unknown, field: string): Buffer => {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new VaultError(400, 'BadParameter', `${field} must be base64url`);
  return Buffer.from(s, 'base64url');
};

const WRAP_ALGS: Record<string, string[]> = { RSA: ['RSA-OAEP', 'RSA-OAEP-256'], 'RSA-HSM': ['RSA-OAEP', 'RSA-OAEP-256'], 'oct-HSM': ['A128KW', 'A192KW', 'A256KW'] };

function wrap(v: VaultKeyVersion, alg: string, data: Buffer): Buffer {
  if (!WRAP_ALGS[v.kty]!.includes(alg)) throw new VaultError(400, 'BadParameter', `Algorithm ${alg} is not supported for key type ${v.kty}`);
  if (v.kty === 'oct-HSM') return aesKw(true, v.material as Buffer, alg, data);
  return publicEncrypt({ key: createPublicKey(v.material as KeyObject), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1' }, data);
}

function unwrap(v: VaultKeyVersion, alg: string, data: Buffer): Buffer {
  if (!WRAP_ALGS[v.kty]!.includes(alg)) throw new VaultError(400, 'BadParameter', `Algorithm ${alg} is not supported for key type ${v.kty}`);
  try {
    if (v.kty === 'oct-HSM') return aesKw(false, v.material as Buffer, alg, data);
    return privateDecrypt({ key: v.material as KeyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1' }, data);
  } catch {
    throw new VaultError(400, 'BadParameter', 'The parameter is incorrect.');
  }
}

function aesKw(encrypt: boolean, key: Buffer, alg: string, data: Buffer): Buffer {
  const bits = Number(alg.slice(1, 4));
  if (key.length * 8 !== bits) throw new VaultError(400, 'BadParameter', `Algorithm ${alg} does not match the key size`);
  if (data.length % 8 !== 0 || data.length < 16) throw new VaultError(400, 'BadParameter', 'The parameter is incorrect.');
  const iv = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
  const c = encrypt ? createCipheriv(`id-aes${bits}-wrap`, key, iv) : createDecipheriv(`id-aes${bits}-wrap`, key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

export async function startAzureVault(opts: AzureVaultOptions = {}): Promise<AzureVault> {
  const host = opts.host ?? '127.0.0.1';
  // @req KMS-060
  if (host !== '127.0.0.1' && host !== '::1') throw new Error('the Key Vault endpoint listens on loopback only');
  const now = opts.now ?? Date.now;
  const tenant = opts.tenantId ?? '00000000-0000-0000-0000-000000000000';
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const keys = new Map<string, VaultKeyVersion[]>();
  const faults = new Faults();
  const calls: Record<string, number> = {};
  const tls = makeLoopbackTls();
  let vaultUrl = '';

  const seconds = (): number => Math.floor(now() / 1000);
  const kid = (name: string, v: VaultKeyVersion): string => `${vaultUrl}/keys/${name}/${v.version}`;
  const bundle = (name: string, v: VaultKeyVersion): unknown => {
    const jwk: Record<string, unknown> = { kid: kid(name, v), kty: v.kty, key_ops: v.keyOps };
    if (v.kty !== 'oct-HSM') {
      const pub = createPublicKey(v.material as KeyObject).export({ format: 'jwk' });
      jwk.n = pub.n;
      jwk.e = pub.e;
    }
    return { key: jwk, attributes: attributes(v), tags: v.tags };
  };
  const attributes = (v: VaultKeyVersion): unknown => ({ enabled: v.enabled, created: v.created, updated: v.updated, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90, exportable: false });

  const newVersion = (body: Record<string, unknown>, prev?: VaultKeyVersion): VaultKeyVersion => {
    const kty = (body.kty ?? prev?.kty) as VaultKeyVersion['kty'];
    if (kty !== 'RSA' && kty !== 'RSA-HSM' && kty !== 'oct-HSM') throw new VaultError(400, 'BadParameter', `Unsupported key type ${String(kty)} (RSA, RSA-HSM, oct-HSM)`);
    const size = (body.key_size as number | undefined) ?? (prev ? undefined : undefined);
    let material: KeyObject | Buffer;
    if (kty === 'oct-HSM') {
      const bits = size ?? (prev ? (prev.material as Buffer).length * 8 : 256);
      if (![128, 192, 256].includes(bits)) throw new VaultError(400, 'BadParameter', 'oct-HSM key_size must be 128, 192 or 256');
      material = randomBytes(bits / 8);
    } else {
      const bits = size ?? (prev ? (createPublicKey(prev.material as KeyObject).asymmetricKeyDetails?.modulusLength ?? 2048) : 2048);
      if (![2048, 3072, 4096].includes(bits)) throw new VaultError(400, 'BadParameter', 'RSA key_size must be 2048, 3072 or 4096');
      material = createPrivateKey(generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
    const keyOps = Array.isArray(body.key_ops) ? (body.key_ops as string[]) : (prev?.keyOps ?? ['wrapKey', 'unwrapKey', 'encrypt', 'decrypt']);
    const attrs = (body.attributes ?? {}) as { enabled?: boolean };
    const t = seconds();
    return { version: randomBytes(16).toString('hex'), kty, keyOps, material, enabled: attrs.enabled ?? true, created: t, updated: t, tags: (body.tags as Record<string, string> | undefined) ?? {} };
  };

  const versionsOf = (name: string): VaultKeyVersion[] => {
    const vs = keys.get(name);
    if (!vs) throw new VaultError(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault.`);
    return vs;
  };
  const findVersion = (name: string, version: string | undefined): VaultKeyVersion => {
    const vs = versionsOf(name);
    const v = version ? vs.find((x) => x.version === version) : vs[vs.length - 1];
    if (!v) throw new VaultError(404, 'KeyNotFound', `A key with (name/id) ${name}/${version} was not found in this key vault.`);
    return v;
  };

  /** Routes one request; returns [operation, status, body]. */
  const route = (method: string, parts: string[], body: Record<string, unknown>): [string, number, unknown] => {
    if (parts[0] !== 'keys' || !parts[1] || !/^[0-9a-zA-Z-]{1,127}$/.test(parts[1])) throw new VaultError(400, 'BadParameter', 'unknown path');
    const name = parts[1];
    const rest = parts.slice(2);
    if (method === 'POST' && rest.length === 1 && rest[0] === 'create') {
      const prev = keys.get(name);
      const v = newVersion(body);
      if (prev) prev.push(v);
      else keys.set(name, [v]);
      return ['createKey', 200, bundle(name, v)];
    }
    if (method === 'POST' && rest.length === 1 && rest[0] === 'rotate') {
      const vs = versionsOf(name);
      const v = newVersion({}, vs[vs.length - 1]);
      vs.push(v);
      return ['rotateKey', 200, bundle(name, v)];
    }
    if (method === 'GET' && rest.length === 1 && rest[0] === 'versions') {
      const value = versionsOf(name).map((v) => ({ kid: kid(name, v), attributes: attributes(v), tags: v.tags }));
      return ['getKeyVersions', 200, { value, nextLink: null }];
    }
    if (method === 'GET' && rest.length <= 1) return ['getKey', 200, bundle(name, findVersion(name, rest[0] || undefined))];
    if (method === 'PATCH' && rest.length <= 1) {
      const v = findVersion(name, rest[0] || undefined);
      const attrs = body.attributes as { enabled?: unknown } | undefined;
      if (attrs && attrs.enabled !== undefined) {
        if (typeof attrs.enabled !== 'boolean') throw new VaultError(400, 'BadParameter', 'attributes.enabled must be a boolean');
        v.enabled = attrs.enabled;
      }
      if (body.tags !== undefined) {
        if (typeof body.tags !== 'object' || body.tags === null || Object.values(body.tags).some((t) => typeof t !== 'string')) throw new VaultError(400, 'BadParameter', 'tags must map names to strings');
        v.tags = { ...(body.tags as Record<string, string>) };
      }
      v.updated = seconds();
      return ['updateKey', 200, bundle(name, v)];
    }
    if (method === 'POST' && rest.length === 2 && (rest[1] === 'wrapkey' || rest[1] === 'unwrapkey')) {
      const op = rest[1] === 'wrapkey' ? 'wrapKey' : 'unwrapKey';
      const v = findVersion(name, rest[0]);
      if (typeof body.alg !== 'string') throw new VaultError(400, 'BadParameter', 'alg is required');
      const value = fromB64u(body.value, 'value');
      if (!v.keyOps.includes(op)) throw new VaultError(403, 'Forbidden', `Operation ${op} is not permitted on this key.`, 'KeyOperationForbidden');
      // Key Vault still wraps under a disabled key (a public-key operation) but refuses to unwrap.
      if (op === 'unwrapKey' && !v.enabled) throw new VaultError(403, 'Forbidden', 'Operation unwrapKey is not allowed on a disabled key.', 'KeyDisabled');
      const out = op === 'wrapKey' ? wrap(v, body.alg, value) : unwrap(v, body.alg, value);
      return [op, 200, { kid: kid(name, v), value: b64u(out) }];
    }
    throw new VaultError(405, 'MethodNotAllowed', `${method} is not supported on this path`);
  };

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'x-ms-request-id': globalThis.crypto.randomUUID(), ...extra });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, meta: { op: string; key?: string; code?: string }): Promise<void> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBody) throw new VaultError(413, 'RequestTooLarge', 'request body too large');
      chunks.push(c as Buffer);
    }
    const url = new URL(req.url ?? '/', 'https://vault');
    if (!url.searchParams.get('api-version')) throw new VaultError(400, 'BadParameter', 'The api-version query parameter is required.');
    // @req KMS-061: challenge first, then a bearer token.
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token || (opts.token !== undefined && token !== opts.token)) {
      meta.op = 'challenge';
      calls.challenge = (calls.challenge ?? 0) + 1;
      const challenge = `Bearer authorization="https://login.microsoftonline.com/${tenant}", resource="https://vault.azure.net"`;
      send(res, 401, { error: { code: 'Unauthorized', message: token ? 'AKV10032: Invalid issuer.' : 'AKV10000: Request is missing a Bearer or PoP token.' } }, { 'www-authenticate': challenge });
      meta.code = 'Unauthorized';
      return;
    }
    let body: Record<string, unknown> = {};
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new VaultError(400, 'BadParameter', 'The request body is not valid JSON.');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new VaultError(400, 'BadParameter', 'The request body must be a JSON object.');
    }
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    // Operation name for faults and counters, before routing (so an injected fault needs no valid key).
    const op = opOf(req.method ?? 'GET', parts);
    meta.op = op;
    meta.key = parts[1];
    calls[op] = (calls[op] ?? 0) + 1;
    await faults.holdFor(op);
    const injected = faults.take(op);
    if (injected === 'throttle') throw new VaultError(429, 'Throttled', 'Request was not processed because too many requests were received.');
    if (injected === 'internal') throw new VaultError(500, 'InternalServerError', 'injected internal failure');
    const [, status, out] = route(req.method ?? 'GET', parts, body);
    send(res, status, out);
  };

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const started = performance.now();
    const meta: { op: string; key?: string; code?: string } = { op: 'unknown' };
    handle(req, res, meta)
      .catch((e: unknown) => {
        const err = e instanceof VaultError ? e : new VaultError(500, 'InternalServerError', 'internal error');
        meta.code = err.code;
        if (!res.headersSent) send(res, err.status, { error: { code: err.code, message: err.message, ...(err.inner ? { innererror: { code: err.inner } } : {}) } });
      })
      .finally(() =>
        logKmsRequest(opts.logger, res.statusCode, started, { op: meta.op, outcome: meta.code ?? 'ok', ...(meta.key ? { key: meta.key } : {}), frequent: meta.op === 'wrapKey' || meta.op === 'unwrapKey' }),
      );
  });
  const { port, hostPart } = await listenLoopback(server, host, opts.port);
  vaultUrl = `https://${hostPart}:${port}`;
  return {
    vaultUrl,
    port,
    cert: tls.cert,
    fingerprint256: tls.fingerprint256,
    faults,
    calls,
    async close() {
      faults.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function opOf(method: string, parts: string[]): string {
  const rest = parts.slice(2);
  if (method === 'POST' && rest[0] === 'create') return 'createKey';
  if (method === 'POST' && rest[0] === 'rotate') return 'rotateKey';
  if (method === 'POST' && rest[1] === 'wrapkey') return 'wrapKey';
  if (method === 'POST' && rest[1] === 'unwrapkey') return 'unwrapKey';
  if (method === 'GET' && rest[0] === 'versions') return 'getKeyVersions';
  if (method === 'GET') return 'getKey';
  if (method === 'PATCH') return 'updateKey';
  return 'unknown';
}
