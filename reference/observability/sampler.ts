/**
 * Deterministic sampling of high-frequency events (observability.sampleHighFrequency). The default
 * is a counter per event name that keeps exactly `rate` of the events, evenly spaced -- the same
 * events on every run, so a test or an incident replay sees the same log. An injected random
 * source (`() => number` in [0, 1)) may replace the counter.
 */
import { AgentsecError } from '../errors.js';

export interface Sampler {
  /** True when this occurrence of `event` is kept. */
  keep(event: string): boolean;
  readonly rate: number;
}

/** Distinct event names with their own counter; beyond it, names share one (bounded memory). */
export const SAMPLER_MAX_NAMES = 1024;
const SHARED = '\u0000shared';

export function createSampler(rate: number, random?: () => number): Sampler {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new AgentsecError('decode_failure', 'SAMPLE_RATE', `observability.sampleHighFrequency must be a number from 0 to 1; got ${String(rate)}`);
  }
  const counters = new Map<string, number>();
  return {
    rate,
    keep(event: string): boolean {
      // @req OBS-008: rate 0 keeps none, rate 1 keeps all, in between exactly floor(n * rate) of n.
      if (rate >= 1) return true;
      if (rate <= 0) return false;
      if (random) {
        const r = random();
        return typeof r === 'number' && r >= 0 && r < rate;
      }
      const name = counters.has(event) || counters.size < SAMPLER_MAX_NAMES ? event : SHARED;
      const i = counters.get(name) ?? 0;
      counters.set(name, i + 1);
      // Keep occurrence i when the running quota floor((i + 1) * rate) steps up.
      return Math.floor((i + 1) * rate) > Math.floor(i * rate);
    },
  };
}
