/**
 * The store of skipped message keys (MKSKIPPED, doubleratchet.txt §3.2) and the memory of old
 * receiving chains, as pure operations over immutable arrays: callers get new arrays and the old
 * ones stay valid, which is what makes decrypt transactional.
 */
import { MAX_OLD_CHAINS, MAX_SKIPPED_KEYS } from '../limits.js';

export interface SkippedKey {
  /** Hex of the sending peer's ratchet public key of the chain. */
  readonly chain: string;
  readonly n: number;
  readonly mk: Uint8Array;
}

/** A receiving chain the session has moved past; no keys, only what classifies late messages. */
export interface OldChain {
  readonly chain: string;
  /** Messages the peer sent on it (PN of the message that ended it): n >= end never existed. */
  readonly end: number;
  /** Every skipped key of this chain with n below this mark was evicted. */
  readonly evictedBelow: number;
}

export interface SkipStore {
  readonly skipped: readonly SkippedKey[];
  readonly oldChains: readonly OldChain[];
  /** Eviction mark of the current receiving chain. */
  readonly recvEvictedBelow: number;
  /** Hex of the current receiving chain key, when there is one. */
  readonly recvChain: string | undefined;
}

export function findSkipped(store: SkipStore, chain: string, n: number): number {
  return store.skipped.findIndex((k) => k.n === n && k.chain === chain);
}

export function removeSkipped(store: SkipStore, index: number): SkipStore {
  return { ...store, skipped: store.skipped.filter((_, i) => i !== index) };
}

/** Appends keys (oldest first), then evicts the oldest beyond `maxKeys` (MAX_SKIPPED_KEYS by default), recording the eviction marks. */
export function addSkipped(store: SkipStore, keys: readonly SkippedKey[], maxKeys: number = MAX_SKIPPED_KEYS): SkipStore {
  if (keys.length === 0) return store;
  let skipped = store.skipped.concat(keys);
  let { oldChains, recvEvictedBelow } = store;
  const excess = skipped.length - maxKeys;
  if (excess > 0) {
    // @req DR-011
    const evicted = skipped.slice(0, excess);
    skipped = skipped.slice(excess);
    for (const k of evicted) {
      if (k.chain === store.recvChain) recvEvictedBelow = Math.max(recvEvictedBelow, k.n + 1);
      else oldChains = oldChains.map((c) => (c.chain === k.chain ? { ...c, evictedBelow: Math.max(c.evictedBelow, k.n + 1) } : c));
    }
  }
  return { ...store, skipped, oldChains, recvEvictedBelow };
}

/** Moves the current receiving chain into the old-chain list; the oldest chain beyond MAX_OLD_CHAINS is forgotten with its keys. */
export function retireChain(store: SkipStore, end: number): SkipStore {
  if (store.recvChain === undefined) return store;
  let oldChains = store.oldChains.concat([{ chain: store.recvChain, end, evictedBelow: store.recvEvictedBelow }]);
  let skipped = store.skipped;
  if (oldChains.length > MAX_OLD_CHAINS) {
    const gone = new Set(oldChains.slice(0, oldChains.length - MAX_OLD_CHAINS).map((c) => c.chain));
    oldChains = oldChains.slice(oldChains.length - MAX_OLD_CHAINS);
    skipped = skipped.filter((k) => !gone.has(k.chain));
  }
  return { skipped, oldChains, recvEvictedBelow: 0, recvChain: undefined };
}
