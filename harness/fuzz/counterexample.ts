/**
 * Counterexamples as files: the minimal failing run (initial configuration, executed steps, the
 * failure) in JSON, printed as a numbered reproduction, re-run by `agentsec fuzz --replay FILE`, and
 * saved as a regression case that `agentsec conform --regressions DIR` runs as a test.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactString } from '../../reference/index.js';
import type { Failure, RunRecord } from './engine.js';
import { TARGET_NAMES, type Json, type StepData, type TargetName } from './kit.js';

export const COUNTEREXAMPLE_FORMAT = 'agentsec-fuzz/1';

export interface Counterexample {
  format: typeof COUNTEREXAMPLE_FORMAT;
  target: TargetName;
  seed: number;
  impl: string;
  against?: string;
  init: Json;
  steps: StepData[];
  /** Outcome per lane for each step, as observed when it was found. */
  outcomes: string[][];
  failure: Failure;
  found: { runs: number; shrinks: number; time_to_find_ms: number; original_steps: number };
}

export class CounterexampleError extends Error {
  override name = 'CounterexampleError';
}

export function toCounterexample(o: { target: TargetName; seed: number; impl: string; against?: string; record: RunRecord; runs: number; shrinks: number; timeToFindMs: number; originalSteps: number }): Counterexample {
  if (!o.record.failure) throw new Error('a counterexample needs a failing run');
  return {
    format: COUNTEREXAMPLE_FORMAT,
    target: o.target,
    seed: o.seed,
    impl: o.impl,
    ...(o.against !== undefined ? { against: o.against } : {}),
    init: o.record.init,
    steps: o.record.steps.map((s) => s.step),
    outcomes: o.record.steps.map((s) => s.outcomes),
    // The finding can quote the implementation's own error text: key-like runs are redacted.
    failure: { ...o.record.failure, message: redactString(o.record.failure.message) },
    found: { runs: o.runs, shrinks: o.shrinks, time_to_find_ms: Math.round(o.timeToFindMs), original_steps: o.originalSteps },
  };
}

function stepText(s: StepData): string {
  const { op, ...rest } = s;
  const args = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return args ? `${op} ${args}` : op;
}

/** The numbered reproduction printed on the terminal. */
export function formatCounterexample(c: Pick<Counterexample, 'init' | 'steps' | 'outcomes' | 'failure'>): string[] {
  const lines = [`  init   ${JSON.stringify(c.init)}`];
  if (c.failure.step === -1) lines.push(`         ^ ${c.failure.message}`);
  c.steps.forEach((s, i) => {
    const out = c.outcomes[i]?.join(' | ') ?? '';
    lines.push(`  ${String(i + 1).padStart(3)}.  ${stepText(s).padEnd(58)} -> ${out}`);
    if (i === c.failure.step) lines.push(`         ^ ${c.failure.message}`);
  });
  lines.push(`  checks: ${c.failure.reqs.join(' ')}`);
  return lines;
}

function fileName(c: Counterexample): string {
  const h = createHash('sha256').update(JSON.stringify([c.target, c.init, c.steps])).digest('hex').slice(0, 10);
  return `${c.target}-${h}.json`;
}

export function saveCounterexample(dir: string, c: Counterexample): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName(c));
  writeFileSync(path, `${JSON.stringify(c, null, 2)}\n`);
  return path;
}

export function loadCounterexample(path: string): Counterexample {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CounterexampleError(`${path}: not a readable JSON file (${(e as Error).message})`);
  }
  const c = raw as Partial<Counterexample>;
  if (typeof c !== 'object' || c === null || c.format !== COUNTEREXAMPLE_FORMAT) throw new CounterexampleError(`${path}: not an ${COUNTEREXAMPLE_FORMAT} counterexample (no "format": "${COUNTEREXAMPLE_FORMAT}")`);
  if (!TARGET_NAMES.includes(c.target as TargetName)) throw new CounterexampleError(`${path}: unknown target ${JSON.stringify(c.target)}`);
  if (!Array.isArray(c.steps) || !c.steps.every((s) => typeof s === 'object' && s !== null && typeof (s as StepData).op === 'string')) throw new CounterexampleError(`${path}: "steps" must be an array of {op, ...}`);
  if (c.init === undefined) throw new CounterexampleError(`${path}: no "init"`);
  return c as Counterexample;
}

/** Every counterexample file of a regression folder, sorted by name. */
export function loadRegressionDir(dir: string): Array<{ file: string; case: Counterexample }> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    throw new CounterexampleError(`${dir}: cannot read the regression folder (${(e as Error).message})`);
  }
  return names.map((n) => ({ file: n, case: loadCounterexample(join(dir, n)) }));
}
