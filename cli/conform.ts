/**
 * `agentsec conform`: runs the conformance suites against the reference (in process) or against
 * any implementation speaking agentsec-adapter/1 (`--impl "<cmd>"`), prints progress and a summary
 * table, writes the report folder, and exits 0 (all passed or failed as expected), 1 (unexpected
 * failure, unexpected pass or stale expectation) or 2 (bad usage or configuration).
 */
import { accessSync, constants, rmdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { ExpectationsError, loadExpectations, type Expectation } from '../harness/conform/expectations.js';
import { compileSelection, type Selection } from '../harness/conform/selection.js';
import { MAX_SEED, randomSeed } from '../harness/conform/rng.js';
import { countOutcomes, ImplementationStartError, OUTCOMES, shellQuote, type RunResult } from '../harness/conform/runner.js';
import type { Capabilities, Suite } from '../harness/conform/types.js';
import { startProcessAdapter } from '../harness/adapters/process.js';
import { runWithReference } from './compose.js';
import { getProvider } from '../reference/index.js';
import { writeReports } from '../harness/report/index.js';
import { failureList, verboseDetail } from '../harness/report/terminal.js';
import { CounterexampleError } from '../harness/fuzz/counterexample.js';
import { regressionSuite } from '../harness/fuzz/regressions.js';
import { reportToGithub } from '../harness/report/github.js';
import { parseShard } from '../harness/conform/shard.js';
import { ipcWorker, JobsError, runJobs } from './conform-jobs.js';
import { SUITES } from '../harness/suites/index.js';
import { MAX_REPLAY_FLOOD, REPLAY_FLOOD_FULL, REPLAY_FLOOD_QUICK } from '../harness/suites/session.js';
import { sharedVectorsDir, REPO_ROOT } from '../vectors/external.js';
import { checkFile, readFailed, reportFolder } from './conform-outputs.js';
import { expectationsFromRun, renderExpectations } from '../harness/conform/write-expect.js';
import { writeFileAtomicSync } from '../reference/index.js';
import { EXIT_FAILURES, EXIT_OK, EXIT_USAGE, parseFlags, providerFlag, UsageError, type Command } from './command.js';

const USAGE = `Usage: agentsec conform [--impl "<cmd>"] [--suite a,b] [--seed N] [--expect FILE] [--report DIR] [--quick]
                        [--only ID|GLOB ...] [--exclude ID|GLOB ...] [--rerun-failed results.json] [--no-report]
                        [--timeout MS] [--test-timeout MS] [--provider noble|node] [--strict] [--verbose] [--list]
                        [--regressions DIR] [--replay-flood N]

Runs the conformance suites against the reference in process, or against an implementation under
test speaking agentsec-adapter/1 over stdio (--impl, run with sh -c; "agentsec adapter" serves the
reference that way).

  --impl "<cmd>"     the implementation's adapter command line
  --suite a,b        suites to run (default: all registered)
  --seed N           run seed, 0..4294967295 (default: random, printed); each test's randomness
                     comes from (seed, test id)
  --only ID|GLOB     run only these tests (repeatable, or comma-separated; * matches anything); a
                     requirement ID (X3DH-009, ENV-0*) selects every test citing it
  --exclude ID|GLOB  do not run these tests (same forms as --only)
  --rerun-failed F   rerun the failing, unexpectedly passing and warning tests of a results.json,
                     with its seed (and its --impl and --quick unless given)
  --expect FILE      expectations: {"<id or glob>": {"expect": "fail"|"skip", "reason": "..."}}; an exact
                     id that passes is an unexpected pass; a glob covers the matching tests that fail
  --write-expect F   write an expectations file from this run's failures (the message as reason)
  --report DIR       report folder: results.json, junit.xml, index.html (default: ./report; a run
                     with --only, --exclude or --rerun-failed writes to a new ./report-<time>)
  --no-report        write no report folder
  --shard i/n        run the i-th of n shares of each suite's selected tests (CI matrices; combine
                     the reports with agentsec report merge)
  --jobs N           run the tests in N parallel processes (each with its own implementation
                     process, each taking the next test when free), with the same results as one
  --quick            smaller test sets (for development and CI smoke runs)
  --timeout MS       per-call timeout for the implementation (default 10000)
  --test-timeout MS  per-test timeout (default 120000)
  --provider NAME    crypto provider of the in-process reference: noble (default) or node
  --strict           a warning (e.g. a malleable unauthenticated byte accepted with the genuine
                     plaintext and no state change) is a failure
  --list             print the selected test ids with their requirement IDs, run nothing; with
                     --impl also whether each applies to the implementation's claims (and what it
                     would run) or is n/a (and why)
  --verbose          print each failing test's exchange with the implementation and hex diff to
                     stderr (meant for a single test: --only ID)
  --regressions DIR  also run the fuzz counterexamples saved in DIR (agentsec fuzz --save-regression)
                     as the suite "regressions"
  --replay-flood N   initial messages (without a one-time prekey) the session suite sends before it
                     replays the first one, 1..${MAX_REPLAY_FLOOD} (default ${REPLAY_FLOOD_QUICK} with --quick, ${REPLAY_FLOOD_FULL} otherwise)

Ctrl-C stops the run and writes the report of the tests that finished.
Exit status: 0 all passed or failed as expected; 1 an unexpected failure, an unexpected pass or a
stale expectation entry; 2 bad usage or configuration (output paths are checked before the run);
130 interrupted.`;

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** `agentsec ...` runs this checkout's CLI when no agentsec is installed on PATH. */
export function resolveImpl(impl: string): string {
  const m = /^\s*agentsec(\s|$)/.exec(impl);
  if (!m || onPath('agentsec')) return impl;
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'bin', 'agentsec.mjs'))}${impl.slice(m[0].length - m[1]!.length)}`;
}

function intFlag(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function selectSuites(all: readonly Suite[], list: string | undefined): { selected: Suite[]; unselected: string[] } {
  if (list === undefined) return { selected: [...all], unselected: [] };
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError('--suite needs at least one suite name');
  for (const n of names) {
    if (!all.some((s) => s.name === n)) throw new UsageError(`unknown suite "${n}" (available: ${all.map((s) => s.name).join(', ') || 'none'})`);
  }
  return { selected: all.filter((s) => names.includes(s.name)), unselected: all.filter((s) => !names.includes(s.name)).map((s) => s.name) };
}

/** The shell's status for a run ended by SIGINT. */
const EXIT_INTERRUPTED = 130;

export function summaryTable(r: RunResult): string {
  const suites = [...new Set(r.tests.map((t) => t.suite))];
  const cols = ['suite', 'tests', ...OUTCOMES];
  const rows = suites.map((s) => {
    const c = countOutcomes(r.tests.filter((t) => t.suite === s));
    return [s, String(c.total), ...OUTCOMES.map((o) => String(c[o]))];
  });
  const t = countOutcomes(r.tests);
  rows.push(['total', String(t.total), ...OUTCOMES.map((o) => String(t[o]))]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]): string => row.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [fmt(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(0, -1).map(fmt), widths.map((w) => '-'.repeat(w)).join('  '), fmt(rows[rows.length - 1]!)].join('\n');
}

/**
 * --list: the selected test ids with their requirement IDs; with --impl, also whether each test
 * applies to what the implementation claims in hello, and what it would run or why not (CONF-046).
 */
async function listTests(suites: readonly Suite[], selection: Selection, quick: boolean, io: ConformCliIo, impl?: string, callTimeoutMs?: number): Promise<number> {
  const selected = compileSelection(selection);
  const opts = { quick, ...(sharedVectorsDir() ? { sharedVectorsDir: sharedVectorsDir()! } : {}) };
  let caps: Capabilities | undefined;
  if (impl !== undefined) {
    try {
      const a = await startProcessAdapter({ command: resolveImpl(impl), ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}) });
      caps = a.hello.capabilities;
      await a.close();
    } catch (e) {
      io.err(`agentsec conform: the implementation did not start: ${e instanceof Error ? e.message : String(e)} (check the --impl command line; it must answer hello on stdout)`);
      return EXIT_USAGE;
    }
  }
  for (const s of suites) {
    const u = s.unavailable?.(opts);
    if (u !== undefined) {
      io.out(`${s.name}/unavailable  (${typeof u === 'string' ? u : u.reason})`);
      continue;
    }
    for (const t of await s.tests(opts)) {
      if (!selected(t)) continue;
      if (!caps) {
        io.out(`${t.id}  ${t.reqs.join(' ')}`);
        continue;
      }
      // @req CONF-046
      const a = t.applies ? t.applies(caps) : true;
      const plan = a === true ? t.plan?.(caps) : undefined;
      io.out(`${t.id}  ${t.reqs.join(' ')}  ${a === true ? `applies${plan ? `: ${plan}` : ''}` : `n/a: ${a}`}`);
    }
  }
  return EXIT_OK;
}

export interface ConformCliIo {
  out(line: string): void;
  err(line: string): void;
  tty: boolean;
}

const stdio: ConformCliIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  tty: Boolean(process.stdout.isTTY) && process.env.CI !== 'true',
};

/** The suite of fuzz regression cases in `dir`; an unreadable folder or case is bad usage. */
function loadRegressions(dir: string): Suite {
  try {
    return regressionSuite(dir);
  } catch (e) {
    if (e instanceof CounterexampleError) throw new UsageError(`--regressions: ${e.message}`);
    throw e;
  }
}

export async function conformMain(args: string[], io: ConformCliIo = stdio, registry: readonly Suite[] = SUITES): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    strings: ['impl', 'suite', 'seed', 'expect', 'report', 'timeout', 'test-timeout', 'provider', 'rerun-failed', 'write-expect', 'regressions', 'shard', 'jobs', 'replay-flood', 'worker'],
    booleans: ['quick', 'list', 'strict', 'verbose', 'no-report'],
    multi: ['only', 'exclude'],
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
  const rerunFile = flags['rerun-failed'] as string | undefined;
  const previous = rerunFile !== undefined ? readFailed(rerunFile) : undefined;
  if (previous && flags.only !== undefined) throw new UsageError('--rerun-failed selects the tests itself; drop --only (or use --only without --rerun-failed)');
  const impl = (flags.impl as string | undefined) ?? previous?.impl;
  if (impl !== undefined && impl.trim() === '') throw new UsageError('--impl needs a command line, e.g. --impl "agentsec adapter"');
  const providerName = providerFlag(flags.provider);
  if (providerName !== undefined && impl !== undefined) {
    throw new UsageError('--provider selects the crypto of the in-process reference; with --impl give it to the adapter (e.g. --impl "agentsec adapter --provider node")');
  }
  // A rerun replays the previous run's seed, so each test draws the same randomness (CONF-017).
  const seed = intFlag(flags.seed, 'seed', 0, MAX_SEED) ?? previous?.seed ?? randomSeed();
  const callTimeoutMs = intFlag(flags.timeout, 'timeout', 1, 3_600_000);
  const testTimeoutMs = intFlag(flags['test-timeout'], 'test-timeout', 1, 86_400_000);
  const replayFlood = intFlag(flags['replay-flood'], 'replay-flood', 1, MAX_REPLAY_FLOOD);
  const list = (f: unknown): string[] => ((f as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const only = previous ? previous.ids : list(flags.only);
  const exclude = list(flags.exclude);
  const quick = flags.quick === true || previous?.quick === true;
  const strict = flags.strict === true;
  const regressionDir = flags.regressions as string | undefined;
  const { selected, unselected } = selectSuites(regressionDir !== undefined ? [...registry, loadRegressions(regressionDir)] : registry, flags.suite as string | undefined);
  let expectations: Expectation[] = [];
  const expectFile = flags.expect as string | undefined;
  if (expectFile !== undefined) {
    try {
      expectations = loadExpectations(expectFile);
    } catch (e) {
      if (e instanceof ExpectationsError) throw new UsageError(`${e.message} (fix the file or drop --expect)`);
      throw e;
    }
  }
  if (flags.list === true) return listTests(selected, { only, exclude }, quick, io, impl, callTimeoutMs);
  if (previous && previous.ids.length === 0) {
    io.out(`agentsec conform: nothing to rerun: ${rerunFile} lists no failing, unexpectedly passing or warning test`);
    return EXIT_OK;
  }
  // @req CONF-067
  const shard = flags.shard === undefined ? undefined : parseShard(flags.shard as string);
  if (flags.shard !== undefined && !shard) throw new UsageError(`--shard must be i/n with 1 <= i <= n, got ${JSON.stringify(flags.shard)}`);
  const jobs = intFlag(flags.jobs, 'jobs', 1, 64) ?? 1;
  if (jobs > 1 && shard) throw new UsageError('--jobs and --shard cannot be combined (--jobs shards the run itself)');
  // --worker k/N: one of the child processes of a --jobs N run, dealt its tests by the parent over IPC.
  const workerOf = flags.worker === undefined ? undefined : parseShard(flags.worker as string);
  if (flags.worker !== undefined && (!workerOf || !process.send || jobs > 1 || shard)) throw new UsageError('--worker is internal to --jobs (it needs the IPC channel of a --jobs parent)');
  const writeExpect = flags['write-expect'] === undefined ? undefined : resolve(flags['write-expect'] as string);
  if (writeExpect !== undefined) checkFile(writeExpect, '--write-expect');
  const reportDir = reportFolder({ ...(flags.report !== undefined ? { report: flags.report as string } : {}), noReport: flags['no-report'] === true, partial: only.length > 0 || exclude.length > 0 });
  const reproFlags = [...(providerName !== undefined ? [`--provider ${providerName}`] : []), ...(callTimeoutMs !== undefined ? [`--timeout ${callTimeoutMs}`] : []), ...(testTimeoutMs !== undefined ? [`--test-timeout ${testTimeoutMs}`] : []), ...(strict ? ['--strict'] : []), ...(regressionDir !== undefined ? [`--regressions ${shellQuote(regressionDir)}`] : []), ...(replayFlood !== undefined ? [`--replay-flood ${replayFlood}`] : [])];
  const ci = process.env.CI === 'true';

  io.out(`agentsec conform: seed ${seed} (replay this run with --seed ${seed})`);
  io.out(`implementation: ${impl ?? `the reference, in process (crypto provider ${providerName ?? 'noble'})`}`);
  io.out(`suites: ${selected.map((s) => s.name).join(', ') || '(none registered)'}${quick ? ' (quick)' : ''}${only.length ? `; only ${only.join(', ')}` : ''}`);
  // Ctrl-C: the test in progress is abandoned, the report of what finished is written (CONF-068); twice: exit now.
  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(130);
    io.err('agentsec conform: interrupted; writing the report of the tests that finished (Ctrl-C again to quit at once)');
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  let result: RunResult;
  try {
    result = jobs > 1 ? await runJobs({ args, jobs, seed, only, extra: [...(quick && flags.quick !== true ? ['--quick'] : []), ...(impl !== undefined && flags.impl === undefined ? ['--impl', impl] : [])], out: io.out, signal: interrupt.signal }) : await runWithReference({
      suites: selected,
      ...(impl !== undefined ? { impl } : {}),
      ...(providerName !== undefined ? { provider: getProvider(providerName) } : {}),
      seed,
      only,
      exclude,
      ...(shard ? { shard } : {}),
      ...(workerOf ? { worker: ipcWorker(workerOf.index) } : {}),
      signal: interrupt.signal,
      quick,
      expectations,
      ...(expectFile !== undefined ? { expectationsFile: expectFile } : {}),
      unselectedSuites: unselected,
      ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}),
      ...(testTimeoutMs !== undefined ? { testTimeoutMs } : {}),
      ci,
      ...(sharedVectorsDir() ? { sharedVectorsDir: sharedVectorsDir()! } : {}),
      ...(replayFlood !== undefined ? { replayFlood } : {}),
      out: io.out,
      ...(io.tty ? { status: (l: string) => process.stdout.write(`\r\x1b[K${l}`) } : {}),
      reproFlags,
      strict,
      resolveCommand: resolveImpl,
    });
  } catch (e) {
    if (e instanceof ImplementationStartError) {
      io.err(`agentsec conform: ${e.message} (check the --impl command line; it must answer hello on stdout)`);
      return EXIT_USAGE;
    }
    if (e instanceof JobsError) {
      io.err(`agentsec conform: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (only.length > 0 && result.tests.length === 0 && !interrupt.signal.aborted) {
    // The fresh folder made for this run stays empty: leave nothing behind.
    if (reportDir !== undefined && flags.report === undefined) rmdirSync(reportDir);
    io.err(`agentsec conform: --only ${only.join(',')} matched no test of the selected suites (ids look like noise/vectors/Noise_IK_25519_ChaChaPoly_SHA256; globs use *)`);
    return EXIT_USAGE;
  }
  io.out('');
  io.out(summaryTable(result));
  for (const e of result.stale_expectations) io.out(`STALE expectation "${e.pattern}" (expect ${e.expect}: ${e.reason}) ${/[*?]/.test(e.pattern) && e.expect === 'fail' ? 'covers no failing test' : 'matches no test'}: remove it`);
  if (flags.verbose === true) for (const l of verboseDetail(result)) io.err(l);
  if (reportDir !== undefined) {
    const paths = writeReports(reportDir, result);
    io.out(`report: ${paths.html} (results.json, junit.xml beside it)`);
  }
  if (writeExpect !== undefined) {
    const entries = expectationsFromRun(result, expectations);
    writeFileAtomicSync(writeExpect, renderExpectations(entries), { mode: 0o644 });
    io.out(`expectations: wrote ${Object.keys(entries).length} entr${Object.keys(entries).length === 1 ? 'y' : 'ies'} to ${writeExpect} (edit the reasons, then run with --expect ${writeExpect})`);
  }
  for (const l of failureList(result)) io.out(l);
  reportToGithub(result, process.env, io.out);
  const c = countOutcomes(result.tests);
  if (result.run.interrupted) {
    io.out(`INTERRUPTED: ${result.tests.length} of ${result.run.planned ?? '?'} selected tests finished: ${c.fail} unexpected failure(s), ${c.xpass} unexpected pass(es), ${c.warn} warning(s); seed ${seed}`);
    return EXIT_INTERRUPTED;
  }
  const verdict = result.exit_code === 0 ? 'PASSED' : 'FAILED';
  io.out(`${verdict}: ${c.fail} unexpected failure(s), ${c.xpass} unexpected pass(es), ${c.warn} warning(s)${c.warn > 0 ? ' (--strict makes them failures)' : ''}, ${result.stale_expectations.length} stale expectation(s); seed ${seed}; ${(result.run.duration_ms / 1000).toFixed(1)} s`);
  return result.exit_code === 0 ? EXIT_OK : EXIT_FAILURES;
}

export const conformCommand: Command = {
  name: 'conform',
  summary: 'run the conformance suites against the reference or an adapter',
  usage: USAGE,
  run: (args) => {
    // The AWS SDK (used by the KMS service and envelope suite) warns about Node 20 on every run;
    // it says nothing about the implementation under test, so keep it out of the run's output.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    return conformMain(args).then((code) => {
      // An interrupted run may leave an abandoned test running in process: its report is written, so stop here.
      if (code === EXIT_INTERRUPTED) process.exit(code);
      return code;
    });
  },
};
