/**
 * `agentsec fuzz` as a library: the targets, a fuzzing session over lanes, and replay of a saved
 * counterexample (also what a regression case runs under `conform --regressions`).
 */
import { plainModelRun, runSequence, StepCommand, type LaneSource, type RunRecord } from './engine.js';
import type { Counterexample } from './counterexample.js';
import type { FuzzTarget, TargetName } from './kit.js';
import { envelopeTarget } from './envelope.js';
import { noiseTarget } from './noise.js';
import { sessionTarget } from './session.js';

export { fuzzTarget, type FuzzResult, type RunRecord, type Failure, type LaneSource } from './engine.js';
export { loadFastCheck, FastCheckMissing, type FastCheck } from './fc-loader.js';
export { LaneHolder, LaneStartError, type LaneSpec } from './lanes.js';
export { COUNTEREXAMPLE_FORMAT, CounterexampleError, formatCounterexample, loadCounterexample, loadRegressionDir, saveCounterexample, toCounterexample, type Counterexample } from './counterexample.js';
export { TARGET_NAMES, type TargetName } from './kit.js';

export const TARGETS: Record<TargetName, FuzzTarget> = {
  noise: noiseTarget as unknown as FuzzTarget,
  session: sessionTarget as unknown as FuzzTarget,
  envelope: envelopeTarget as unknown as FuzzTarget,
};

/** Re-runs a counterexample's steps (in order, each precondition checked on the model). */
// @req CONF-083
export async function replayCounterexample(c: Pick<Counterexample, 'target' | 'init' | 'steps'>, holders: readonly LaneSource[]): Promise<RunRecord> {
  const target = TARGETS[c.target];
  // A fixed sequence needs no generator: replay (and regression cases) run without fast-check.
  return runSequence(target, holders, c.init, c.steps.map((s) => new StepCommand(target, s)), plainModelRun);
}
