/**
 * Crash-safe sending nonces (spec/noise.md NOISE-064). A sender that persisted its exact nonce
 * after every message would need one synchronous write per message; one that persisted it only now
 * and then would, after a crash, restart from a stale nonce and encrypt twice under it. Instead the
 * sender persists a high-water mark `limit` BEFORE using any nonce below it, and after a restart
 * resumes at the persisted limit: the nonces between the last one used and the limit are skipped,
 * never reused.
 */
import { AgentsecError } from '../errors.js';
import { MAX_NONCE } from './functions.js';

/**
 * Nonces reserved per write. 1024 keeps the write rate at one per 1024 messages (an fsync costs
 * milliseconds, a message microseconds) while a crash wastes at most 1024 of the 2^64-1 nonces, and
 * it equals REPLAY_WINDOW, so after the sender's jump the receiver still accepts the messages that
 * were in flight before it.
 */
export const NONCE_RESERVE = 1024n;

/** Persists the new limit durably (e.g. an atomic file write) and returns only once it is stored. */
export type PersistLimit = (limit: bigint) => void;

export class NonceReservation {
  #limit: bigint;
  readonly #persist: PersistLimit;
  readonly #reserve: bigint;

  /** `limit`: the persisted mark; nonces below it may already have been used. */
  constructor(limit: bigint, persist: PersistLimit, reserve: bigint = NONCE_RESERVE) {
    // @req NOISE-066: no persistence, no counter nonces (CONFIG-005).
    if (typeof persist !== 'function') throw new AgentsecError('policy_reject', 'PERSISTENCE_REQUIRED', 'a nonce reservation needs a persist callback: counter nonces that do not survive a restart are reused');
    if (typeof reserve !== 'bigint' || reserve < 1n || reserve > 1n << 32n) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'reserve must be 1..2^32');
    if (typeof limit !== 'bigint' || limit < 0n || limit > MAX_NONCE) throw new AgentsecError('decode_failure', 'BAD_NONCE', 'limit must be an integer in 0..2^64-1');
    this.#limit = limit;
    this.#persist = persist;
    this.#reserve = reserve;
  }

  /** Nonces below this are covered by the persisted mark. */
  get limit(): bigint {
    return this.#limit;
  }

  /**
   * Call before encrypting with nonce n. When n is not yet covered, persists n + reserve first; if
   * persisting throws, nothing changes and n must not be used.
   */
  cover(n: bigint): void {
    if (n < this.#limit) return;
    const next = n + this.#reserve > MAX_NONCE ? MAX_NONCE : n + this.#reserve;
    // @req NOISE-064: persist the mark before the nonce is used.
    this.#persist(next);
    this.#limit = next;
  }
}
