/**
 * `--shard i/n` (CONF-071): each suite's selected tests are dealt round-robin over n shards, so
 * shards are balanced per suite and together run every selected test exactly once; results that
 * come from listing (an unavailable suite, a suite that could not list its tests) belong to shard 1.
 */
export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(s: string): Shard | undefined {
  const m = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index <= count && count <= 1024 ? { index, count } : undefined;
}

// @req CONF-071
export function inShard<T extends { suite: { name: string } }>(plan: readonly T[], shard: Shard | undefined): T[] {
  if (!shard || shard.count === 1) return [...plan];
  const seen = new Map<string, number>();
  return plan.filter((p) => {
    const j = seen.get(p.suite.name) ?? 0;
    seen.set(p.suite.name, j + 1);
    return j % shard.count === shard.index - 1;
  });
}
