/**
 * The embedded default KEK: a ring of AES-256 key versions held in memory and, optionally, in a
 * file (mode 0600, written atomically). Rotation adds a version; old versions keep unwrapping for a
 * grace period and until retired; retirement destroys the key material and keeps a tombstone so a
 * stale envelope fails naming the retired version.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../atomic-file.js';
import { withFileLock } from '../../file-lock.js';
import { abytes, fromHex, toHex, utf8, wipe } from '../../bytes.js';
import { getProvider, type CryptoProvider } from '../../crypto/index.js';
import { AgentsecError } from '../../errors.js';
import type { EncryptionContext } from '../format.js';
import { checkVersionArg, kekBindingAad, retiredError, systemClock, unwrapFailed, wrongKekError, type Clock, type KekProvider, type KekVersionInfo, type WrappedKey } from '../kek.js';

export const RING_FILE_FORMAT = 'agentsec-kek-ring';
export const RING_FILE_VERSION = 1;
export const DEFAULT_GRACE_MS = 30 * 24 * 3600 * 1000;
const WRAP_NONCE = 12;

interface RingVersion {
  version: number;
  key: Uint8Array | undefined;
  createdAt: number;
  supersededAt?: number;
  retiredAt?: number;
}

export interface LocalKekRingOptions {
  readonly kekId?: string;
  /** File holding the ring; absent keeps it in memory only. */
  readonly path?: string;
  /** How long a superseded version stays usable before it is due for retirement. */
  readonly graceMs?: number;
  readonly clock?: Clock;
  readonly crypto?: CryptoProvider;
}

/** The AAD of a local wrap: the binding context plus this ring's id and the version. */
function wrapAad(kekId: string, version: number, context: EncryptionContext): Uint8Array {
  // @req ENV-015
  return kekBindingAad(kekId, version, context);
}

export class LocalKekRing implements KekProvider {
  readonly kind = 'local';
  readonly kekId: string;
  private readonly ring: RingVersion[];
  private readonly graceMs: number;
  private readonly clock: Clock;
  private readonly c: CryptoProvider;
  private readonly path: string | undefined;

  private constructor(kekId: string, ring: RingVersion[], graceMs: number, clock: Clock, c: CryptoProvider, path: string | undefined) {
    this.kekId = kekId;
    this.ring = ring;
    this.graceMs = graceMs;
    this.clock = clock;
    this.c = c;
    this.path = path;
  }

  /** Opens the ring at `path` (creating it with one version if missing), or an in-memory ring. */
  static open(opts: LocalKekRingOptions = {}): LocalKekRing {
    const c = opts.crypto ?? getProvider('noble');
    const clock = opts.clock ?? systemClock;
    const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new AgentsecError('policy_reject', 'BAD_GRACE', `grace period must be a non-negative integer of ms`);
    if (opts.path && existsSync(opts.path)) {
      const loaded = parseRingFile(readFileSync(opts.path, 'utf8'));
      if (opts.kekId !== undefined && opts.kekId !== loaded.kekId) throw wrongKekError(opts.kekId, loaded.kekId);
      return new LocalKekRing(loaded.kekId, loaded.ring, graceMs, clock, c, opts.path);
    }
    const kekId = opts.kekId ?? `local:${toHex(c.randomBytes(8))}`;
    if (utf8(kekId).length === 0 || utf8(kekId).length > 255) throw new AgentsecError('decode_failure', 'BAD_KEK_ID', 'KEK id must be 1..255 bytes');
    const ring = new LocalKekRing(kekId, [{ version: 1, key: c.randomBytes(32), createdAt: clock() }], graceMs, clock, c, opts.path);
    try {
      // @req ENV-047: exclusive, so two processes creating one ring at once end with one ring.
      ring.persist(true);
    } catch (e) {
      if (!(e instanceof AgentsecError && e.reason === 'FILE_EXISTS')) throw e;
      wipe(ring.ring[0]!.key);
      return LocalKekRing.open(opts);
    }
    return ring;
  }

  async wrap(dek: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    abytes(dek, 'dek', 32);
    const cur = this.current();
    const nonce = this.c.randomBytes(WRAP_NONCE);
    const ct = this.c.aead('AES-256-GCM').seal(cur.key!, nonce, dek, wrapAad(this.kekId, cur.version, context));
    const wrapped = new Uint8Array(WRAP_NONCE + ct.length);
    wrapped.set(nonce);
    wrapped.set(ct, WRAP_NONCE);
    return { wrapped, kekId: this.kekId, kekVersion: cur.version };
  }

  async unwrap(key: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    if (key.kekId !== this.kekId) throw wrongKekError(this.kekId, key.kekId);
    // Another process may have rotated the shared file since we read it.
    if (this.path && !this.ring.some((r) => r.version === key.kekVersion)) this.reload();
    const v = this.ring.find((r) => r.version === key.kekVersion);
    // A version this ring never had: same answer as any other forgery.
    if (!v) throw unwrapFailed();
    // @req ENV-021
    if (v.retiredAt !== undefined || !v.key) throw retiredError(this.kekId, v.version);
    if (key.wrapped.length !== WRAP_NONCE + 32 + 16) throw unwrapFailed();
    try {
      return this.c.aead('AES-256-GCM').open(v.key, key.wrapped.subarray(0, WRAP_NONCE), key.wrapped.subarray(WRAP_NONCE), wrapAad(this.kekId, v.version, context));
    } catch {
      throw unwrapFailed();
    }
  }

  async rotate(): Promise<number> {
    return this.mutate(() => this.rotateLoaded());
  }

  private rotateLoaded(): number {
    const now = this.clock();
    const cur = this.current();
    const next: RingVersion = { version: cur.version + 1, key: this.c.randomBytes(32), createdAt: now };
    if (next.version > 0xffffffff) throw new AgentsecError('state_failure', 'KEK_VERSIONS_EXHAUSTED', 'no KEK versions left');
    const before = cur.supersededAt;
    cur.supersededAt = now;
    this.ring.push(next);
    try {
      this.persist();
    } catch (e) {
      // Refused or failed writes leave the ring as it was.
      this.ring.pop();
      cur.supersededAt = before;
      wipe(next.key);
      throw e;
    }
    return next.version;
  }

  async currentVersion(): Promise<number> {
    return this.current().version;
  }

  async versions(): Promise<KekVersionInfo[]> {
    return this.ring.map((r) => ({
      version: r.version,
      state: r.retiredAt !== undefined ? 'retired' : r.supersededAt === undefined ? 'current' : 'previous',
      createdAt: r.createdAt,
      ...(r.supersededAt !== undefined ? { supersededAt: r.supersededAt, graceEndsAt: r.supersededAt + this.graceMs } : {}),
    }));
  }

  async retire(version: number): Promise<void> {
    checkVersionArg(version);
    return this.mutate(() => this.retireLoaded(version));
  }

  private retireLoaded(version: number): void {
    const v = this.ring.find((r) => r.version === version);
    if (!v) throw new AgentsecError('state_failure', 'UNKNOWN_KEK_VERSION', `KEK "${this.kekId}" has no version ${version}`);
    if (v.supersededAt === undefined) throw new AgentsecError('policy_reject', 'RETIRE_CURRENT', `KEK "${this.kekId}" version ${version} is current and cannot be retired`);
    if (v.retiredAt !== undefined) return;
    const key = v.key;
    v.retiredAt = this.clock();
    v.key = undefined;
    try {
      this.persist();
    } catch (e) {
      v.retiredAt = undefined;
      v.key = key;
      throw e;
    }
    // @req ENV-022
    wipe(key);
  }

  /**
   * Every change to a ring file is a read-modify-write under the file's exclusive lock, on the
   * file's latest contents, so changes made by other processes are never lost.
   */
  // @req ENV-047
  private async mutate<T>(change: () => T): Promise<T> {
    const path = this.path;
    if (!path) return change();
    return withFileLock(path, () => {
      this.reload();
      return change();
    });
  }

  /** Replaces the in-memory ring with the file's (written atomically, so readable without the lock). */
  private reload(): void {
    if (!this.path || !existsSync(this.path)) return;
    const loaded = parseRingFile(readFileSync(this.path, 'utf8'));
    if (loaded.kekId !== this.kekId) throw wrongKekError(this.kekId, loaded.kekId);
    for (const r of this.ring) if (r.key) wipe(r.key);
    this.ring.splice(0, this.ring.length, ...loaded.ring);
  }

  private current(): RingVersion {
    const cur = this.ring[this.ring.length - 1];
    if (!cur || !cur.key) throw new AgentsecError('internal', 'KEK_RING_EMPTY', 'KEK ring has no current version');
    return cur;
  }

  private persist(exclusive = false): void {
    if (!this.path) return;
    const body = {
      format: RING_FILE_FORMAT,
      version: RING_FILE_VERSION,
      kekId: this.kekId,
      versions: this.ring.map((r) => ({
        version: r.version,
        createdAt: r.createdAt,
        ...(r.supersededAt !== undefined ? { supersededAt: r.supersededAt } : {}),
        ...(r.retiredAt !== undefined ? { retiredAt: r.retiredAt } : {}),
        ...(r.key ? { key: toHex(r.key) } : {}),
      })),
    };
    const text = JSON.stringify(body);
    const checksum = toHex(this.c.hash('SHA-256', utf8(text)));
    // @req ENV-030
    writeFileAtomicSync(this.path, JSON.stringify({ ring: body, sha256: checksum }) + '\n', { exclusive });
  }

  toJSON(): unknown {
    return { kind: this.kind, kekId: this.kekId, versions: this.ring.map((r) => ({ version: r.version, retired: r.retiredAt !== undefined })) };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `LocalKekRing(${this.kekId}, ${this.ring.length} versions)`;
  }
}

function parseRingFile(text: string): { kekId: string; ring: RingVersion[] } {
  const bad = (why: string): AgentsecError => new AgentsecError('decode_failure', 'BAD_KEK_RING_FILE', `KEK ring file: ${why}`);
  let outer: unknown;
  try {
    outer = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const o = outer as { ring?: unknown; sha256?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.sha256 !== 'string' || typeof o.ring !== 'object' || o.ring === null) throw bad('missing ring or checksum');
  const inner = JSON.stringify(o.ring);
  const sum = toHex(getProvider('noble').hash('SHA-256', utf8(inner)));
  if (sum !== o.sha256) throw bad('checksum mismatch (file corrupted or edited)');
  const r = o.ring as { format?: unknown; version?: unknown; kekId?: unknown; versions?: unknown };
  if (r.format !== RING_FILE_FORMAT) throw bad('unknown format');
  if (typeof r.version !== 'number' || r.version < RING_FILE_VERSION) throw bad(`file version ${String(r.version)} is too old`);
  if (r.version > RING_FILE_VERSION) throw new AgentsecError('unsupported', 'KEK_RING_TOO_NEW', `KEK ring file version ${r.version} is newer than this implementation reads (${RING_FILE_VERSION})`);
  if (typeof r.kekId !== 'string' || !Array.isArray(r.versions) || r.versions.length === 0) throw bad('missing kekId or versions');
  const ring: RingVersion[] = r.versions.map((x: unknown, i: number) => {
    const v = x as { version?: unknown; key?: unknown; createdAt?: unknown; supersededAt?: unknown; retiredAt?: unknown };
    if (v.version !== i + 1 || typeof v.createdAt !== 'number') throw bad(`version entry ${i} malformed`);
    const key = v.key === undefined ? undefined : fromHex(v.key, 'key');
    if (key && key.length !== 32) throw bad(`version ${i + 1} key is not 32 bytes`);
    if (!key && v.retiredAt === undefined) throw bad(`version ${i + 1} has no key and is not retired`);
    return {
      version: i + 1,
      key,
      createdAt: v.createdAt,
      ...(typeof v.supersededAt === 'number' ? { supersededAt: v.supersededAt } : {}),
      ...(typeof v.retiredAt === 'number' ? { retiredAt: v.retiredAt } : {}),
    };
  });
  return { kekId: r.kekId, ring };
}

