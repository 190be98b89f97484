/**
 * `agentsec fuzz`: model-based, stateful fuzzing of an implementation through agentsec-adapter/1
 * (harness/fuzz). Prints each target's verdict; a finding is shrunk, printed as a numbered
 * reproduction, saved as a JSON counterexample in the report folder (and as a regression case with
 * --save-regression). Exit 0 no finding, 1 a finding, 2 bad usage or an implementation that does
 * not start.
 */
import { join, resolve } from 'node:path';
import { MAX_SEED, randomSeed } from '../harness/conform/rng.js';
import { shellQuote } from '../harness/conform/runner.js';
import {
  CounterexampleError,
  FastCheckMissing,
  formatCounterexample,
  fuzzTarget,
  LaneHolder,
  LaneStartError,
  loadCounterexample,
  loadFastCheck,
  replayCounterexample,
  saveCounterexample,
  TARGET_NAMES,
  TARGETS,
  toCounterexample,
  type FastCheck,
  type TargetName,
} from '../harness/fuzz/index.js';
import { resolveImpl } from './conform.js';
import { EXIT_FAILURES, EXIT_OK, EXIT_USAGE, parseFlags, UsageError, type Command } from './command.js';

export const DEFAULT_RUNS = 200;
export const DEFAULT_TIME_MS = 60_000;

const USAGE = `Usage: agentsec fuzz [--impl "<cmd>"] [--target noise|session|envelope|all] [--time 60s | --runs N]
                     [--seed S] [--against "<cmd2>"] [--report DIR] [--save-regression DIR]
                     [--max-commands N] [--timeout MS]
       agentsec fuzz --replay FILE [--impl "<cmd>"] [--against "<cmd2>"]

Model-based fuzzing through agentsec-adapter/1: fast-check generates command sequences (Noise
handshakes and transport with tampering, reordering, rekey and set_nonce; sessions with drops,
duplicates, restarts, rollbacks to older exports, compromise and re-initiation; envelopes with
rotation, rewrap, retirement and failing, delayed or held KMS calls), runs them on the implementation and judges every answer by the protocol's model.
A finding is shrunk to a minimal sequence, printed, and saved as a JSON counterexample.

  --impl "<cmd>"          the implementation's adapter command (default: the reference in process)
  --target NAME           noise, session, envelope or all (default: all that the implementation claims)
  --runs N                generated sequences per target (default ${DEFAULT_RUNS})
  --time T                time budget per target, shrinking included: 90s, 2m, 500ms (default ${DEFAULT_TIME_MS / 1000}s)
  --seed S                0..4294967295 (default: random, printed); a seed gives the same sequences
  --against "<cmd2>"      differential: the same sequences on a second implementation; the first
                          difference in outcome or error kind is a finding
  --max-commands N        longest sequence (default 40)
  --timeout MS            per-call timeout for the implementation (default 10000)
  --report DIR            counterexamples go to DIR/fuzz/ (default: ./report)
  --save-regression DIR   also write each counterexample to DIR as a regression case
                          (run them with: agentsec conform --impl "<cmd>" --regressions DIR)
  --replay FILE           re-run a saved counterexample and say whether it still fails

Exit status: 0 no finding (or the replayed case no longer fails); 1 a finding; 2 bad usage, fast-check
missing, or an implementation that does not start.`;

export function parseDuration(v: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--time must look like 60s, 2m or 500ms, got ${JSON.stringify(v)}`);
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (!(n >= 1 && n <= 24 * 3_600_000)) throw new UsageError('--time must be between 1 ms and 24 h');
  return Math.round(n);
}

function intFlag(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export interface FuzzIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: FuzzIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

interface Common {
  impl?: string;
  against?: string;
  callTimeoutMs?: number;
}

function holdersFor(target: TargetName, c: Common): LaneHolder[] {
  const opts = { kms: target === 'envelope', interop: c.impl !== undefined && c.against === undefined, ...(c.callTimeoutMs ? { callTimeoutMs: c.callTimeoutMs } : {}) };
  const a = new LaneHolder({ label: c.against !== undefined ? 'A' : 'iut', ...(c.impl !== undefined ? { command: resolveImpl(c.impl) } : {}) }, opts);
  return c.against !== undefined ? [a, new LaneHolder({ label: 'B', command: resolveImpl(c.against) }, opts)] : [a];
}

function reproFlags(c: Common): string {
  return `${c.impl !== undefined ? ` --impl ${shellQuote(c.impl)}` : ''}${c.against !== undefined ? ` --against ${shellQuote(c.against)}` : ''}${c.callTimeoutMs ? ` --timeout ${c.callTimeoutMs}` : ''}`;
}

async function replay(file: string, c: Common, io: FuzzIo): Promise<number> {
  let cx;
  try {
    cx = loadCounterexample(file);
  } catch (e) {
    if (e instanceof CounterexampleError) throw new UsageError(e.message);
    throw e;
  }
  const holders = holdersFor(cx.target, c);
  try {
    io.out(`agentsec fuzz: replaying ${file} (${cx.target}, ${cx.steps.length} steps) on ${c.impl ?? 'the reference, in process'}${c.against ? ` against ${c.against}` : ''}`);
    const rec = await replayCounterexample(cx, holders);
    const shown = { init: rec.init, steps: rec.steps.map((s) => s.step), outcomes: rec.steps.map((s) => s.outcomes) };
    if (rec.failure) {
      for (const l of formatCounterexample({ ...shown, failure: rec.failure })) io.out(l);
      io.out(`STILL FAILS at ${rec.failure.step === -1 ? 'setup' : `step ${rec.failure.step + 1}`}`);
      return EXIT_FAILURES;
    }
    for (const l of formatCounterexample({ ...shown, failure: { step: -2, message: '', reqs: [], where: '' } }).slice(0, -1)) io.out(l);
    io.out(`PASSES: the counterexample no longer fails (${rec.steps.length} of ${cx.steps.length} steps ran)`);
    return EXIT_OK;
  } finally {
    for (const h of holders) await h.close();
  }
}

export async function fuzzMain(args: string[], io: FuzzIo = stdio): Promise<number> {
  const { flags, positionals } = parseFlags(args, { strings: ['impl', 'target', 'time', 'runs', 'seed', 'against', 'report', 'save-regression', 'replay', 'max-commands', 'timeout'] });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
  const c: Common = {};
  for (const k of ['impl', 'against'] as const) {
    const v = flags[k] as string | undefined;
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${k} needs a command line, e.g. --${k} "agentsec adapter"`);
    if (v !== undefined) c[k] = v;
  }
  const t = intFlag(flags.timeout, 'timeout', 1, 3_600_000);
  if (t !== undefined) c.callTimeoutMs = t;
  try {
    if (flags.replay !== undefined) {
      for (const k of ['target', 'time', 'runs', 'seed', 'save-regression', 'max-commands']) if (flags[k] !== undefined) throw new UsageError(`--${k} does not apply to --replay (the file fixes the sequence)`);
      return await replay(flags.replay as string, c, io);
    }
    let fc: FastCheck;
    try {
      fc = await loadFastCheck();
    } catch (e) {
      if (e instanceof FastCheckMissing) {
        io.err(`agentsec fuzz: ${e.message}`);
        return EXIT_USAGE;
      }
      throw e;
    }
    return await fuzzRun(flags, c, fc, io);
  } catch (e) {
    if (e instanceof LaneStartError) {
      io.err(`agentsec fuzz: ${e.message} (check the command line; it must answer hello on stdout)`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

async function fuzzRun(flags: Record<string, string | boolean | string[]>, c: Common, fc: FastCheck, io: FuzzIo): Promise<number> {
  const targetFlag = (flags.target as string | undefined) ?? 'all';
  if (targetFlag !== 'all' && !TARGET_NAMES.includes(targetFlag as TargetName)) throw new UsageError(`--target must be one of ${TARGET_NAMES.join(', ')} or all, got "${targetFlag}"`);
  const explicit = targetFlag !== 'all';
  const targets = explicit ? [targetFlag as TargetName] : [...TARGET_NAMES];
  const runs = intFlag(flags.runs, 'runs', 1, 100_000_000);
  const timeMs = flags.time !== undefined ? parseDuration(flags.time as string) : undefined;
  const seed = intFlag(flags.seed, 'seed', 0, MAX_SEED) ?? randomSeed();
  const maxCommands = intFlag(flags['max-commands'], 'max-commands', 1, 1000);
  const reportDir = join(resolve((flags.report as string | undefined) ?? 'report'), 'fuzz');
  const regressionDir = flags['save-regression'] as string | undefined;
  // --time alone: as many runs as fit; --runs alone: that many, bounded by the default budget only
  // when neither is given.
  const numRuns = runs ?? (timeMs !== undefined ? 1_000_000_000 : DEFAULT_RUNS);
  const budget = timeMs ?? (runs !== undefined ? 24 * 3_600_000 : DEFAULT_TIME_MS);
  io.out(`agentsec fuzz: seed ${seed} (replay this run with --seed ${seed})`);
  io.out(`implementation: ${c.impl ?? 'the reference, in process'}${c.against ? `; against: ${c.against}` : ''}`);
  let findings = 0;
  for (const name of targets) {
    const target = TARGETS[name];
    const holders = holdersFor(name, c);
    try {
      const first = await holders[0]!.ready();
      const caps = first.iut.hello.capabilities;
      const applies = target.applies(caps);
      if (applies !== true) {
        io.out(`${name.padEnd(9)} n/a: ${applies}`);
        if (explicit) return EXIT_USAGE;
        continue;
      }
      for (const h of holders.slice(1)) await h.ready();
      const res = await fuzzTarget({ target, holders, fc, seed, runs: numRuns, timeMs: budget, ...(maxCommands ? { maxCommands } : {}), caps, ...(first.reference ? { refCaps: first.reference.hello.capabilities } : {}) });
      const secs = (res.durationMs / 1000).toFixed(1);
      if (!res.counterexample?.failure) {
        io.out(`${name.padEnd(9)} no finding: ${res.runs} runs in ${secs} s${res.interrupted ? ' (time budget reached)' : ''}`);
        continue;
      }
      findings++;
      const cx = toCounterexample({
        target: name,
        seed,
        impl: c.impl ?? 'reference (in process)',
        ...(c.against !== undefined ? { against: c.against } : {}),
        record: res.counterexample,
        runs: res.runs,
        shrinks: res.shrinks,
        timeToFindMs: res.timeToFindMs ?? res.durationMs,
        originalSteps: res.original?.steps.length ?? res.counterexample.steps.length,
      });
      io.out(`${name.padEnd(9)} FOUND after ${res.runs} run(s) in ${((res.timeToFindMs ?? 0) / 1000).toFixed(1)} s; minimal sequence: ${cx.steps.length} step(s) after ${res.shrinks} shrinks (the first failing run ran ${cx.found.original_steps}; ${secs} s in all)${res.interrupted ? ' (shrinking stopped by the time budget)' : ''}`);
      for (const l of formatCounterexample(cx)) io.out(l);
      const saved = saveCounterexample(reportDir, cx);
      io.out(`  counterexample: ${saved}`);
      io.out(`  replay: agentsec fuzz${reproFlags(c)} --replay ${shellQuote(saved)}`);
      if (regressionDir !== undefined) {
        const reg = saveCounterexample(resolve(regressionDir), cx);
        io.out(`  regression case: ${reg} (agentsec conform${c.impl !== undefined ? ` --impl ${shellQuote(c.impl)}` : ''} --regressions ${shellQuote(regressionDir)})`);
      }
      const tail = holders.map((h) => h.stderrTail()).join('').trim();
      if (tail) io.out(`  adapter stderr (tail): ${tail.split('\n').slice(-3).join(' | ').slice(0, 400)}`);
    } finally {
      for (const h of holders) await h.close();
    }
  }
  io.out(findings > 0 ? `FOUND: ${findings} target(s) with a finding; seed ${seed}` : `PASSED: no finding; seed ${seed}`);
  return findings > 0 ? EXIT_FAILURES : EXIT_OK;
}

export const fuzzCommand: Command = {
  name: 'fuzz',
  summary: 'model-based stateful fuzzing of an implementation through its adapter',
  usage: USAGE,
  run: (args) => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    return fuzzMain(args);
  },
};
