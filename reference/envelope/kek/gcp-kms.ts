/**
 * A KEK held by GCP Cloud KMS (a symmetric ENCRYPT_DECRYPT crypto key), through the real
 * @google-cloud/kms SDK over its HTTP/1.1 JSON transport (`fallback: true`). The data key goes to
 * KMS only (encrypt, decrypt); the key material never leaves it.
 *
 * Versions are Cloud KMS's own numbered CryptoKeyVersions: the envelope's KEK version is that
 * number, the primary is current, rotation creates a version and makes it primary, retirement
 * disables the version (KMS then refuses to decrypt under it). Binding: encrypt names the version
 * and authenticates kekBindingAad (KEK id, version, context) as additional authenticated data, so a
 * changed version, KEK id or context fails in KMS (ENV-007). Every request and response carries the
 * CRC32C integrity fields the API defines, and both sides check them.
 */
import type * as SdkModule from '@google-cloud/kms';
import { abytes, wipe } from '../../bytes.js';
import { AgentsecError } from '../../errors.js';
import { traced } from '../../observability/tracing.js';
import type { EncryptionContext } from '../format.js';
import { checkVersionArg, kekBindingAad, retiredError, systemClock, unwrapFailed, wrongKekError, type Clock, type KekProvider, type KekVersionInfo, type WrappedKey } from '../kek.js';
import { crc32c } from './crc32c.js';
import { loadOptionalSdk } from './optional-sdk.js';

type Sdk = typeof SdkModule;
type Client = InstanceType<Sdk['KeyManagementServiceClient']>;
let sdkLoading: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  sdkLoading ??= loadOptionalSdk(
    '@google-cloud/kms',
    async () => {
      const m = (await import('@google-cloud/kms')) as Sdk & { default?: Sdk };
      return m.KeyManagementServiceClient ? m : m.default!;
    },
    'a GCP Cloud KMS KEK',
  );
  sdkLoading.catch(() => (sdkLoading = undefined));
  return sdkLoading;
}

export interface GcpKmsKekOptions {
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  readonly keyName: string;
  /** Host of the API (default cloudkms.googleapis.com) and its port, for a private or local endpoint. */
  readonly apiEndpoint?: string;
  readonly port?: number;
  /** 'https' (default) or 'http' (a loopback endpoint only). */
  readonly protocol?: 'https' | 'http';
  /** A google-auth-library AuthClient; default: Application Default Credentials. */
  readonly authClient?: unknown;
  /** A static OAuth 2 access token instead (wrapped in an OAuth2Client). */
  readonly accessToken?: string;
  readonly timeoutMs?: number;
  readonly graceMs?: number;
  readonly clock?: Clock;
  /** How long the primary version is trusted before asking KMS again; default 60 s. */
  readonly refreshMs?: number;
}

const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[a-zA-Z0-9_-]{1,63}\/cryptoKeys\/[a-zA-Z0-9_-]{1,63}$/;
/** CryptoKeyVersionState numbers (the REST transport asks for numeric enums). */
const ENABLED = 1;
const STATE_NAMES: Record<string, number> = { ENABLED: 1, DISABLED: 2, DESTROYED: 3, DESTROY_SCHEDULED: 4 };

type GoogleErrorLike = { code?: number; message?: string; details?: string };
const GRPC_NAMES: Record<number, string> = { 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

/** Cloud KMS errors as AgentsecErrors (ENV-018), never a silent wrong result. */
export function mapGcpError(op: string, e: unknown): AgentsecError {
  if (e instanceof AgentsecError) return e;
  const name = statusOf(e);
  // @req ENV-063
  if (name === 'NOT_FOUND' || name === 'PERMISSION_DENIED' || name === 'UNAUTHENTICATED' || name === 'FAILED_PRECONDITION') return new AgentsecError('state_failure', `KMS_${name}`, `Cloud KMS ${op} refused: ${name}`);
  return new AgentsecError('internal', 'KMS_UNAVAILABLE', `Cloud KMS ${op} failed: ${name}`);
}

/**
 * The canonical status name of an SDK error: a GoogleError carries the gRPC code; over the REST
 * transport a GaxiosError carries the HTTP status and the service's JSON error, whose `status` names it.
 */
function statusOf(e: unknown): string {
  const x = e as GoogleErrorLike & { status?: number | string };
  if (typeof x?.message === 'string' && x.message.startsWith('{')) {
    try {
      const s = (JSON.parse(x.message) as { error?: { status?: unknown } }).error?.status;
      if (typeof s === 'string' && /^[A-Z_]{1,40}$/.test(s)) return s;
    } catch {
      // not the service's JSON error: fall through
    }
  }
  if (typeof x?.code === 'number' && x.code < 100) return GRPC_NAMES[x.code] ?? 'UNKNOWN';
  const http = typeof x?.code === 'number' ? x.code : typeof x?.status === 'number' ? x.status : 0;
  return HTTP_NAMES[http] ?? 'UNKNOWN';
}
const HTTP_NAMES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

const stateNum = (s: unknown): number => (typeof s === 'number' ? s : (STATE_NAMES[String(s)] ?? 0));
const versionNum = (name: unknown): number => {
  const m = typeof name === 'string' ? /\/cryptoKeyVersions\/(\d+)$/.exec(name) : null;
  return m ? Number(m[1]) : 0;
};
const millis = (t: unknown): number => {
  const x = t as { seconds?: number | string | { toString(): string }; nanos?: number } | null | undefined;
  return x?.seconds !== undefined ? Number(String(x.seconds)) * 1000 + Math.floor((x.nanos ?? 0) / 1e6) : 0;
};
/** An Int64Value as the SDK returns it: `{ value }` holding a number, string or Long. */
const int64 = (v: unknown): number | undefined => {
  const inner = v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
  return inner === undefined || inner === null ? undefined : Number(String(inner));
};
/**
 * A copy in its own buffer: the SDK's byte fields are encoded from the whole underlying buffer, so a
 * view into a larger one (an envelope being read, a pooled random draw) would send the wrong bytes.
 */
const own = (b: Uint8Array): Uint8Array => new Uint8Array(b);
const integrityError = (op: string): AgentsecError => new AgentsecError('internal', 'KMS_INTEGRITY', `Cloud KMS ${op} response failed its CRC32C integrity check`);

interface VersionRec {
  readonly number: number;
  state: number;
  readonly createdAt: number;
}

export class GcpKmsKek implements KekProvider {
  readonly kind = 'gcp';
  readonly kekId: string;
  private readonly graceMs: number;
  private readonly clock: Clock;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private recs = new Map<number, VersionRec>();
  private primary = 0;
  private lastSync = -Infinity;

  private constructor(
    private readonly client: Client,
    o: GcpKmsKekOptions,
  ) {
    this.kekId = o.keyName;
    this.graceMs = o.graceMs ?? 30 * 24 * 3600 * 1000;
    this.clock = o.clock ?? systemClock;
    this.refreshMs = o.refreshMs ?? 60_000;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  static async connect(o: GcpKmsKekOptions): Promise<GcpKmsKek> {
    if (typeof o.keyName !== 'string' || !KEY_NAME.test(o.keyName)) throw new AgentsecError('decode_failure', 'BAD_KEY_ID', 'Cloud KMS key name must be projects/P/locations/L/keyRings/R/cryptoKeys/K');
    if (o.protocol !== undefined && o.protocol !== 'https' && o.protocol !== 'http') throw new AgentsecError('decode_failure', 'BAD_PROTOCOL', 'Cloud KMS protocol must be https or http');
    const sdk = await loadSdk();
    let authClient = o.authClient;
    if (!authClient && o.accessToken !== undefined) {
      if (typeof o.accessToken !== 'string' || o.accessToken.length === 0) throw new AgentsecError('decode_failure', 'BAD_CREDENTIAL', 'Cloud KMS access token must be a non-empty string');
      const { OAuth2Client } = await loadOptionalSdk('google-auth-library', () => import('google-auth-library'), 'a GCP Cloud KMS KEK with an access token');
      const c = new OAuth2Client();
      c.setCredentials({ access_token: o.accessToken, expiry_date: Number.MAX_SAFE_INTEGER });
      authClient = c;
    }
    const client = new sdk.KeyManagementServiceClient({
      fallback: true,
      ...(o.apiEndpoint ? { apiEndpoint: o.apiEndpoint } : {}),
      ...(o.port ? { port: o.port } : {}),
      ...(o.protocol ? { protocol: o.protocol } : {}),
      ...(authClient ? { authClient } : {}),
    } as ConstructorParameters<Sdk['KeyManagementServiceClient']>[0]);
    const kek = new GcpKmsKek(client, o);
    await kek.sync();
    return kek;
  }

  private call<T>(op: string, f: (timeout: number) => Promise<T>): Promise<T> {
    // @req OBS-025: one client span per Cloud KMS operation, no request content.
    return traced(`agentsec.kms.${op}`, { 'rpc.system': 'gcp-kms', 'rpc.service': 'google.cloud.kms.v1.KeyManagementService', 'rpc.method': op }, async () => {
      try {
        return await f(this.timeoutMs);
      } catch (e) {
        throw mapGcpError(op, e);
      }
    });
  }

  /** Reads the primary and every version. */
  private async sync(): Promise<void> {
    const [key] = await this.call('GetCryptoKey', (timeout) => this.client.getCryptoKey({ name: this.kekId }, { timeout, retry: null }));
    const primary = versionNum(key.primary?.name);
    if (!primary) throw new AgentsecError('state_failure', 'KMS_NO_PRIMARY', `Cloud KMS key "${this.kekId}" has no primary version (is it an ENCRYPT_DECRYPT key?)`);
    const [list] = await this.call('ListCryptoKeyVersions', (timeout) => this.client.listCryptoKeyVersions({ parent: this.kekId }, { timeout, autoPaginate: true }));
    const recs = new Map<number, VersionRec>();
    for (const v of list) {
      const n = versionNum(v.name);
      if (n) recs.set(n, { number: n, state: stateNum(v.state), createdAt: millis(v.createTime) });
    }
    this.recs = recs;
    this.primary = primary;
    this.lastSync = this.clock();
  }

  private versionName(n: number): string {
    return `${this.kekId}/cryptoKeyVersions/${n}`;
  }

  async wrap(dek: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    abytes(dek, 'dek', 32);
    const v = await this.currentVersion();
    // @req ENV-007 ENV-061
    const aad = own(kekBindingAad(this.kekId, v, context));
    const plaintext = own(dek);
    let out: SdkModule.protos.google.cloud.kms.v1.IEncryptResponse;
    try {
      [out] = await this.call('Encrypt', (timeout) =>
        this.client.encrypt(
          { name: this.versionName(v), plaintext, additionalAuthenticatedData: aad, plaintextCrc32c: { value: crc32c(plaintext) }, additionalAuthenticatedDataCrc32c: { value: crc32c(aad) } },
          { timeout },
        ),
      );
    } finally {
      wipe(plaintext);
    }
    const ct = out.ciphertext ? new Uint8Array(out.ciphertext as Uint8Array) : undefined;
    // @req ENV-065: the service confirms it checked both request checksums, and the ciphertext's own matches.
    if (!ct || !out.verifiedPlaintextCrc32c || !out.verifiedAdditionalAuthenticatedDataCrc32c || int64(out.ciphertextCrc32c) !== crc32c(ct)) throw integrityError('Encrypt');
    if (versionNum(out.name) !== v) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', `Cloud KMS encrypted under ${String(out.name)}, not version ${v}`);
    return { wrapped: ct, kekId: this.kekId, kekVersion: v };
  }

  async unwrap(key: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    if (key.kekId !== this.kekId) throw wrongKekError(this.kekId, key.kekId);
    const known = this.recs.get(key.kekVersion);
    if (known && known.state !== ENABLED) throw retiredError(this.kekId, key.kekVersion);
    const aad = own(kekBindingAad(this.kekId, key.kekVersion, context));
    const ciphertext = own(key.wrapped);
    let out: SdkModule.protos.google.cloud.kms.v1.IDecryptResponse;
    try {
      [out] = await this.call('Decrypt', (timeout) =>
        this.client.decrypt(
          { name: this.kekId, ciphertext, additionalAuthenticatedData: aad, ciphertextCrc32c: { value: crc32c(ciphertext) }, additionalAuthenticatedDataCrc32c: { value: crc32c(aad) } },
          { timeout },
        ),
      );
    } catch (e) {
      const x = e as AgentsecError;
      // The version is bound into the AAD, so a refusal for a version's state concerns key.kekVersion.
      if (x.reason === 'KMS_FAILED_PRECONDITION') {
        if (known) known.state = 0;
        throw retiredError(this.kekId, key.kekVersion);
      }
      // A ciphertext or AAD that does not decrypt is an authentication failure.
      if (/INVALID_ARGUMENT/.test(x.message)) throw unwrapFailed();
      throw e;
    }
    const pt = out.plaintext ? new Uint8Array(out.plaintext as Uint8Array) : new Uint8Array(0);
    if (int64(out.plaintextCrc32c) !== crc32c(pt)) {
      wipe(pt);
      throw integrityError('Decrypt');
    }
    if (pt.length !== 32) {
      wipe(pt);
      throw unwrapFailed();
    }
    return pt;
  }

  async rotate(): Promise<number> {
    // @req ENV-064
    const [created] = await this.call('CreateCryptoKeyVersion', (timeout) => this.client.createCryptoKeyVersion({ parent: this.kekId, cryptoKeyVersion: {} }, { timeout, retry: null }));
    const n = versionNum(created.name);
    if (!n) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', 'Cloud KMS CreateCryptoKeyVersion returned no version');
    await this.call('UpdateCryptoKeyPrimaryVersion', (timeout) => this.client.updateCryptoKeyPrimaryVersion({ name: this.kekId, cryptoKeyVersionId: String(n) }, { timeout }));
    await this.sync();
    return this.primary;
  }

  async currentVersion(): Promise<number> {
    if (this.clock() - this.lastSync >= this.refreshMs) await this.sync();
    return this.primary;
  }

  async versions(): Promise<KekVersionInfo[]> {
    // Versions made after the primary (not yet promoted) are not part of the ring.
    const recs = [...this.recs.values()].filter((r) => r.number <= this.primary).sort((a, b) => a.number - b.number);
    return recs.map((r, i) => {
      const next = recs[i + 1];
      const sup = next ? Math.max(next.createdAt, r.createdAt) : undefined;
      return {
        version: r.number,
        state: r.state !== ENABLED ? 'retired' : r.number === this.primary ? 'current' : 'previous',
        createdAt: r.createdAt,
        ...(sup !== undefined ? { supersededAt: sup, graceEndsAt: sup + this.graceMs } : {}),
      };
    });
  }

  /** Disables the version in Cloud KMS: from then on it refuses to decrypt under it. */
  async retire(version: number): Promise<void> {
    checkVersionArg(version);
    const rec = this.recs.get(version);
    if (!rec || version > this.primary) throw new AgentsecError('state_failure', 'UNKNOWN_KEK_VERSION', `KEK "${this.kekId}" has no version ${version}`);
    // @req ENV-025
    if (version === this.primary) throw new AgentsecError('policy_reject', 'RETIRE_CURRENT', `KEK "${this.kekId}" version ${version} is current and cannot be retired`);
    if (rec.state !== ENABLED) return;
    await this.call('UpdateCryptoKeyVersion', (timeout) =>
      this.client.updateCryptoKeyVersion({ cryptoKeyVersion: { name: this.versionName(version), state: 'DISABLED' }, updateMask: { paths: ['state'] } }, { timeout, retry: null }),
    );
    rec.state = STATE_NAMES.DISABLED!;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  toJSON(): unknown {
    return { kind: this.kind, kekId: this.kekId, versions: this.primary };
  }

  /** The SDK client holds credentials: never print it. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `GcpKmsKek(${this.kekId}, primary ${this.primary})`;
  }
}
