/**
 * Per-test randomness: a SHA-256 counter-mode stream keyed by (run seed, test id). The same pair
 * always yields the same stream, independent of which other tests run or in what order, which is
 * what makes `--only <id> --seed N` reproduce a failure.
 */
import { createHash } from 'node:crypto';
import type { Rng } from './types.js';

export const MAX_SEED = 2 ** 32 - 1;

function key(runSeed: number, testId: string): Buffer {
  return createHash('sha256').update(`agentsec-conform/1\0${runSeed}\0${testId}`).digest();
}

/** The 32-bit per-test seed (TestContext.seed). */
export function testSeed(runSeed: number, testId: string): number {
  return key(runSeed, testId).readUInt32BE(0);
}

// @req CONF-017
export class SeededRng implements Rng {
  private readonly key: Buffer;
  private counter = 0;
  private pool = Buffer.alloc(0);

  /** `testId` defaults to '' (a single stream per seed, for unit tests of a suite). */
  constructor(runSeed: number, testId = '') {
    this.key = key(runSeed, testId);
  }

  bytes(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`rng.bytes: bad length ${n}`);
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (this.pool.length === 0) {
        const c = Buffer.alloc(8);
        c.writeBigUInt64BE(BigInt(this.counter++));
        this.pool = createHash('sha256').update(this.key).update(c).digest();
      }
      const take = Math.min(this.pool.length, n - off);
      out.set(this.pool.subarray(0, take), off);
      this.pool = this.pool.subarray(take);
      off += take;
    }
    return out;
  }

  /** Uniform in [0, maxExclusive) by rejection sampling (no modulo bias). */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0 || maxExclusive > MAX_SEED + 1) throw new RangeError(`rng.int: bad bound ${maxExclusive}`);
    const limit = Math.floor((MAX_SEED + 1) / maxExclusive) * maxExclusive;
    for (;;) {
      const b = this.bytes(4);
      const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      if (v < limit) return v % maxExclusive;
    }
  }

  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** A fresh random run seed, printed by the runner so any run can be replayed. */
export function randomSeed(): number {
  return createHash('sha256').update(`${Date.now()}\0${process.pid}\0${Math.random()}`).digest().readUInt32BE(0);
}
