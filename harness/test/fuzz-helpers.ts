/** What the fuzz tests use from harness/fuzz, in one place. */
export { FastCheckMissing, fuzzTarget, LaneHolder, loadFastCheck, loadCounterexample, TARGETS, type TargetName } from '../fuzz/index.js';
export { regressionSuite as regressionSuiteFor } from '../fuzz/regressions.js';
export { replayCounterexample } from '../fuzz/index.js';
export type { StepData } from '../fuzz/kit.js';
