/**
 * Expectation files (BoGo's config, tlsfuzzer's -x/-X): a JSON object mapping a test id or glob to
 * `{"expect": "fail" | "skip", "reason": "..."}`. A `fail` entry turns a failure into `xfail`; an exact
 * id that passes becomes `xpass` (which fails the run), while a glob leaves passing tests alone; a
 * `skip` entry keeps the test from running. An entry that matches no test of the selected suites, or
 * a glob none of whose tests failed, is stale and fails the run.
 */
import { readFileSync } from 'node:fs';
import { compilePattern } from './match.js';

export interface Expectation {
  readonly pattern: string;
  readonly expect: 'fail' | 'skip';
  readonly reason: string;
  readonly matches: (id: string) => boolean;
}

export class ExpectationsError extends Error {
  override name = 'ExpectationsError';
}

export function parseExpectations(text: string, source = 'expectations'): Expectation[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ExpectationsError(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ExpectationsError(`${source}: must be a JSON object {"<id or glob>": {"expect": "fail"|"skip", "reason": "..."}}`);
  }
  const out: Expectation[] = [];
  for (const [pattern, v] of Object.entries(data)) {
    const e = v as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new ExpectationsError(`${source}: entry "${pattern}" must be an object`);
    if (e.expect !== 'fail' && e.expect !== 'skip') throw new ExpectationsError(`${source}: entry "${pattern}": "expect" must be "fail" or "skip"`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '') throw new ExpectationsError(`${source}: entry "${pattern}": a non-empty "reason" is required`);
    const extra = Object.keys(e).filter((k) => k !== 'expect' && k !== 'reason');
    if (extra.length > 0) throw new ExpectationsError(`${source}: entry "${pattern}": unknown field(s) ${extra.join(', ')}`);
    if (pattern === '') throw new ExpectationsError(`${source}: empty test id`);
    out.push({ pattern, expect: e.expect, reason: e.reason, matches: compilePattern(pattern) });
  }
  return out;
}

export function loadExpectations(file: string): Expectation[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ExpectationsError(`cannot read expectations file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseExpectations(text, file);
}

/** The entry for a test id: an exact entry wins over globs; among globs, the first in the file. */
export function findExpectation(list: readonly Expectation[], id: string): Expectation | undefined {
  return list.find((e) => e.pattern === id) ?? list.find((e) => e.matches(id));
}

/** Whether an entry is a glob (covers the matching tests that fail) rather than one exact test id. */
export function isGlob(e: Expectation): boolean {
  return /[*?]/.test(e.pattern);
}

/**
 * What each glob `fail` entry covered in a run (CONF-069): the tests it applies to that were listed,
 * that got a verdict, and that failed. A glob is stale only when every test it applies to got a
 * verdict and none failed; when some did not run (--only, --shard, Ctrl-C) it is not judged here.
 */
export class GlobLedger {
  private readonly counts = new Map<Expectation, { listed: number; ran: number; failed: number }>();

  private of(e: Expectation): { listed: number; ran: number; failed: number } {
    let c = this.counts.get(e);
    if (!c) this.counts.set(e, (c = { listed: 0, ran: 0, failed: 0 }));
    return c;
  }

  listed(e: Expectation | undefined): void {
    if (e && e.expect === 'fail' && isGlob(e)) this.of(e).listed++;
  }

  ran(e: Expectation | undefined, failed: boolean): void {
    if (!e || e.expect !== 'fail' || !isGlob(e)) return;
    const c = this.of(e);
    c.ran++;
    if (failed) c.failed++;
  }

  get size(): number {
    return this.counts.size;
  }

  report(): GlobCount[] {
    return [...this.counts].map(([e, c]) => ({ pattern: e.pattern, expect: 'fail' as const, reason: e.reason, ...c }));
  }

  // @req CONF-069
  /** Glob fail entries that applied to tests, all of which ran, none failing. */
  stale(): Expectation[] {
    return [...this.counts].filter(([, c]) => c.listed > 0 && c.ran >= c.listed && c.failed === 0).map(([e]) => e);
  }
}

/** A glob entry's coverage in one run (results.json `run.glob_expectations`). */
export interface GlobCount {
  pattern: string;
  expect: 'fail';
  reason: string;
  listed: number;
  ran: number;
  failed: number;
}

/** Over shards: every listed test ran in some shard (listed is the same in each), none failed. */
export function staleOverShards(counts: readonly GlobCount[]): GlobCount[] {
  const by = new Map<string, GlobCount>();
  for (const c of counts) {
    const a = by.get(c.pattern);
    by.set(c.pattern, a ? { ...a, ran: a.ran + c.ran, failed: a.failed + c.failed } : { ...c });
  }
  return [...by.values()].filter((c) => c.listed > 0 && c.ran >= c.listed && c.failed === 0);
}
