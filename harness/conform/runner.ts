/**
 * The conformance runner: starts the implementation under test (IUT), negotiates capabilities with
 * `hello`, runs the selected tests of each suite with a per-test seeded rng, classifies outcomes
 * (pass, fail, xfail, xpass, skip, n/a), and survives an IUT that crashes, hangs or lies.
 */
import { startProcessAdapter } from '../adapters/process.js';
import { CheckFailure, TestNotApplicable, TestSkipped, type ByteDiff } from './assert.js';
import { findExpectation, GlobLedger, isGlob, type Expectation, type GlobCount } from './expectations.js';
import { compileSelection, mayHoldSelected } from './selection.js';
import { redactLine, redactText } from './redact.js';
import { SeededRng, testSeed } from './rng.js';
import { recording, TranscriptRecorder, type Transcript } from './transcript.js';
import { inShard, type Shard } from './shard.js';
import { AdapterCallError, AdapterFault, HarnessError, type Adapter, type Capabilities, type Outcome, type Services, type Suite, type SuiteOptions, type TestCase, type TestContext } from './types.js';
import { AGENTSEC_VERSION } from '../../protocol/version.js';

export const OUTCOMES: readonly Outcome[] = ['pass', 'warn', 'fail', 'xfail', 'xpass', 'skip', 'n/a'];
export const DEFAULT_TEST_TIMEOUT_MS = 120_000;
const MAX_RESTART_FAILURES = 3;
const MAX_LOG_CHARS = 8_000;

export interface RunnerOptions {
  suites: readonly Suite[];
  /** The implementation's command line (started through the process client unless `startIut` is given). */
  impl?: string;
  seed: number;
  /** Test ids, requirement IDs or globs to run (all when absent or empty). */
  only?: readonly string[];
  /** Test ids, requirement IDs or globs not to run. */
  exclude?: readonly string[];
  /** --shard i/n: run this share of the selected tests (CONF-071). */
  shard?: Shard;
  /** Aborted (Ctrl-C): the run stops after the test in progress is abandoned, and returns what finished. */
  signal?: AbortSignal;
  quick?: boolean;
  expectations?: readonly Expectation[];
  expectationsFile?: string;
  /** Names of registered suites not selected by --suite: expectation entries under them are not stale. */
  unselectedSuites?: readonly string[];
  callTimeoutMs?: number;
  /** Longest response line accepted from the implementation. */
  maxLineBytes?: number;
  testTimeoutMs?: number;
  /** CI=true: a skip for a missing service is a failure unless CI-exempt. */
  ci?: boolean;
  sharedVectorsDir?: string;
  /** --replay-flood N, handed to the suites (SuiteOptions.replayFlood). */
  replayFlood?: number;
  /** Progress and failure lines (the terminal); nothing when absent. */
  out?: (line: string) => void;
  /** A live counter (on a terminal): called with a status line to overwrite in place. */
  status?: (line: string) => void;
  /** Starts the IUT (default: `impl` through the process client); one of the two is required. */
  startIut?: (services: Services) => Promise<Adapter>;
  /** A fresh IUT for every test (an in-process implementation, whose restart costs nothing). */
  freshIutPerTest?: boolean;
  /** How the IUT is named in results.json when `impl` is absent. */
  implLabel?: string;
  /** Starts the interop peer of a test (TestContext.reference); the caller composes it, the runner knows no implementation. */
  startPeer: (services: Services) => Promise<Adapter>;
  /** Maps `impl` to the command actually spawned (e.g. `agentsec` -> this checkout's CLI). */
  resolveCommand?: (impl: string) => string;
  /** Extra flags to put in reproduction lines (e.g. a non-default --timeout). */
  reproFlags?: readonly string[];
  /** --strict: a warning (a `warn` outcome) is a failure. */
  strict?: boolean;
  /** --jobs: this run is one of several processes dealt the same plan's tests one at a time (CONF-074). */
  worker?: JobWorker;
}

/** One of the processes of a `--jobs N` run: it runs the plan positions it is dealt. */
export interface JobWorker {
  /** The plan (selected test ids in run order) and how many listing results precede it; called once, before any test. */
  plan(ids: readonly string[], listed: number): void;
  /** The next plan position to run; positions only grow, and one at or past the plan's end means done. */
  next(): Promise<number>;
  /** Listing results (an unavailable suite) are reported by the first worker only. */
  first: boolean;
}

export interface TestResult {
  id: string;
  suite: string;
  reqs: string[];
  outcome: Outcome;
  duration_ms: number;
  message?: string;
  reproduction?: string;
  stderr?: string;
  /** For adapter faults: crash, timeout, garbage, out_of_order, bad_result. */
  fault?: AdapterFault['fault'];
  /** The reason of the expectation entry that applied. */
  expectation?: string;
  log?: string;
  /** The exchange with the implementation, for tests that did not pass (CONF-060). */
  transcript?: Transcript;
  /** Where a byte string differed from the expected one (CONF-061). */
  diff?: ByteDiff;
}

export interface StaleExpectation {
  pattern: string;
  expect: 'fail' | 'skip';
  reason: string;
}

export interface RunResult {
  run: {
    seed: number;
    impl: string;
    impl_name: string;
    impl_version: string;
    capabilities: Capabilities;
    suites: string[];
    only: string[];
    quick: boolean;
    /** Ctrl-C: the run stopped early; `tests` holds what finished of `planned` selected tests. */
    interrupted?: boolean;
    planned?: number;
    /** --shard i/n. */
    shard?: Shard;
    /** A merged report: the number of shard reports combined. */
    shards?: number;
    /** What each glob `fail` entry covered, so `report merge` can judge it over all shards (CONF-069). */
    glob_expectations?: GlobCount[];
    /** --strict: warnings were failures. */
    strict?: boolean;
    ci: boolean;
    expectations: string | null;
    started: string;
    duration_ms: number;
    node: string;
    agentsec: string;
  };
  tests: TestResult[];
  stale_expectations: StaleExpectation[];
  exit_code: 0 | 1;
}

/** The IUT could not be started at all: a configuration problem (exit 2), not a test result. */
export class ImplementationStartError extends Error {
  override name = 'ImplementationStartError';
}

export type Counts = Record<Outcome, number> & { total: number };

export function emptyCounts(): Counts {
  return { total: 0, pass: 0, warn: 0, fail: 0, xfail: 0, xpass: 0, skip: 0, 'n/a': 0 };
}

export function countOutcomes(tests: readonly TestResult[]): Counts {
  const c = emptyCounts();
  for (const t of tests) {
    c[t.outcome]++;
    c.total++;
  }
  return c;
}

/** POSIX-shell quoting for reproduction lines. */
export function shellQuote(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  if (!/["$`\\!]/.test(s)) return `"${s}"`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// @req CONF-018
export function reproductionLine(o: { impl?: string; id: string; seed: number; quick?: boolean; extra?: readonly string[] }): string {
  const parts = ['npx agentsec conform'];
  if (o.impl !== undefined) parts.push(`--impl ${shellQuote(o.impl)}`);
  parts.push(`--only ${shellQuote(o.id)}`, `--seed ${o.seed}`);
  if (o.quick) parts.push('--quick');
  parts.push(...(o.extra ?? []));
  return parts.join(' ');
}

function unavailableReason(u: NonNullable<ReturnType<NonNullable<Suite['unavailable']>>>): { reason: string; ciExempt: boolean } {
  return typeof u === 'string' ? { reason: u, ciExempt: false } : { reason: u.reason, ciExempt: u.ciExempt ?? false };
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

interface Planned {
  suite: Suite;
  test: TestCase;
}

/** Classifies what a test threw. */
/**
 * Findings the suites write are kept as written; text that comes from the implementation (its
 * errors, faults, stderr) may carry its secrets, so key-like runs are redacted before a report holds it.
 */
function classify(e: unknown): { outcome: Outcome; message: string; fault?: AdapterFault['fault']; ciExempt?: boolean } {
  const c = classifyRaw(e);
  return e instanceof CheckFailure || e instanceof TestSkipped || e instanceof TestNotApplicable ? c : { ...c, message: redactLine(c.message) };
}

function classifyRaw(e: unknown): { outcome: Outcome; message: string; fault?: AdapterFault['fault']; ciExempt?: boolean } {
  if (e instanceof CheckFailure) return { outcome: 'fail', message: e.message };
  if (e instanceof TestSkipped) return { outcome: 'skip', message: e.message, ciExempt: e.ciExempt };
  // @req CONF-152
  if (e instanceof TestNotApplicable) return { outcome: 'n/a', message: e.message };
  if (e instanceof AdapterFault) return { outcome: 'fail', message: `adapter fault (${e.fault}): ${e.message}`, fault: e.fault };
  // A request the harness itself got wrong: not a finding about the implementation (CONF-121).
  if (e instanceof HarnessError) return { outcome: 'fail', message: e.message.startsWith('harness error') ? e.message : `harness error: ${e.message}` };
  if (e instanceof AdapterCallError) {
    return { outcome: 'fail', message: `"${e.method}" refused unexpectedly with ${e.kind}${e.reason ? `/${e.reason}` : ''}: ${e.message}` };
  }
  return { outcome: 'fail', message: `error in the test: ${errorText(e)}` };
}

const MAX_WARNINGS_SHOWN = 20;

/** A passing test with warnings ends `warn`, or `fail` under --strict (CONF-041). */
function warnOutcome(warnings: readonly string[], strict: boolean): Pick<TestResult, 'outcome' | 'message'> {
  const shown = warnings.slice(0, MAX_WARNINGS_SHOWN).join('; ');
  const more = warnings.length > MAX_WARNINGS_SHOWN ? ` (and ${warnings.length - MAX_WARNINGS_SHOWN} more)` : '';
  // @req CONF-041
  if (strict) return { outcome: 'fail', message: `warning treated as a failure (--strict): ${shown}${more}` };
  return { outcome: 'warn', message: `${shown}${more}` };
}

class TestTimeout extends Error {
  override name = 'TestTimeout';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TestTimeout(`test did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Ctrl-C during a test: the test is abandoned and not reported (CONF-068). */
class Interrupted extends Error {
  override name = 'Interrupted';
}

function withAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  let onAbort: (() => void) | undefined;
  const a = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Interrupted('interrupted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, a]).finally(() => signal.removeEventListener('abort', onAbort!));
}

export async function runConformance(opts: RunnerOptions): Promise<RunResult> {
  const startedAt = Date.now();
  const out = opts.out ?? (() => {});
  const status = opts.status;
  const quick = opts.quick ?? false;
  const ci = opts.ci ?? false;
  const only = [...(opts.only ?? [])];
  const expectations = opts.expectations ?? [];
  const matched = new Set<Expectation>();
  const globs = new GlobLedger();
  const suiteOpts: SuiteOptions = { quick, ...(opts.sharedVectorsDir ? { sharedVectorsDir: opts.sharedVectorsDir } : {}), ...(opts.replayFlood !== undefined ? { replayFlood: opts.replayFlood } : {}) };
  const results: TestResult[] = [];
  const selection = { only, exclude: [...(opts.exclude ?? [])] };
  const selected = compileSelection(selection);

  const finish = (r: TestResult): TestResult => {
    const exp = findExpectation(expectations, r.id);
    if (exp) {
      matched.add(exp);
      globs.ran(exp, r.outcome === 'fail');
      // A harness error is never what an expectations file excuses (CONF-121).
      if (exp.expect === 'fail' && r.outcome === 'fail' && !r.message?.startsWith('harness error')) {
        r.outcome = 'xfail';
        r.expectation = exp.reason;
        // @req CONF-069: a glob covers the matching tests that fail; one that passes stays a pass.
      } else if (exp.expect === 'fail' && r.outcome === 'pass' && !isGlob(exp)) {
        r.outcome = 'xpass';
        r.expectation = exp.reason;
        r.message = `passed, but the expectations file says it fails (${exp.reason}): remove the entry`;
      } else if (exp.expect === 'skip' && r.outcome === 'fail' && r.message?.startsWith('skipped')) {
        // A CI skip-failure that the user declared as expected.
        r.outcome = 'skip';
        r.expectation = exp.reason;
      }
    }
    if (r.outcome === 'fail' || r.outcome === 'xpass') {
      // An xpass only shows with the expectations file that calls it a failure.
      const extra = [...(opts.reproFlags ?? []), ...(r.outcome === 'xpass' && opts.expectationsFile ? [`--expect ${shellQuote(opts.expectationsFile)}`] : [])];
      r.reproduction = reproductionLine({ ...(opts.impl !== undefined ? { impl: opts.impl } : {}), id: r.id, seed: opts.seed, quick, extra });
    }
    results.push(r);
    if (r.outcome === 'fail' || r.outcome === 'xpass') {
      status?.('');
      // Findings can quote what the implementation sent: no terminal escapes reach the terminal.
      // eslint-disable-next-line no-control-regex -- control characters are what is being neutralized
      const shown = (r.message ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      out(`  ${r.outcome.toUpperCase()} ${r.id}: ${shown}`);
      out(`    reproduce: ${r.reproduction ?? ''}`);
    }
    return r;
  };

  // 1. Which suites can run here, and their tests.
  const plan: Planned[] = [];
  const suiteOrder: Suite[] = [];
  // Suites whose tests could not be listed: their expectation entries cannot be judged stale.
  const unlisted: string[] = [];
  for (const suite of opts.suites) {
    const u = suite.unavailable?.(suiteOpts);
    if (u !== undefined) {
      const { reason, ciExempt } = unavailableReason(u);
      const id = `${suite.name}/unavailable`;
      unlisted.push(suite.name);
      if (!mayHoldSelected(selection, suite.name)) continue;
      if (ci && !ciExempt) finish({ id, suite: suite.name, reqs: ['CONF-021'], outcome: 'fail', duration_ms: 0, message: `skipped: ${reason}; under CI=true a missing service is a failure` });
      else {
        finish({ id, suite: suite.name, reqs: ['CONF-021'], outcome: 'skip', duration_ms: 0, message: reason });
        out(`  ${suite.name}: skipped: ${reason}`);
      }
      continue;
    }
    let tests: TestCase[];
    try {
      tests = await suite.tests(suiteOpts);
    } catch (e) {
      unlisted.push(suite.name);
      finish({ id: `${suite.name}/tests`, suite: suite.name, reqs: [], outcome: 'fail', duration_ms: 0, message: `the suite could not list its tests: ${errorText(e)}` });
      continue;
    }
    const seen = new Set<string>();
    for (const test of tests) {
      for (const exp of expectations) if (exp.matches(test.id)) matched.add(exp);
      if (seen.has(test.id)) {
        finish({ id: test.id, suite: suite.name, reqs: [...test.reqs], outcome: 'fail', duration_ms: 0, message: 'duplicate test id in the suite' });
        continue;
      }
      seen.add(test.id);
      globs.listed(findExpectation(expectations, test.id));
      if (selected(test)) plan.push({ suite, test });
    }
    suiteOrder.push(suite);
  }

  // Sharding: this process runs its share of each suite; listing results are reported by shard 1 only.
  if (opts.shard && opts.shard.count > 1) {
    plan.splice(0, plan.length, ...inShard(plan, opts.shard));
    if (opts.shard.index !== 1) results.splice(0);
  }
  if (opts.worker) {
    if (!opts.worker.first) results.splice(0);
    opts.worker.plan(
      plan.map((p) => p.test.id),
      results.length,
    );
  }

  // 2. Services, once per run, for the suites that have selected tests.
  const services: Services = {};
  const teardowns: Array<() => Promise<void>> = [];
  const setupFailed = new Map<string, string>();
  for (const suite of suiteOrder) {
    if (!suite.setup || !plan.some((p) => p.suite === suite)) continue;
    try {
      const s = await suite.setup(suiteOpts);
      Object.assign(services, s.services);
      teardowns.push(() => s.teardown());
    } catch (e) {
      setupFailed.set(suite.name, `the suite's service setup failed: ${errorText(e)}`);
    }
  }

  const startIut =
    opts.startIut ??
    (opts.impl !== undefined
      ? (svc: Services) => startProcessAdapter({ command: (opts.resolveCommand ?? ((c: string) => c))(opts.impl!), services: svc, ...(opts.callTimeoutMs ? { callTimeoutMs: opts.callTimeoutMs } : {}), ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}) })
      : undefined);
  if (!startIut) throw new ImplementationStartError('no implementation to test: give an implementation command (impl) or startIut');
  const freshPerTest = opts.freshIutPerTest ?? false;

  let iut: Adapter | undefined;
  let firstHello: Adapter['hello'] | undefined;
  try {
    if (plan.length > 0) {
      try {
        iut = await startIut(services);
        firstHello = iut.hello;
      } catch (e) {
        throw new ImplementationStartError(`the implementation did not start: ${e instanceof AdapterFault ? `${e.fault}: ${e.message}` : errorText(e)}`);
      }
    }
    const caps = firstHello?.capabilities ?? {};
    let restartFailures = 0;
    const bySuite = new Map<Suite, Planned[]>();
    for (const p of plan) {
      const list = bySuite.get(p.suite);
      if (list) list.push(p);
      else bySuite.set(p.suite, [p]);
    }
    let suiteIndex = 0;
    // Under --jobs: the plan position of the next test and the last position dealt to this process.
    let position = 0;
    let dealt = -1;
    for (const [suite, planned] of bySuite) {
      if (opts.signal?.aborted) break;
      suiteIndex++;
      const suiteStart = Date.now();
      let lastBeat = Date.now();
      const before = results.length;
      let done = 0;
      for (const { test } of planned) {
        if (opts.signal?.aborted) break;
        if (opts.worker) {
          // @req CONF-074: each test runs in the one process it is dealt to, whichever is free first.
          const at = position++;
          while (dealt < at) dealt = await opts.worker.next();
          if (dealt !== at) continue;
          if (opts.signal?.aborted) break;
        }
        done++;
        status?.(`[${suiteIndex}/${bySuite.size}] ${suite.name} ${done}/${planned.length}`);
        if (!status && Date.now() - lastBeat > 15_000) {
          out(`  ${suite.name}: ${done - 1}/${planned.length} tests (${Math.round((Date.now() - suiteStart) / 1000)} s)`);
          lastBeat = Date.now();
        }
        const base = { id: test.id, suite: suite.name, reqs: [...test.reqs] };
        const exp = findExpectation(expectations, test.id);
        if (exp?.expect === 'skip') {
          matched.add(exp);
          results.push({ ...base, outcome: 'skip', duration_ms: 0, message: `skipped by the expectations file: ${exp.reason}`, expectation: exp.reason });
          continue;
        }
        const setupError = setupFailed.get(suite.name);
        if (setupError) {
          finish({ ...base, outcome: 'fail', duration_ms: 0, message: setupError });
          continue;
        }
        let applies: true | string;
        try {
          applies = test.applies ? test.applies(caps) : true;
        } catch (e) {
          finish({ ...base, outcome: 'fail', duration_ms: 0, message: `error in the test's applies(): ${errorText(e)}` });
          continue;
        }
        // @req CONF-010
        if (applies !== true) {
          finish({ ...base, outcome: 'n/a', duration_ms: 0, message: applies });
          continue;
        }
        // A fresh implementation when the last one faulted (or per test, in process).
        if (!iut || iut.healthy === false || freshPerTest) {
          if (restartFailures >= MAX_RESTART_FAILURES) {
            finish({ ...base, outcome: 'fail', duration_ms: 0, message: `not run: the implementation could not be restarted ${MAX_RESTART_FAILURES} times in a row` });
            continue;
          }
          if (iut) await iut.close();
          try {
            iut = await startIut(services);
            restartFailures = 0;
          } catch (e) {
            restartFailures++;
            iut = undefined;
            const c = classify(e);
            finish({ ...base, outcome: 'fail', duration_ms: 0, message: `the implementation could not be restarted: ${c.message}`, ...(c.fault ? { fault: c.fault } : {}) });
            continue;
          }
        }
        const adapter = iut;
        adapter.drainStderr?.();
        const logs: string[] = [];
        const warnings: string[] = [];
        const exchange = new TranscriptRecorder();
        let diff: ByteDiff | undefined;
        let reference: Adapter | undefined;
        const t0 = performance.now();
        let r: TestResult;
        try {
          reference = await opts.startPeer(services);
          const ctx: TestContext = {
            iut: recording(adapter, exchange),
            reference,
            seed: testSeed(opts.seed, test.id),
            runSeed: opts.seed,
            rng: new SeededRng(opts.seed, test.id),
            services,
            quick,
            log: (line) => logs.push(line),
            warn: (finding) => {
              warnings.push(finding);
            },
          };
          await withAbort(withTimeout(test.run(ctx), test.timeoutMs ?? opts.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS), opts.signal);
          r = { ...base, outcome: 'pass', duration_ms: 0 };
        } catch (e) {
          if (e instanceof Interrupted) {
            // @req CONF-068
            await reference?.close();
            await adapter.close();
            break;
          }
          const c = classify(e);
          if (e instanceof CheckFailure) diff = e.diff;
          if (e instanceof TestTimeout) {
            c.message = e.message;
            // The IUT may still be busy with the abandoned test: never reuse it.
            await adapter.close();
          }
          r = { ...base, outcome: c.outcome, duration_ms: 0, message: c.message, ...(c.fault ? { fault: c.fault } : {}) };
          if (c.outcome === 'skip' && ci && !c.ciExempt) {
            r.outcome = 'fail';
            r.message = `skipped: ${c.message}; under CI=true a missing service is a failure`;
          }
        }
        r.duration_ms = Math.round((performance.now() - t0) * 10) / 10;
        // @req CONF-040
        if (r.outcome === 'pass' && warnings.length > 0) r = { ...r, ...warnOutcome(warnings, opts.strict ?? false) };
        // A fault noticed after the test's last answer (e.g. an unsolicited line) still belongs to it.
        if (r.outcome === 'pass' && adapter.healthy === false && adapter.failure) {
          r = { ...r, outcome: 'fail', message: redactLine(`adapter fault (${adapter.failure.fault}): ${adapter.failure.message}`), fault: adapter.failure.fault };
        }
        await reference?.close();
        if (adapter.healthy === false) await adapter.close();
        const stderr = redactText(adapter.drainStderr?.() ?? '');
        if (stderr && (r.outcome === 'fail' || r.outcome === 'xfail' || r.outcome === 'xpass' || r.fault)) r.stderr = stderr;
        // Failing and warning tests keep what they exchanged; passes and skips do not.
        const keep = r.outcome !== 'pass' && r.outcome !== 'skip' && r.outcome !== 'n/a';
        if (keep && exchange.size > 0) r.transcript = exchange.take();
        if (keep && diff) r.diff = diff;
        if (logs.length > 0) {
          const text = logs.join('\n');
          r.log = text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}\n[... log truncated]` : text;
        }
        finish(r);
      }
      status?.('');
      const c = countOutcomes(results.slice(before));
      out(`[${suiteIndex}/${bySuite.size}] ${suite.name.padEnd(12)} ${String(c.total).padStart(5)} tests  ${OUTCOMES.map((o) => `${c[o]} ${o}`).join(', ')}  (${((Date.now() - suiteStart) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await iut?.close();
    for (const t of teardowns.reverse()) {
      try {
        await t();
      } catch (e) {
        out(`warning: a service teardown failed: ${errorText(e)}`);
      }
    }
  }

  const unselected = [...(opts.unselectedSuites ?? []), ...unlisted];
  // @req CONF-016
  const staleGlobs = new Set(globs.stale());
  const stale = expectations
    .filter((e) => (!matched.has(e) || staleGlobs.has(e)) && !unselected.some((s) => e.pattern.startsWith(`${s}/`)))
    .map((e) => ({ pattern: e.pattern, expect: e.expect, reason: e.reason }));
  const c = countOutcomes(results);
  return {
    run: {
      seed: opts.seed,
      impl: opts.impl ?? opts.implLabel ?? 'in process',
      impl_name: firstHello?.name ?? '',
      impl_version: firstHello?.version ?? '',
      capabilities: firstHello?.capabilities ?? {},
      suites: opts.suites.map((s) => s.name),
      only,
      quick,
      strict: opts.strict ?? false,
      ci,
      expectations: opts.expectationsFile ?? null,
      ...(opts.signal?.aborted ? { interrupted: true, planned: plan.length } : {}),
      ...(opts.shard && opts.shard.count > 1 ? { shard: { ...opts.shard } } : {}),
      ...(globs.size > 0 ? { glob_expectations: globs.report() } : {}),
      started: new Date(startedAt).toISOString(),
      duration_ms: Date.now() - startedAt,
      node: process.version,
      agentsec: AGENTSEC_VERSION,
    },
    tests: results,
    stale_expectations: stale,
    exit_code: c.fail > 0 || c.xpass > 0 || stale.length > 0 ? 1 : 0,
  };
}
