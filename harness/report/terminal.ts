/** End-of-run lines for the terminal: what failed (and warned), one line each (CONF-062). */
import type { RunResult, TestResult } from '../conform/runner.js';
import { detailText } from './detail.js';

const WARN = 'warn';

/** Outcomes listed at the end of a run, in this order. */
function listed(t: TestResult): boolean {
  return t.outcome === 'fail' || t.outcome === 'xpass' || t.outcome === WARN;
}

// @req CONF-062
export function failureList(r: RunResult): string[] {
  const tests = r.tests.filter(listed);
  if (tests.length === 0 && r.stale_expectations.length === 0) return [];
  const order = ['fail', 'xpass', WARN];
  const sorted = [...tests].sort((a, b) => order.indexOf(a.outcome) - order.indexOf(b.outcome));
  return [
    `${tests.length} test(s) to look at:`,
    ...sorted.map((t) => `  ${t.outcome.toUpperCase().padEnd(5)} ${t.id}`),
    ...r.stale_expectations.map((e) => `  STALE ${e.pattern}`),
  ];
}

/** --verbose: each failing or warning test's diff and exchange, for stderr. */
export function verboseDetail(r: RunResult): string[] {
  return r.tests.filter(listed).flatMap((t) => {
    const d = detailText(t);
    return d ? [`--- ${t.outcome.toUpperCase()} ${t.id}`, d] : [];
  });
}
