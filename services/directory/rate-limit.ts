/**
 * Per-client token buckets in a map of bounded size (DIR-004, DIR-015): the least recently used
 * bucket is dropped when the map is full, so memory stays bounded however many names or addresses
 * are seen. A dropped client starts again with a full bucket, which bounds its gain to one burst.
 */
import { AgentsecError } from '../../reference/errors.js';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key` or throws policy_reject RATE_LIMITED. */
  take(key: string, now: number, what: string): void {
    // @req DIR-015
    const b = this.buckets.get(key);
    let tokens = this.burst;
    if (b) {
      tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) * this.perMs);
      this.buckets.delete(key);
    } else if (this.buckets.size >= this.maxEntries) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      throw new AgentsecError('policy_reject', 'RATE_LIMITED', `too many requests ${what}; retry later`);
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
  }
}
