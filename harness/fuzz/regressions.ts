/**
 * Regression cases as a conformance suite: each counterexample file of a folder (written by
 * `agentsec fuzz --save-regression DIR`) is one test, `regressions/<file>`, that replays its steps
 * on the implementation under test and passes when the model's checks all hold. The suite starts a
 * KMS endpoint when an envelope case is among them.
 */
import { CheckFailure } from '../conform/assert.js';
import type { Suite, SuiteServices, TestCase } from '../conform/types.js';
import { loadRegressionDir, type Counterexample } from './counterexample.js';
import { replayCounterexample, TARGETS } from './index.js';
import { startFuzzKms, type FuzzKms } from './kms.js';

// @req CONF-084
export function regressionSuite(dir: string): Suite {
  const cases = loadRegressionDir(dir);
  let kms: FuzzKms | undefined;
  const test = (file: string, c: Counterexample): TestCase => ({
    id: `regressions/${file.replace(/\.json$/, '')}`,
    reqs: [...new Set(['CONF-084', ...c.failure.reqs])],
    applies: (caps) => TARGETS[c.target].applies(caps),
    async run(ctx) {
      if (c.target === 'envelope' && !kms) throw new CheckFailure('the regression suite has no KMS endpoint: its setup() did not run');
      const lane = { label: 'iut', iut: ctx.iut, reference: ctx.reference, ...(kms ? { kms } : {}) };
      const rec = await replayCounterexample(c, [{ spec: { label: 'iut' }, ready: async () => lane }]);
      if (rec.failure) {
        const at = rec.failure.step === -1 ? 'setup' : `step ${rec.failure.step + 1} of ${c.steps.length} (${rec.steps[rec.failure.step]?.step.op ?? '?'})`;
        throw new CheckFailure(`fuzz counterexample still fails at ${at}: ${rec.failure.message}`);
      }
      ctx.log(`replayed ${rec.steps.length} steps of the ${c.target} counterexample found with seed ${c.seed}`);
    },
  });
  return {
    name: 'regressions',
    description: `fuzz counterexamples saved in ${dir}, replayed as tests`,
    async setup(): Promise<SuiteServices> {
      if (!cases.some((x) => x.case.target === 'envelope')) return { services: {}, teardown: async () => {} };
      kms = await startFuzzKms();
      const k = kms;
      return {
        services: k.services,
        teardown: async () => {
          await k.close();
          if (kms === k) kms = undefined;
        },
      };
    },
    tests: () => cases.map((x) => test(x.file, x.case)),
  };
}
