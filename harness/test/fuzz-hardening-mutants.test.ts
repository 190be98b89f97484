/**
 * The fuzzer's reach over the hardening mutants (harness/test/mutants/, CONF-183): each one is
 * found by `agentsec fuzz` with a fixed seed within a bounded number of generated runs -- the
 * finding replayed on the reference passes, so it is the planted bug and not the model -- or it is
 * listed in OUT_OF_REACH with the reason. A mutant added to the list must be one or the other.
 * Bounded by runs, never by time: each test's timeout only catches a hang.
 */
import { describe, expect, it } from 'vitest';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { fuzzTarget, LaneHolder, loadFastCheck, replayCounterexample, TARGETS, type TargetName } from './fuzz-helpers.js';
import { MUTANTS, startMutantAdapter, type Mutant, type MutantArea } from './mutants/index.js';

const SEED = 1;
/** Generated runs allowed per mutant (the slowest to find needs about a quarter of them at SEED). */
const RUNS = 300;

/** The fuzz target that drives each mutant area. */
const TARGET_OF: Record<MutantArea, TargetName> = { noise: 'noise', ratchet: 'session', x3dh: 'session', pqxdh: 'session', records: 'session', envelope: 'envelope' };

/** Mutants the fuzzer cannot reach, and why. */
export const OUT_OF_REACH: Readonly<Record<string, string>> = {
  // The noise target drives noise.write/noise.read; the explicit-nonce transport (noise.explicit_*,
  // with crash and restore of its durable record) has no fuzz steps yet.
  ...Object.fromEntries(
    ['noise-window-off-by-one', 'noise-nonce-not-reserved-before-send', 'noise-window-not-stored-before-delivery', 'noise-window-moved-by-forgery', 'noise-frame-nonce-little-endian'].map((n) => [
      n,
      'planted in the explicit-nonce transport (noise.explicit_*, NOISE-062..068), which the noise target does not generate steps for',
    ]),
  ),
  // The envelope target runs against the lane's KMS key; the adapter's own KEK administration
  // (envelope.kek_*, capability envelope.kek_admin) has no fuzz steps yet.
  'env-retire-noop': 'planted in envelope.kek_retire (adapter-side KEK administration), while the envelope target retires versions on its KMS endpoint',
  'env-cache-unbounded': 'planted in the data-key cache of a KEK made by envelope.kek_new, which the envelope target does not create (it seals under the KMS key)',
  'env-no-key-commitment': 'needs an envelope whose AES-GCM payload authenticates under two data keys (built in GF(2^128)); the tamper and truncate steps only flip or cut bytes, which the tag still catches',
  'x3dh-replay-digests-evicted':
    'the session target creates agents with one-time prekeys and without max_replay_digests, and sends at most 4 initial messages: the replay-digest bound (default 10,000) is never reached',
};

function lane(m: Mutant | undefined, target: TargetName): LaneHolder {
  return new LaneHolder(
    { label: m ? m.name : 'reference', start: (services) => (m ? startMutantAdapter(m, { services }) : startReferenceAdapter({ services })) },
    { kms: target === 'envelope', interop: true },
  );
}

describe('agentsec fuzz finds the hardening mutants', () => {
  it('CONF-183: OUT_OF_REACH names only mutants of the list, each with a reason', () => {
    for (const [name, why] of Object.entries(OUT_OF_REACH)) {
      expect(MUTANTS.some((m) => m.name === name), name).toBe(true);
      expect(why.length).toBeGreaterThan(20);
    }
  });

  it.each(MUTANTS.filter((m) => !(m.name in OUT_OF_REACH)).map((m) => [m.name, m] as const))(
    'CONF-183 CONF-080: %s is found within the bounded runs, and the finding passes on the reference',
    async (_name, m) => {
      const fc = await loadFastCheck();
      const target = TARGET_OF[m.area];
      const holder = lane(m, target);
      let found;
      try {
        const first = await holder.ready();
        // No shrinking: only whether (and when) the first failing run comes matters here.
        const r = await fuzzTarget({ target: TARGETS[target], holders: [holder], fc, seed: SEED, runs: RUNS, timeMs: 3_600_000, shrink: false, caps: first.iut.hello.capabilities, refCaps: first.reference!.hello.capabilities });
        found = r.counterexample;
        expect(found?.failure, `${m.name} (${m.description}) not found in ${RUNS} runs of ${target} with seed ${SEED}`).toBeDefined();
        expect(r.interrupted).toBe(false);
      } finally {
        await holder.close();
      }
      const ref = lane(undefined, target);
      try {
        const again = await replayCounterexample({ target, init: found!.init, steps: found!.steps.map((s) => s.step) }, [ref]);
        expect(again.failure, `the ${m.name} finding fails on the reference too: ${again.failure?.message}`).toBeUndefined();
      } finally {
        await ref.close();
      }
    },
    900_000,
  );
});
