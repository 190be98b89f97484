/**
 * results.json: the stable, documented report schema `agentsec-conform-results/1`
 * (spec/conformance.md "Report schema"; harness/report/results.schema.json). Fields are only ever
 * added, never renamed or removed, within a schema version.
 */
import { countOutcomes, type Counts, type RunResult, type StaleExpectation, type TestResult } from '../conform/runner.js';

export const RESULTS_SCHEMA_ID = 'agentsec-conform-results/1';

export interface ResultsJson {
  schema: typeof RESULTS_SCHEMA_ID;
  run: RunResult['run'];
  summary: Counts & { stale_expectations: number; exit_code: 0 | 1 };
  suites: Record<string, Counts>;
  tests: TestResult[];
  requirements: Record<string, Counts>;
  stale_expectations: StaleExpectation[];
}

export function groupCounts(tests: readonly TestResult[], keys: (t: TestResult) => readonly string[]): Record<string, Counts> {
  const groups = new Map<string, TestResult[]>();
  for (const t of tests) for (const k of keys(t)) groups.set(k, [...(groups.get(k) ?? []), t]);
  const out: Record<string, Counts> = {};
  for (const k of [...groups.keys()].sort()) out[k] = countOutcomes(groups.get(k) ?? []);
  return out;
}

export function toResultsJson(r: RunResult): ResultsJson {
  const suites: Record<string, Counts> = {};
  // Suites in run order, not sorted: the order the terminal showed.
  for (const t of r.tests) if (!(t.suite in suites)) suites[t.suite] = countOutcomes(r.tests.filter((x) => x.suite === t.suite));
  return {
    schema: RESULTS_SCHEMA_ID,
    run: r.run,
    summary: { ...countOutcomes(r.tests), stale_expectations: r.stale_expectations.length, exit_code: r.exit_code },
    suites,
    tests: r.tests,
    requirements: groupCounts(r.tests, (t) => t.reqs),
    stale_expectations: r.stale_expectations,
  };
}
