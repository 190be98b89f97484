/**
 * Expectation files (BoGo's config, tlsfuzzer's -x/-X): a JSON object mapping a test id or glob to
 * `{"expect": "fail" | "skip", "reason": "..."}`. A `fail` entry turns a failure into `xfail` and a
 * pass into `xpass` (which fails the run); a `skip` entry keeps the test from running. An entry that
 * matches no test of the selected suites is stale and fails the run.
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
