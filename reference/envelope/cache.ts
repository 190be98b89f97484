/**
 * Data key caching (spec/envelope.md "Data key caching"): off by default. When on, one wrapped data
 * key serves at most `maxMessages` payloads and lives at most `maxAgeMs`; entries are partitioned by
 * the exact encryption context, so no key is shared across contexts. Each payload still gets its own
 * key, derived from the cached data key with a fresh per-payload salt (envelope.ts). At most
 * `maxEntries` keys are held, so a stream of new contexts cannot grow it without bound.
 */
import { toHex, wipe } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import type { KekProvider, WrappedKey } from './kek.js';
import { systemClock, type Clock } from './kek.js';

/** What an entry is for: the KEK instance and the version it wraps under, and the context digest. */
export interface CacheScope {
  readonly kek: Pick<KekProvider, 'kind' | 'kekId'>;
  readonly kekVersion: number;
  readonly contextDigest: Uint8Array;
}

/** Distinct KEK objects get distinct numbers, so two providers with one kekId never share an entry. */
const kekNumbers = new WeakMap<object, number>();
let nextKekNumber = 1;
function kekNumber(kek: object): number {
  let n = kekNumbers.get(kek);
  if (n === undefined) kekNumbers.set(kek, (n = nextKekNumber++));
  return n;
}

export interface CachePolicy {
  /** Payloads one data key may protect, >= 1. */
  readonly maxMessages: number;
  /** Lifetime of a data key in milliseconds, >= 1. */
  readonly maxAgeMs: number;
  /** Data keys held at once, 1..1,000,000 (default 1024). */
  readonly maxEntries?: number;
  readonly clock?: Clock;
}

export interface DataKeyLease {
  readonly dataKey: Uint8Array;
  readonly wrapped: WrappedKey;
  /** Returns the lease; the data key is wiped when its entry has expired and no lease is out. */
  release(): void;
}

interface Entry {
  readonly material: Promise<{ dataKey: Uint8Array; wrapped: WrappedKey }>;
  readonly createdAt: number;
  uses: number;
  active: number;
  evicted: boolean;
}

/** Hard upper bounds: a policy beyond them is refused rather than silently clamped. */
export const CACHE_MAX_MESSAGES_LIMIT = 2 ** 32;
export const CACHE_MAX_AGE_LIMIT_MS = 24 * 3600 * 1000;
export const CACHE_MAX_ENTRIES_LIMIT = 1_000_000;
export const CACHE_DEFAULT_MAX_ENTRIES = 1024;

export class DataKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly maxEntries: number;
  /** Counters for tests and operators: how many data keys were made and how many payloads reused one. */
  readonly stats = { created: 0, hits: 0 };

  constructor(readonly policy: CachePolicy) {
    const okInt = (n: number, max: number): boolean => Number.isSafeInteger(n) && n >= 1 && n <= max;
    if (!okInt(policy.maxMessages, CACHE_MAX_MESSAGES_LIMIT)) {
      throw new AgentsecError('policy_reject', 'BAD_CACHE_POLICY', `cache maxMessages must be 1..2^32, got ${policy.maxMessages}`);
    }
    if (!okInt(policy.maxAgeMs, CACHE_MAX_AGE_LIMIT_MS)) {
      throw new AgentsecError('policy_reject', 'BAD_CACHE_POLICY', `cache maxAgeMs must be 1..${CACHE_MAX_AGE_LIMIT_MS}, got ${policy.maxAgeMs}`);
    }
    this.maxEntries = policy.maxEntries ?? CACHE_DEFAULT_MAX_ENTRIES;
    if (!okInt(this.maxEntries, CACHE_MAX_ENTRIES_LIMIT)) {
      throw new AgentsecError('policy_reject', 'BAD_CACHE_POLICY', `cache maxEntries must be 1..${CACHE_MAX_ENTRIES_LIMIT}, got ${policy.maxEntries}`);
    }
    this.clock = policy.clock ?? systemClock;
  }

  /**
   * A lease on the data key for this context digest, making one with `produce` when there is no
   * entry or the entry is used up or too old.
   */
  async lease(scope: CacheScope, produce: () => Promise<{ dataKey: Uint8Array; wrapped: WrappedKey }>): Promise<DataKeyLease> {
    // @req ENV-044: keyed by the KEK (instance, kind, id) and its version as well as the context.
    const key = `${kekNumber(scope.kek)}|${scope.kek.kind}|${scope.kek.kekId}|${scope.kekVersion}|${toHex(scope.contextDigest)}`;
    const now = this.clock();
    let entry = this.entries.get(key);
    // @req ENV-041
    if (entry && this.spent(entry, now)) {
      this.evict(key, entry);
      entry = undefined;
    }
    if (entry) {
      this.stats.hits++;
    } else {
      this.makeRoom(now);
      const material = produce();
      entry = { material, createdAt: now, uses: 0, active: 0, evicted: false };
      this.entries.set(key, entry);
      this.stats.created++;
      // A failed wrap must not stay cached.
      material.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        if (entry) entry.evicted = true;
      });
    }
    // The use is counted before awaiting, so concurrent seals cannot exceed maxMessages.
    entry.uses++;
    entry.active++;
    const e = entry;
    let m: { dataKey: Uint8Array; wrapped: WrappedKey };
    try {
      m = await e.material;
    } catch (err) {
      e.active--;
      throw err;
    }
    let released = false;
    return {
      dataKey: m.dataKey,
      wrapped: m.wrapped,
      release: () => {
        if (released) return;
        released = true;
        e.active--;
        if (e.evicted && e.active === 0) wipe(m.dataKey);
      },
    };
  }

  /** Drops every entry (e.g. after a KEK rotation); keys in use are wiped when released. */
  clear(): void {
    for (const [k, e] of [...this.entries]) this.evict(k, e);
  }

  get size(): number {
    return this.entries.size;
  }

  private spent(e: Entry, now: number): boolean {
    return e.uses >= this.policy.maxMessages || now - e.createdAt >= this.policy.maxAgeMs;
  }

  /** Room for one more entry: spent ones go first, then the oldest made (Map order is creation order). */
  private makeRoom(now: number): void {
    // @req ENV-050
    if (this.entries.size < this.maxEntries) return;
    for (const [k, e] of [...this.entries]) if (this.spent(e, now)) this.evict(k, e);
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.maxEntries) break;
      this.evict(k, e);
    }
  }

  private evict(key: string, e: Entry): void {
    if (this.entries.get(key) === e) this.entries.delete(key);
    e.evicted = true;
    if (e.active === 0) {
      e.material.then((m) => wipe(m.dataKey)).catch(() => undefined);
    }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `DataKeyCache(${this.entries.size} entries)`;
  }

  toJSON(): unknown {
    return { policy: { maxMessages: this.policy.maxMessages, maxAgeMs: this.policy.maxAgeMs, maxEntries: this.maxEntries }, entries: this.entries.size };
  }
}
