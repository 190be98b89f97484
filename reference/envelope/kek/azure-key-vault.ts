/**
 * A KEK held by Azure Key Vault (or Managed HSM), through the real @azure/keyvault-keys SDK:
 * wrapKey/unwrapKey with RSA-OAEP-256 (RSA keys) or AES key wrap (A256KW, oct-HSM keys). The KEK
 * never leaves the vault; unwrapping happens there.
 *
 * Versions: Key Vault names versions by opaque ids. This provider numbers them 1, 2, ... and keeps
 * the number on the version itself as the tag `agentsec-kek-version`, so every process agrees
 * (versions created outside it, e.g. by a rotation policy, are numbered in creation order on first
 * sight). Rotation is the service's rotateKey; retirement disables the version (Key Vault then
 * refuses unwrapKey under it). Binding: neither RSA-OAEP nor AES key wrap takes associated data, so
 * the wrapped plaintext is the data key followed by SHA-256 of the KEK id, version and context
 * (kekBindingAad); unwrap checks it, so a changed version, KEK id or context fails (ENV-007).
 */
import type * as SdkModule from '@azure/keyvault-keys';
import type { CryptographyClient, KeyClient, KeyClientOptions } from '@azure/keyvault-keys';
import { Agent } from 'node:https';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, concatBytes, equalBytes, wipe } from '../../bytes.js';
import { AgentsecError } from '../../errors.js';
import { traced } from '../../observability/tracing.js';
import type { EncryptionContext } from '../format.js';
import { checkVersionArg, kekBindingAad, retiredError, systemClock, unwrapFailed, wrongKekError, type Clock, type KekProvider, type KekVersionInfo, type WrappedKey } from '../kek.js';
import { loadOptionalSdk } from './optional-sdk.js';

export const AZURE_VERSION_TAG = 'agentsec-kek-version';
export type AzureWrapAlgorithm = 'RSA-OAEP-256' | 'A256KW';

type Sdk = typeof SdkModule;
/**
 * The shape of @azure/core-auth's TokenCredential (DefaultAzureCredential and every @azure/identity
 * credential have it), declared here so the public types do not need the optional SDK installed.
 */
export interface AzureTokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}
type TokenCredential = AzureTokenCredential;
let sdkLoading: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  sdkLoading ??= loadOptionalSdk('@azure/keyvault-keys', () => import('@azure/keyvault-keys'), 'an Azure Key Vault KEK');
  sdkLoading.catch(() => (sdkLoading = undefined));
  return sdkLoading;
}

export interface AzureKeyVaultKekOptions {
  /** https://NAME.vault.azure.net (or a Managed HSM URL, or a wire-compatible endpoint). */
  readonly vaultUrl: string;
  readonly keyName: string;
  /** Any @azure/core-auth TokenCredential (e.g. DefaultAzureCredential from @azure/identity). */
  readonly credential: TokenCredential;
  /** RSA-OAEP-256 for RSA keys (default), A256KW for oct-HSM keys. */
  readonly algorithm?: AzureWrapAlgorithm;
  /** PEM CA to trust for the vault's TLS certificate (a private endpoint); default: the system's. */
  readonly ca?: string;
  /**
   * Skips the SDK's check that the challenge's resource domain matches the vault host. Needed
   * only for an endpoint addressed by IP (a loopback one); never for a real vault.
   */
  readonly disableChallengeResourceVerification?: boolean;
  /** SDK retries per call (throttling, 5xx); default 2. */
  readonly maxRetries?: number;
  readonly timeoutMs?: number;
  readonly graceMs?: number;
  readonly clock?: Clock;
  /** How long the current version is trusted before asking the vault again; default 60 s. */
  readonly refreshMs?: number;
}

interface VersionRec {
  readonly number: number;
  readonly id: string;
  readonly createdAt: number;
  enabled: boolean;
}

type RestErrorLike = { name?: string; code?: string; statusCode?: number; message?: string; details?: { error?: { innererror?: { code?: string }; innerError?: { code?: string } } } };

function innerCode(e: unknown): string | undefined {
  const d = (e as RestErrorLike)?.details?.error;
  return d?.innererror?.code ?? d?.innerError?.code;
}

/** Key Vault errors as AgentsecErrors (ENV-018), never a silent wrong result. */
export function mapAzureError(op: string, e: unknown): AgentsecError {
  if (e instanceof AgentsecError) return e;
  const x = e as RestErrorLike;
  const code = x?.code ?? x?.name ?? 'Error';
  // @req ENV-063
  if (x?.statusCode === 404 || x?.statusCode === 403 || x?.statusCode === 401) return new AgentsecError('state_failure', `KMS_${code}`, `Key Vault ${op} refused: ${code}${innerCode(e) ? ` (${innerCode(e)})` : ''}`);
  return new AgentsecError('internal', 'KMS_UNAVAILABLE', `Key Vault ${op} failed: ${code}${x?.statusCode ? ` (HTTP ${x.statusCode})` : ''}`);
}

export class AzureKeyVaultKek implements KekProvider {
  readonly kind = 'azure';
  readonly kekId: string;
  private readonly graceMs: number;
  private readonly clock: Clock;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private versionsById = new Map<string, VersionRec>();
  private byNumber = new Map<number, VersionRec>();
  private current = 0;
  private lastSync = -Infinity;
  private readonly crypto = new Map<string, CryptographyClient>();

  private constructor(
    private readonly sdk: Sdk,
    private readonly client: KeyClient,
    private readonly clientOptions: KeyClientOptions,
    private readonly credential: TokenCredential,
    private readonly keyName: string,
    private readonly algorithm: AzureWrapAlgorithm,
    o: AzureKeyVaultKekOptions,
  ) {
    this.kekId = `${o.vaultUrl.replace(/\/+$/, '')}/keys/${keyName}`;
    this.graceMs = o.graceMs ?? 30 * 24 * 3600 * 1000;
    this.clock = o.clock ?? systemClock;
    this.refreshMs = o.refreshMs ?? 60_000;
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  static async connect(o: AzureKeyVaultKekOptions): Promise<AzureKeyVaultKek> {
    if (typeof o.vaultUrl !== 'string' || !/^https:\/\//.test(o.vaultUrl)) throw new AgentsecError('decode_failure', 'BAD_VAULT_URL', 'Azure Key Vault URL must be an https:// URL');
    if (typeof o.keyName !== 'string' || !/^[0-9a-zA-Z-]{1,127}$/.test(o.keyName)) throw new AgentsecError('decode_failure', 'BAD_KEY_ID', 'Azure Key Vault key name must be 1..127 letters, digits or dashes');
    const algorithm = o.algorithm ?? 'RSA-OAEP-256';
    if (algorithm !== 'RSA-OAEP-256' && algorithm !== 'A256KW') throw new AgentsecError('decode_failure', 'BAD_ALGORITHM', `Azure wrap algorithm must be RSA-OAEP-256 or A256KW, got "${String(algorithm)}"`);
    if (!o.credential || typeof o.credential.getToken !== 'function') throw new AgentsecError('decode_failure', 'BAD_CREDENTIAL', 'an Azure TokenCredential is required');
    const sdk = await loadSdk();
    const clientOptions: KeyClientOptions = {
      retryOptions: { maxRetries: o.maxRetries ?? 2, retryDelayInMs: 100, maxRetryDelayInMs: 2000 },
      ...(o.ca ? { agent: new Agent({ ca: o.ca, keepAlive: true }) } : {}),
      ...(o.disableChallengeResourceVerification ? { disableChallengeResourceVerification: true } : {}),
    };
    const client = new sdk.KeyClient(o.vaultUrl, o.credential, clientOptions);
    const kek = new AzureKeyVaultKek(sdk, client, clientOptions, o.credential, o.keyName, algorithm, o);
    await kek.sync();
    return kek;
  }

  private call<T>(op: string, f: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    // @req OBS-025: one client span per Key Vault operation, no request content.
    return traced(`agentsec.kms.${op}`, { 'rpc.system': 'azure-keyvault', 'rpc.service': 'KeyVault', 'rpc.method': op }, async () => {
      try {
        return await f(AbortSignal.timeout(this.timeoutMs));
      } catch (e) {
        throw mapAzureError(op, e);
      }
    });
  }

  /** Reads the version list; numbers new versions (tagging them) in creation order. */
  // @req ENV-060
  private async sync(): Promise<void> {
    const props = await this.call('getKeyVersions', async (abortSignal) => {
      const out: SdkModule.KeyProperties[] = [];
      for await (const p of this.client.listPropertiesOfKeyVersions(this.keyName, { abortSignal })) out.push(p);
      return out;
    });
    if (props.length === 0) throw new AgentsecError('state_failure', 'KMS_NO_VERSIONS', `Key Vault key "${this.keyName}" has no versions`);
    const seen = new Map<string, VersionRec>();
    const untagged: SdkModule.KeyProperties[] = [];
    let max = 0;
    for (const p of props) {
      const n = Number(p.tags?.[AZURE_VERSION_TAG]);
      if (p.version && Number.isSafeInteger(n) && n >= 1) {
        seen.set(p.version, { number: n, id: p.version, createdAt: p.createdOn?.getTime() ?? 0, enabled: p.enabled !== false });
        max = Math.max(max, n);
      } else if (p.version) untagged.push(p);
    }
    untagged.sort((a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0) || a.version!.localeCompare(b.version!));
    for (const p of untagged) {
      const rec = { number: ++max, id: p.version!, createdAt: p.createdOn?.getTime() ?? 0, enabled: p.enabled !== false };
      await this.tag(rec, p.tags ?? {});
      seen.set(rec.id, rec);
    }
    this.versionsById = seen;
    this.byNumber = new Map([...seen.values()].map((r) => [r.number, r]));
    this.current = max;
    this.lastSync = this.clock();
  }

  private async tag(rec: VersionRec, tags: Record<string, string>): Promise<void> {
    await this.call('updateKey', (abortSignal) => this.client.updateKeyProperties(this.keyName, rec.id, { tags: { ...tags, [AZURE_VERSION_TAG]: String(rec.number) }, abortSignal }));
  }

  private cryptoFor(rec: VersionRec): CryptographyClient {
    let c = this.crypto.get(rec.id);
    if (!c) {
      c = new this.sdk.CryptographyClient(`${this.kekId}/${rec.id}`, this.credential, this.clientOptions);
      this.crypto.set(rec.id, c);
    }
    return c;
  }

  private bindingDigest(version: number, context: EncryptionContext): Uint8Array {
    // @req ENV-007 ENV-061
    return sha256(kekBindingAad(this.kekId, version, context));
  }

  async wrap(dek: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    abytes(dek, 'dek', 32);
    const v = await this.currentVersion();
    const rec = this.byNumber.get(v)!;
    const plain = concatBytes(dek, this.bindingDigest(v, context));
    try {
      const out = await this.call('wrapKey', (abortSignal) => this.cryptoFor(rec).wrapKey(this.algorithm, plain, { abortSignal }));
      if (!out.result || out.result.length === 0) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', 'Key Vault wrapKey returned no result');
      return { wrapped: new Uint8Array(out.result), kekId: this.kekId, kekVersion: v };
    } finally {
      wipe(plain);
    }
  }

  private async usable(key: WrappedKey): Promise<VersionRec> {
    if (key.kekId !== this.kekId) throw wrongKekError(this.kekId, key.kekId);
    let rec = this.byNumber.get(key.kekVersion);
    if (!rec && key.kekVersion > this.current) {
      await this.sync();
      rec = this.byNumber.get(key.kekVersion);
    }
    if (!rec) throw unwrapFailed();
    if (!rec.enabled) throw retiredError(this.kekId, rec.number);
    return rec;
  }

  async unwrap(key: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    const rec = await this.usable(key);
    let out: Uint8Array;
    try {
      out = (await this.call('unwrapKey', (abortSignal) => this.cryptoFor(rec).unwrapKey(this.algorithm, new Uint8Array(key.wrapped), { abortSignal }))).result;
    } catch (e) {
      const x = e as AgentsecError;
      if (x.reason === 'KMS_Forbidden' && /KeyDisabled/.test(x.message)) {
        rec.enabled = false;
        throw retiredError(this.kekId, rec.number);
      }
      // A ciphertext that does not decrypt under this version is an authentication failure.
      if (x.kind === 'internal' && /BadParameter/.test(x.message)) throw unwrapFailed();
      throw e;
    }
    const expected = this.bindingDigest(key.kekVersion, context);
    const ok = out.length === 64 && equalBytes(out.subarray(32), expected);
    // A copy (Buffer#slice would share memory with `out`, which is wiped next).
    const dek = ok ? new Uint8Array(out.subarray(0, 32)) : undefined;
    wipe(out);
    if (!dek) throw unwrapFailed();
    return dek;
  }

  async rotate(): Promise<number> {
    const k = await this.call('rotateKey', (abortSignal) => this.client.rotateKey(this.keyName, { abortSignal }));
    await this.sync();
    const rec = k.properties.version ? this.versionsById.get(k.properties.version) : undefined;
    if (!rec) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', 'Key Vault rotateKey returned no new version');
    return rec.number;
  }

  async currentVersion(): Promise<number> {
    if (this.clock() - this.lastSync >= this.refreshMs) await this.sync();
    return this.current;
  }

  async versions(): Promise<KekVersionInfo[]> {
    const recs = [...this.byNumber.values()].sort((a, b) => a.number - b.number);
    return recs.map((r, i) => {
      const next = recs[i + 1];
      const sup = next ? Math.max(next.createdAt, r.createdAt) : undefined;
      return {
        version: r.number,
        state: !r.enabled ? 'retired' : r.number === this.current ? 'current' : 'previous',
        createdAt: r.createdAt,
        ...(sup !== undefined ? { supersededAt: sup, graceEndsAt: sup + this.graceMs } : {}),
      };
    });
  }

  /** Disables the version in the vault: from then on Key Vault refuses to unwrap under it. */
  async retire(version: number): Promise<void> {
    checkVersionArg(version);
    const rec = this.byNumber.get(version);
    if (!rec) throw new AgentsecError('state_failure', 'UNKNOWN_KEK_VERSION', `KEK "${this.kekId}" has no version ${version}`);
    // @req ENV-025
    if (version === this.current) throw new AgentsecError('policy_reject', 'RETIRE_CURRENT', `KEK "${this.kekId}" version ${version} is current and cannot be retired`);
    // @req ENV-064
    await this.call('updateKey', (abortSignal) => this.client.updateKeyProperties(this.keyName, rec.id, { enabled: false, abortSignal }));
    rec.enabled = false;
  }

  toJSON(): unknown {
    return { kind: this.kind, kekId: this.kekId, versions: this.current };
  }

  /** The SDK clients hold a credential: never print them. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AzureKeyVaultKek(${this.kekId}, ${this.current} versions)`;
  }
}
