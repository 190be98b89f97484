/**
 * `--write-expect FILE` (CONF-070): an expectations file written from a run, for the user to edit:
 * one exact entry per failing test (`fail` and `xfail`), the failure message as its reason, and the
 * `skip` entries of the expectations file the run used, kept as they were.
 */
import type { Expectation } from './expectations.js';
import type { RunResult } from './runner.js';

const MAX_REASON = 300;

type Entry = { expect: 'fail' | 'skip'; reason: string };

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > MAX_REASON ? `${t.slice(0, MAX_REASON)}...` : t;
}

// @req CONF-070
export function expectationsFromRun(r: RunResult, current: readonly Expectation[] = []): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const e of current) if (e.expect === 'skip') out[e.pattern] = { expect: 'skip', reason: e.reason };
  for (const t of r.tests) {
    if (t.outcome === 'fail') out[t.id] = { expect: 'fail', reason: oneLine(t.message ?? 'failed') || 'failed' };
    else if (t.outcome === 'xfail') out[t.id] = { expect: 'fail', reason: oneLine(t.expectation ?? t.message ?? 'failed') || 'failed' };
  }
  return out;
}

export function renderExpectations(entries: Record<string, Entry>): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}
