/**
 * A versioned KEK whose versions are keys held by a device (a PKCS#11 token, a TPM): one device key
 * per version, created on rotation and destroyed on retirement. The device does the wrapping; this
 * ring keeps the version bookkeeping (and, optionally, a metadata file: mode 0600, atomic, with a
 * checksum; it holds only what the device needs to find or load its keys, never a key in the clear).
 *
 * With a metadata file every change is written ahead (ENV-045): rotate records the new version as
 * pending before the device creates its key and commits it after; retire writes the tombstone
 * before the device key is destroyed. Memory changes only after the file does, so a failure at any
 * step leaves the ring as it was, and a crash at any step leaves a file that opens: a pending
 * version is dropped (its device key, if any, destroyed), a retired version needs no device key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { abytes, toHex, utf8 } from '../../bytes.js';
import { getProvider } from '../../crypto/index.js';
import { AgentsecError } from '../../errors.js';
import type { EncryptionContext } from '../format.js';
import { checkVersionArg, kekBindingAad, retiredError, systemClock, unwrapFailed, wrongKekError, type Clock, type KekProvider, type KekVersionInfo, type WrappedKey } from '../kek.js';
import { writeFileAtomicSync } from '../../atomic-file.js';
import { withFileLock } from '../../file-lock.js';
import { DEFAULT_GRACE_MS } from './local-ring.js';

export interface KekSlotBackend<H> {
  readonly kind: string;
  /** Makes the device key of a new version; `record` is what must be stored to load it again. */
  create(version: number): Promise<{ handle: H; record?: string }>;
  /** Loads a version's device key; undefined when the device no longer has it. */
  load(version: number, record: string | undefined): Promise<H | undefined>;
  wrap(handle: H, dek: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Unwraps; any failure of the device's integrity check must throw (it is reported as ENV_AUTH). */
  unwrap(handle: H, wrapped: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Destroys a version's device key. */
  destroy(version: number, handle: H | undefined): Promise<void>;
  /** Versions present on the device, when it can list them (used without a metadata file). */
  discover?(): Promise<number[]>;
  release?(handle: H): Promise<void>;
}

interface Slot<H> {
  version: number;
  handle: H | undefined;
  record?: string;
  createdAt: number;
  supersededAt?: number;
  retiredAt?: number;
  /** Written ahead of the device key's creation; never a usable version. */
  pending?: true;
}

export interface SlotRingOptions {
  readonly kekId: string;
  /** Metadata file; without it, versions come from the device's `discover()` or live in memory. */
  readonly path?: string;
  readonly graceMs?: number;
  readonly clock?: Clock;
}

const META_FORMAT = 'agentsec-kek-slots';

export class SlotKekRing<H> implements KekProvider {
  readonly kind: string;
  readonly kekId: string;
  private constructor(
    private readonly backend: KekSlotBackend<H>,
    kekId: string,
    private readonly slots: Slot<H>[],
    private readonly graceMs: number,
    private readonly clock: Clock,
    private readonly path: string | undefined,
  ) {
    this.kind = backend.kind;
    this.kekId = kekId;
  }

  static async open<H>(backend: KekSlotBackend<H>, o: SlotRingOptions): Promise<SlotKekRing<H>> {
    const clock = o.clock ?? systemClock;
    const graceMs = o.graceMs ?? DEFAULT_GRACE_MS;
    const n = utf8(o.kekId).length;
    if (n === 0 || n > 255) throw new AgentsecError('decode_failure', 'BAD_KEK_ID', 'KEK id must be 1..255 bytes');
    const ring = new SlotKekRing(backend, o.kekId, [], graceMs, clock, o.path);
    // @req ENV-048: under the metadata file's lock, so two processes creating one ring end with one ring.
    await ring.mutate(async () => {
      if (o.path && existsSync(o.path)) return;
      if (backend.discover) await ring.discoverSlots();
      if (ring.slots.length === 0) await ring.addVersion(1, clock());
    });
    return ring;
  }

  /** Without metadata: the versions on the device; a superseded version's grace starts now, never earlier than it really began. */
  private async discoverSlots(): Promise<void> {
    const now = this.clock();
    const found = (await this.backend.discover!()).sort((a, b) => a - b);
    const max = found[found.length - 1] ?? 0;
    for (let v = 1; v <= max; v++) {
      const handle = found.includes(v) ? await this.backend.load(v, undefined) : undefined;
      this.slots.push({ version: v, handle, createdAt: now, ...(v < max ? { supersededAt: now } : {}), ...(handle === undefined ? { retiredAt: now } : {}) });
    }
  }

  /**
   * Every change to a metadata file is a read-modify-write under the file's exclusive lock, on the
   * file's latest contents, so versions made or retired by other processes are never lost.
   */
  // @req ENV-048
  private async mutate<T>(change: () => Promise<T>): Promise<T> {
    const path = this.path;
    if (!path) return change();
    return withFileLock(path, async () => {
      await this.reload(true);
      return change();
    });
  }

  /**
   * Brings the ring up to the metadata file: versions added elsewhere are loaded from the device,
   * versions retired elsewhere lose their handle. Under the lock (`locked`), a pending entry is a
   * rotation that crashed before it committed: the version never existed, and what the device may
   * hold of it is destroyed (ENV-045); without the lock it may be another process's rotation in
   * flight, and is only skipped.
   */
  private async reload(locked: boolean): Promise<void> {
    if (!this.path || !existsSync(this.path)) return;
    let droppedPending = false;
    const next: Slot<H>[] = [];
    for (const m of readMeta(this.path, this.kekId, this.backend.kind)) {
      if (m.pending) {
        if (locked) {
          // @req ENV-045
          await this.backend.destroy(m.version, undefined).catch(() => undefined);
          droppedPending = true;
        }
        continue;
      }
      const known = this.slots.find((s) => s.version === m.version);
      let handle = known?.handle;
      if (m.retiredAt !== undefined && handle !== undefined) {
        await this.backend.release?.(handle);
        handle = undefined;
      } else if (m.retiredAt === undefined && handle === undefined) {
        handle = await this.backend.load(m.version, m.record);
        // @req ENV-046: only a retired version may lack its device key.
        if (handle === undefined) throw new AgentsecError('state_failure', 'KEK_VERSION_MISSING', `KEK "${this.kekId}" version ${m.version} is not on the device any more`);
      }
      next.push({ ...m, handle });
    }
    this.slots.splice(0, this.slots.length, ...next);
    if (droppedPending) this.persist(this.slots);
  }

  private current(): Slot<H> {
    const s = this.slots[this.slots.length - 1];
    if (!s || s.handle === undefined) throw new AgentsecError('internal', 'KEK_RING_EMPTY', 'KEK has no current version');
    return s;
  }

  async wrap(dek: Uint8Array, context: EncryptionContext): Promise<WrappedKey> {
    abytes(dek, 'dek', 32);
    const cur = this.current();
    const wrapped = await this.backend.wrap(cur.handle!, dek, kekBindingAad(this.kekId, cur.version, context));
    return { wrapped, kekId: this.kekId, kekVersion: cur.version };
  }

  async unwrap(key: WrappedKey, context: EncryptionContext): Promise<Uint8Array> {
    if (key.kekId !== this.kekId) throw wrongKekError(this.kekId, key.kekId);
    // Another process may have rotated the shared metadata file since we read it.
    if (this.path && !this.slots.some((x) => x.version === key.kekVersion)) await this.reload(false);
    const s = this.slots.find((x) => x.version === key.kekVersion);
    if (!s) throw unwrapFailed();
    if (s.retiredAt !== undefined || s.handle === undefined) throw retiredError(this.kekId, s.version);
    try {
      return await this.backend.unwrap(s.handle, key.wrapped, kekBindingAad(this.kekId, s.version, context));
    } catch (e) {
      if (e instanceof AgentsecError && (e.kind === 'auth_failure' || e.kind === 'decode_failure')) throw unwrapFailed();
      throw e;
    }
  }

  async rotate(): Promise<number> {
    return this.mutate(async () => {
      const cur = this.current();
      await this.addVersion(cur.version + 1, this.clock());
      return cur.version + 1;
    });
  }

  /** Write-ahead creation of version `v` (ENV-045); the ring changes only once the commit is written. */
  private async addVersion(v: number, now: number): Promise<void> {
    const cur = this.slots[this.slots.length - 1];
    const committed = (extra: Slot<H>): Slot<H>[] => [...this.slots.map((s) => (s === cur ? { ...s, supersededAt: now } : s)), extra];
    // @req ENV-045
    this.persist([...this.slots, { version: v, handle: undefined, createdAt: now, pending: true }]);
    let made: { handle: H; record?: string };
    try {
      // A leftover device key of an earlier failed attempt would block the creation.
      await this.backend.destroy(v, undefined);
      made = await this.backend.create(v);
    } catch (e) {
      this.tryPersist(this.slots);
      throw e;
    }
    const next: Slot<H> = { version: v, handle: made.handle, ...(made.record !== undefined ? { record: made.record } : {}), createdAt: now };
    try {
      this.persist(committed(next));
    } catch (e) {
      await this.backend.destroy(v, made.handle).catch(() => undefined);
      this.tryPersist(this.slots);
      throw e;
    }
    if (cur) cur.supersededAt = now;
    this.slots.push(next);
  }

  /** Best effort: a failed write here leaves a pending entry, which open() drops. */
  private tryPersist(slots: readonly Slot<H>[]): void {
    try {
      this.persist(slots);
    } catch {
      // The error that matters is the one already being thrown.
    }
  }

  async currentVersion(): Promise<number> {
    return this.current().version;
  }

  async versions(): Promise<KekVersionInfo[]> {
    return this.slots.map((s) => ({
      version: s.version,
      state: s.retiredAt !== undefined ? 'retired' : s.supersededAt === undefined ? 'current' : 'previous',
      createdAt: s.createdAt,
      ...(s.supersededAt !== undefined ? { supersededAt: s.supersededAt, graceEndsAt: s.supersededAt + this.graceMs } : {}),
    }));
  }

  async retire(version: number): Promise<void> {
    checkVersionArg(version);
    return this.mutate(() => this.retireLoaded(version));
  }

  private async retireLoaded(version: number): Promise<void> {
    const s = this.slots.find((x) => x.version === version);
    if (!s) throw new AgentsecError('state_failure', 'UNKNOWN_KEK_VERSION', `KEK "${this.kekId}" has no version ${version}`);
    if (s.supersededAt === undefined) throw new AgentsecError('policy_reject', 'RETIRE_CURRENT', `KEK "${this.kekId}" version ${version} is current and cannot be retired`);
    if (!this.path) {
      // Without a metadata file the device is the record: the version is retired once its key is gone.
      if (s.retiredAt !== undefined) return;
      await this.backend.destroy(version, s.handle);
      s.handle = undefined;
      s.retiredAt = this.clock();
      return;
    }
    if (s.retiredAt === undefined) {
      // @req ENV-045: the tombstone first; a crash after it leaves a retired version, never a missing one.
      const retiredAt = this.clock();
      this.persist(this.slots.map((x) => (x === s ? { version: x.version, handle: undefined, createdAt: x.createdAt, ...(x.supersededAt !== undefined ? { supersededAt: x.supersededAt } : {}), retiredAt } : x)));
      s.retiredAt = retiredAt;
      delete s.record;
    }
    // The device key goes last; a failure here is retried by the next retire of the same version.
    if (s.handle !== undefined) {
      await this.backend.destroy(version, s.handle);
      s.handle = undefined;
    }
  }

  async close(): Promise<void> {
    for (const s of this.slots) if (s.handle !== undefined) await this.backend.release?.(s.handle);
  }

  private persist(slots: readonly Slot<H>[]): void {
    if (!this.path) return;
    const body = {
      format: META_FORMAT,
      version: 1,
      kind: this.kind,
      kekId: this.kekId,
      versions: slots.map((s) => ({
        version: s.version,
        createdAt: s.createdAt,
        ...(s.record !== undefined ? { record: s.record } : {}),
        ...(s.supersededAt !== undefined ? { supersededAt: s.supersededAt } : {}),
        ...(s.retiredAt !== undefined ? { retiredAt: s.retiredAt } : {}),
        ...(s.pending ? { pending: true } : {}),
      })),
    };
    const text = JSON.stringify(body);
    writeFileAtomicSync(this.path, JSON.stringify({ meta: body, sha256: toHex(getProvider('noble').hash('SHA-256', utf8(text))) }) + '\n');
  }

  toJSON(): unknown {
    return { kind: this.kind, kekId: this.kekId, versions: this.slots.length };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SlotKekRing(${this.kind}, ${this.kekId}, ${this.slots.length} versions)`;
  }
}

function readMeta(path: string, kekId: string, kind: string): Omit<Slot<never>, 'handle'>[] {
  const bad = (why: string): AgentsecError => new AgentsecError('decode_failure', 'BAD_KEK_META_FILE', `KEK metadata file: ${why}`);
  let o: { meta?: unknown; sha256?: unknown };
  try {
    o = JSON.parse(readFileSync(path, 'utf8')) as typeof o;
  } catch {
    throw bad('not JSON');
  }
  if (typeof o?.sha256 !== 'string' || typeof o.meta !== 'object' || o.meta === null) throw bad('missing metadata or checksum');
  if (toHex(getProvider('noble').hash('SHA-256', utf8(JSON.stringify(o.meta)))) !== o.sha256) throw bad('checksum mismatch');
  const m = o.meta as { format?: unknown; version?: unknown; kind?: unknown; kekId?: unknown; versions?: unknown };
  if (m.format !== META_FORMAT || m.version !== 1) throw bad('unknown format or version');
  if (m.kind !== kind) throw bad(`written for a ${String(m.kind)} KEK, not ${kind}`);
  if (m.kekId !== kekId) throw wrongKekError(kekId, String(m.kekId));
  if (!Array.isArray(m.versions)) throw bad('no versions');
  return m.versions.map((x: unknown, i: number) => {
    const v = x as { version?: unknown; createdAt?: unknown; record?: unknown; supersededAt?: unknown; retiredAt?: unknown; pending?: unknown };
    if (v.version !== i + 1 || typeof v.createdAt !== 'number') throw bad(`version entry ${i} malformed`);
    return {
      version: i + 1,
      createdAt: v.createdAt,
      ...(typeof v.record === 'string' ? { record: v.record } : {}),
      ...(typeof v.supersededAt === 'number' ? { supersededAt: v.supersededAt } : {}),
      ...(typeof v.retiredAt === 'number' ? { retiredAt: v.retiredAt } : {}),
      ...(v.pending === true ? { pending: true as const } : {}),
    };
  });
}
