/**
 * A KEK held by AWS KMS (or any endpoint speaking its wire protocol), through the real
 * @aws-sdk/client-kms. The data key goes to KMS only (Encrypt, Decrypt, ReEncrypt); the KEK never
 * leaves it.
 *
 * Versions: AWS hides which key material a ciphertext uses, so this provider numbers versions itself
 * -- 1 for the first key material, +1 per completed rotation, read from ListKeyRotations (or, where
 * the endpoint lacks it, from DescribeKey's CurrentKeyMaterialId and its own rotations) -- and binds
 * the number into the EncryptionContext, so the envelope's version field is authenticated by KMS.
 * AWS keeps old key material forever; retirement is therefore this provider's policy, enforced on
 * that authenticated number.
 */
import type * as SdkModule from '@aws-sdk/client-kms';
import type { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../atomic-file.js';
import { abytes } from '../../bytes.js';
import { withFileLock } from '../../file-lock.js';
import { AgentsecError } from '../../errors.js';
import { traced } from '../../observability/tracing.js';
import type { EncryptionContext } from '../format.js';
import { checkVersionArg, retiredError, systemClock, unwrapFailed, wrongKekError, type Clock, type KekProvider, type KekVersionInfo, type WrappedKey } from '../kek.js';


export const VERSION_CONTEXT_KEY = 'agentsec:kek-version';

type Sdk = typeof SdkModule;
let sdkLoading: Promise<Sdk> | undefined;
/** The SDK is loaded on first use: everything else that imports the reference starts without it. */
function loadSdk(): Promise<Sdk> {
  sdkLoading ??= import('@aws-sdk/client-kms');
  return sdkLoading;
}

export interface AwsKmsKekState {
  /** Key material ids, oldest first (index + 1 = version); synthetic ids where the endpoint reports none. */
  materials: string[];
  createdAt: number[];
  supersededAt: (number | null)[];
  retired: number[];
}

export interface AwsKmsKekOptions {
  /** Key id, key ARN, alias name or alias ARN. */
  readonly keyId: string;
  /** A ready client; or the fields below to build one. */
  readonly client?: KMSClient;
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: KMSClientConfig['credentials'];
  /** SDK attempts per call (the SDK retries throttling and limits); default 3. */
  readonly maxAttempts?: number;
  /** Deadline of one KMS call in ms, retries included; default 10 s. */
  readonly timeoutMs?: number;
  readonly graceMs?: number;
  readonly clock?: Clock;
  /** How long the current version number is trusted before asking KMS again; default 60 s. */
  readonly refreshMs?: number;
  /** Version bookkeeping saved by `exportState()`. */
  readonly state?: AwsKmsKekState;
  /**
   * A file holding the version bookkeeping (mode 0600, written atomically, under a lock shared by
   * every process using it): retirements and grace periods survive restarts and crashes.
   */
  readonly statePath?: string;
}

const STATE_FORMAT = 'agentsec-aws-kek-state';

function cloneState(st: AwsKmsKekState): AwsKmsKekState {
  return { materials: [...st.materials], createdAt: [...st.createdAt], supersededAt: [...st.supersededAt], retired: [...st.retired] };
}

function readStateFile(path: string, kekId: string): AwsKmsKekState | undefined {
  if (!existsSync(path)) return undefined;
  const bad = (why: string): AgentsecError => new AgentsecError('decode_failure', 'BAD_KEK_STATE_FILE', `AWS KMS KEK state file: ${why}`);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw bad('not JSON');
  }
  if (o?.format !== STATE_FORMAT || o.version !== 1) throw bad('unknown format or version');
  if (o.kekId !== kekId) throw wrongKekError(kekId, String(o.kekId));
  const st = o.state as Partial<AwsKmsKekState> | undefined;
  const n = st?.materials?.length ?? -1;
  const ok =
    Array.isArray(st?.materials) &&
    st.materials.every((x) => typeof x === 'string') &&
    Array.isArray(st.createdAt) &&
    st.createdAt.length === n &&
    st.createdAt.every((x) => typeof x === 'number') &&
    Array.isArray(st.supersededAt) &&
    st.supersededAt.length === n &&
    st.supersededAt.every((x) => x === null || typeof x === 'number') &&
    Array.isArray(st.retired) &&
    st.retired.every((x) => Number.isSafeInteger(x) && x >= 1 && x < n);
  if (!ok) throw bad('malformed version bookkeeping');
  return cloneState(st as AwsKmsKekState);
}

type KmsErrorLike = { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

/** KMS errors as AgentsecErrors (ENV-018); never a silent wrong result. */
export function mapKmsError(op: string, e: unknown): AgentsecError {
  if (e instanceof AgentsecError) return e;
  const name = (e as KmsErrorLike)?.name ?? 'Error';
  // @req ENV-018
  switch (name) {
    case 'InvalidCiphertextException':
    case 'IncorrectKeyException':
      return unwrapFailed();
    case 'DisabledException':
    case 'KMSInvalidStateException':
    case 'NotFoundException':
    case 'KeyUnavailableException':
    case 'InvalidKeyUsageException':
      return new AgentsecError('state_failure', `KMS_${name}`, `KMS ${op} refused: ${name}`);
    default:
      return new AgentsecError('internal', 'KMS_UNAVAILABLE', `KMS ${op} failed: ${name}`);
  }
}

/** Grace starts when this provider first sees a newer material (never earlier than the real rotation). */
function addMaterialTo(st: AwsKmsKekState, id: string, now: number): void {
  if (st.materials.includes(id)) return;
  const last = st.materials.length - 1;
  if (last >= 0 && st.supersededAt[last] === null) st.supersededAt[last] = now;
  st.materials.push(id);
  st.createdAt.push(now);
  st.supersededAt.push(null);
}

function notImplemented(e: unknown): boolean {
  const x = e as KmsErrorLike;
  return x?.$metadata?.httpStatusCode === 501 || x?.name === 'UnsupportedOperationException' || x?.name === 'UnknownOperationException' || x?.name === 'InternalFailure';
}

export class AwsKmsKek implements KekProvider {
  readonly kind = 'aws';
  readonly kekId: string;
  private readonly client: KMSClient;
  private readonly st: AwsKmsKekState;
  private readonly graceMs: number;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly refreshMs: number;
  private lastSync = -Infinity;
  private listRotations = true;
  private readonly statePath: string | undefined;

  private constructor(
    private readonly sdk: Sdk,
    kekId: string,
    client: KMSClient,
    st: AwsKmsKekState,
    o: AwsKmsKekOptions,
  ) {
    this.kekId = kekId;
    this.client = client;
    this.st = st;
    this.graceMs = o.graceMs ?? 30 * 24 * 3600 * 1000;
    this.clock = o.clock ?? systemClock;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.refreshMs = o.refreshMs ?? 60_000;
    this.statePath = o.statePath;
  }

  /** Resolves the key (the envelope stores its ARN, stable when aliases move) and reads its versions. */
  static async connect(o: AwsKmsKekOptions): Promise<AwsKmsKek> {
    if (typeof o.keyId !== 'string' || o.keyId.length === 0) throw new AgentsecError('decode_failure', 'BAD_KEY_ID', 'AWS KMS key id is required');
    const sdk = await loadSdk();
    const client =
      o.client ??
      new sdk.KMSClient({
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        region: o.region ?? 'us-east-1',
        ...(o.credentials ? { credentials: o.credentials } : {}),
        maxAttempts: o.maxAttempts ?? 3,
      });
    const timeoutMs = o.timeoutMs ?? 10_000;
    let arn: string | undefined;
    try {
      const d = await client.send(new sdk.DescribeKeyCommand({ KeyId: o.keyId }), { abortSignal: AbortSignal.timeout(timeoutMs) });
      arn = d.KeyMetadata?.Arn;
    } catch (e) {
      throw mapKmsError('DescribeKey', e);
    }
    if (!arn) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', 'KMS DescribeKey returned no key ARN');
    if (o.state && o.statePath) throw new AgentsecError('decode_failure', 'BAD_KEK_OPTIONS', 'give the AWS KMS KEK either its state or a state file, not both');
    const st: AwsKmsKekState = o.state ? cloneState(o.state) : ((o.statePath ? readStateFile(o.statePath, arn) : undefined) ?? { materials: [], createdAt: [], supersededAt: [], retired: [] });
    const kek = new AwsKmsKek(sdk, arn, client, st, o);
    await kek.sync();
    return kek;
  }

  exportState(): AwsKmsKekState {
    return cloneState(this.st);
  }

  /**
   * Applies `change` to a copy of the bookkeeping and makes it current only once it is written: a
   * failed write leaves the object as it was, a crash leaves the file as it was (ENV-049). With a
   * state file the change runs under its lock on the file's latest contents, so several processes
   * lose none of each other's retirements.
   */
  // @req ENV-049
  private async commit<T>(change: (next: AwsKmsKekState) => T): Promise<T> {
    const path = this.statePath;
    const apply = (): T => {
      const base = path ? (readStateFile(path, this.kekId) ?? this.st) : this.st;
      const next = cloneState(base);
      // Materials this object saw that the file does not have yet (or the other way round) are merged, oldest first.
      for (let i = 0; i < this.st.materials.length; i++) {
        const id = this.st.materials[i]!;
        if (!next.materials.includes(id)) addMaterialTo(next, id, this.st.createdAt[i]!);
      }
      for (const r of this.st.retired) if (!next.retired.includes(r)) next.retired.push(r);
      const out = change(next);
      if (path) writeFileAtomicSync(path, JSON.stringify({ format: STATE_FORMAT, version: 1, kekId: this.kekId, state: next }) + '\n', { mode: 0o600 });
      this.st.materials.splice(0, Infinity, ...next.materials);
      this.st.createdAt.splice(0, Infinity, ...next.createdAt);
      this.st.supersededAt.splice(0, Infinity, ...next.supersededAt);
      this.st.retired.splice(0, Infinity, ...next.retired);
      return out;
    };
    return path ? withFileLock(path, apply) : apply();
  }

  private call<T>(op: string, f: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // @req OBS-025: one client span per KMS operation, named by the operation, no request content.
    return traced(`agentsec.kms.${op}`, { 'rpc.system': 'aws-api', 'rpc.service': 'KMS', 'rpc.method': op }, async () => {
      try {
        return await f(AbortSignal.timeout(this.timeoutMs));
      } catch (e) {
        throw mapKmsError(op, e);
      }
    });
  }

  /** Reads the key's material history from KMS. */
  // @req ENV-017
  private async sync(): Promise<void> {
    if (this.listRotations) {
      try {
        const ids: { id: string; at?: number }[] = [];
        let marker: string | undefined;
        do {
          const page = await this.client.send(new this.sdk.ListKeyRotationsCommand({ KeyId: this.kekId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', ...(marker ? { Marker: marker } : {}) }), {
            abortSignal: AbortSignal.timeout(this.timeoutMs),
          });
          for (const r of page.Rotations ?? []) if (r.KeyMaterialId) ids.push({ id: r.KeyMaterialId });
          marker = page.Truncated ? page.NextMarker : undefined;
        } while (marker);
        if (ids.length > 0) {
          await this.addMaterials(ids.map((x) => x.id));
          this.lastSync = this.clock();
          return;
        }
      } catch (e) {
        if (!notImplemented(e)) throw mapKmsError('ListKeyRotations', e);
        this.listRotations = false;
      }
    }
    const d = await this.call('DescribeKey', (abortSignal) => this.client.send(new this.sdk.DescribeKeyCommand({ KeyId: this.kekId }), { abortSignal }));
    const cur = d.KeyMetadata?.CurrentKeyMaterialId;
    if (cur) await this.addMaterials([cur]);
    else if (this.st.materials.length === 0) await this.addMaterials(['initial']);
    this.lastSync = this.clock();
  }

  /** Records materials not seen before; nothing is written when there is nothing new. */
  private async addMaterials(ids: string[]): Promise<void> {
    if (ids.every((id) => this.st.materials.includes(id)) && !(this.statePath && !existsSync(this.statePath))) return;
    const now = this.clock();
    await this.commit((next) => {
      for (const id of ids) addMaterialTo(next, id, now);
    });
  }

  private version(): number {
    return this.st.materials.length;
  }

  private bound(context: EncryptionContext, version: number): Record<string, string> {
    // @req ENV-007 ENV-016
    return { ...context, [VERSION_CONTEXT_KEY]: String(version) };
  }

  private checkUsable(key: WrappedKey): void {
    if (key.kekId !== this.kekId) throw wrongKekError(this.kekId, key.kekId);
    if (this.st.retired.includes(key.kekVersion)) throw retiredError(this.kekId, key.kekVersion);
  }

  async wrap(dek: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    abytes(dek, 'dek', 32);
    const v = await this.currentVersion();
    const out = await this.call('Encrypt', (abortSignal) =>
      this.client.send(new this.sdk.EncryptCommand({ KeyId: this.kekId, Plaintext: dek, EncryptionContext: this.bound(context, v) }), { abortSignal }),
    );
    if (!out.CiphertextBlob) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', 'KMS Encrypt returned no ciphertext');
    return { wrapped: out.CiphertextBlob, kekId: this.kekId, kekVersion: v };
  }

  async unwrap(key: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    this.checkUsable(key);
    const out = await this.call('Decrypt', (abortSignal) =>
      this.client.send(new this.sdk.DecryptCommand({ KeyId: this.kekId, CiphertextBlob: key.wrapped, EncryptionContext: this.bound(context, key.kekVersion) }), { abortSignal }),
    );
    const pt = out.Plaintext;
    if (!pt || pt.length !== 32) {
      pt?.fill(0);
      throw unwrapFailed();
    }
    // Defense in depth: the material KMS used must not belong to a retired version.
    const idx = out.KeyMaterialId ? this.st.materials.indexOf(out.KeyMaterialId) : -1;
    if (idx >= 0 && this.st.retired.includes(idx + 1)) {
      pt.fill(0);
      throw retiredError(this.kekId, idx + 1);
    }
    return pt;
  }

  /** Server-side: ReEncrypt moves the data key to the current material without it leaving KMS. */
  async rewrap(key: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
    this.checkUsable(key);
    const v = await this.currentVersion();
    const out = await this.call('ReEncrypt', (abortSignal) =>
      this.client.send(
        new this.sdk.ReEncryptCommand({
          CiphertextBlob: key.wrapped,
          SourceKeyId: this.kekId,
          SourceEncryptionContext: this.bound(context, key.kekVersion),
          DestinationKeyId: this.kekId,
          DestinationEncryptionContext: this.bound(context, v),
        }),
        { abortSignal },
      ),
    );
    if (!out.CiphertextBlob) throw new AgentsecError('internal', 'KMS_BAD_RESPONSE', 'KMS ReEncrypt returned no ciphertext');
    return { wrapped: out.CiphertextBlob, kekId: this.kekId, kekVersion: v };
  }

  async rotate(): Promise<number> {
    await this.call('RotateKeyOnDemand', (abortSignal) => this.client.send(new this.sdk.RotateKeyOnDemandCommand({ KeyId: this.kekId }), { abortSignal }));
    const before = this.version();
    await this.sync();
    // An endpoint reporting no material ids: count this provider's own rotation.
    if (this.version() === before) await this.addMaterials([`rotation-${before + 1}`]);
    return this.version();
  }

  async currentVersion(): Promise<number> {
    if (this.clock() - this.lastSync >= this.refreshMs) await this.sync();
    return this.version();
  }

  async versions(): Promise<KekVersionInfo[]> {
    return this.st.materials.map((_, i) => {
      const v = i + 1;
      const sup = this.st.supersededAt[i] ?? undefined;
      return {
        version: v,
        state: this.st.retired.includes(v) ? 'retired' : sup === undefined ? 'current' : 'previous',
        createdAt: this.st.createdAt[i]!,
        ...(sup !== undefined ? { supersededAt: sup, graceEndsAt: sup + this.graceMs } : {}),
      };
    });
  }

  async retire(version: number): Promise<void> {
    checkVersionArg(version);
    if (version > this.version()) throw new AgentsecError('state_failure', 'UNKNOWN_KEK_VERSION', `KEK "${this.kekId}" has no version ${version}`);
    // @req ENV-025
    if (version === this.version()) throw new AgentsecError('policy_reject', 'RETIRE_CURRENT', `KEK "${this.kekId}" version ${version} is current and cannot be retired`);
    if (this.st.retired.includes(version)) return;
    await this.commit((next) => {
      if (!next.retired.includes(version)) next.retired.push(version);
    });
  }

  toJSON(): unknown {
    return { kind: this.kind, kekId: this.kekId, versions: this.version(), retired: [...this.st.retired] };
  }

  /** The SDK client holds credentials: never print it. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AwsKmsKek(${this.kekId}, ${this.version()} versions)`;
  }
}
