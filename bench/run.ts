/**
 * The benchmark runner behind `agentsec bench`: collects the suites' cases, keeps those whose
 * "group/name" matches the filter, verifies each one, then times the verified ones with tinybench,
 * one group at a time in this process, and reports medians with ratios inside each group.
 */
import { Bench } from 'tinybench';
import type { BenchCase, GroupInfo, Suite, Unavailable } from './case.js';
import { environment, type Environment } from './environment.js';

export const REPORT_SCHEMA = 'agentsec-bench/1';

/**
 * What a sample measures. `wall`: elapsed time (performance.now), what a caller waits. `cpu`: CPU
 * time this process spent (process.cpuUsage, microsecond resolution), which other processes on a
 * shared machine cannot inflate; it also counts V8's helper threads (GC, compiler).
 */
export type Clock = 'wall' | 'cpu';

export interface RunOptions {
  /** Applied to "group/name". */
  readonly filter?: RegExp;
  /** The filter as the user wrote it, for the report (RegExp.source escapes '/'). */
  readonly filterText?: string;
  /** tinybench time budget per case, in ms, split over the rounds (each round also runs at least `minIterations` samples). */
  readonly timeMs: number;
  /**
   * The cases of a group are timed in this many interleaved rounds (all cases, then all again),
   * so a burst of load on a shared machine hits every case rather than one.
   */
  readonly rounds: number;
  readonly clock: Clock;
  readonly warmupMs: number;
  readonly minIterations: number;
  /**
   * Fast operations are called this many microseconds' worth of times per sample, so one
   * sample is long against the timer's cost and resolution; latencies are divided back.
   */
  readonly targetSampleUs: number;
  /** Progress lines (stderr in the CLI). */
  readonly progress?: (line: string) => void;
  /** Called with each group's result as soon as it is measured. */
  readonly onGroup?: (g: GroupResult) => void;
}

export const DEFAULT_OPTIONS: RunOptions = { timeMs: 500, rounds: 3, clock: 'wall', warmupMs: 100, minIterations: 5, targetSampleUs: 50 };

export interface CaseResult {
  /** "group/name": what --filter matches. */
  readonly id: string;
  readonly name: string;
  readonly kind: BenchCase['kind'];
  readonly verified: boolean;
  /** The correctness checks that passed before timing. */
  readonly checks: string[];
  /** Why the case failed (verification or a throw while timed); absent when it ran. */
  readonly error?: string;
  /** Operations per timed sample. */
  readonly batch?: number;
  /** Timed samples over all rounds. */
  readonly samples?: number;
  /** Median over the rounds of each round's median latency of one operation. */
  readonly latencyMedianNs?: number;
  /** Same for the 75th and 99th percentiles. */
  readonly latencyP75Ns?: number;
  readonly latencyP99Ns?: number;
  /** 1e9 / latencyMedianNs. */
  readonly opsPerSecMedian?: number;
  readonly mbPerSecMedian?: number;
  /** Each round's median ops/s, in round order: their spread shows how noisy the run was. */
  readonly opsPerSecRounds?: number[];
  /** opsPerSecMedian / the best opsPerSecMedian in the group: 1 for the fastest. */
  readonly ratioToBest?: number;
}

export interface GroupResult {
  readonly id: string;
  readonly title: string;
  readonly op: string;
  readonly bytes?: number;
  /** Name of the fastest case by median ops/s. */
  readonly best?: string;
  readonly cases: CaseResult[];
}

export interface BenchReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly filter: string | null;
  readonly options: { timeMs: number; rounds: number; clock: Clock; warmupMs: number; minIterations: number; targetSampleUs: number };
  readonly environment: Environment;
  readonly unavailable: Unavailable[];
  readonly groups: GroupResult[];
  readonly summary: { cases: number; verified: number; failed: number; timed: number };
}

export interface SuiteSource {
  readonly name: string;
  load(): Suite | Promise<Suite>;
}

let sink: unknown;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Wall time of one warm call, in microseconds: about 20 ms of calls as warm-up (JIT tiers, lazy
 * tables), then about 20 ms more (3 to 2000 calls) of which the lower quartile counts (a preempted
 * call reads long).
 */
async function probeUs(c: BenchCase): Promise<number> {
  const run = async (ms: number): Promise<number[]> => {
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 3 || (times.length < 2000 && performance.now() - start < ms)) {
      const t0 = performance.now();
      sink = c.async ? await c.fn() : c.fn();
      times.push((performance.now() - t0) * 1000);
    }
    return times;
  };
  await run(20);
  const warm = (await run(20)).sort((a, b) => a - b);
  return warm[warm.length >> 2]!;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function batchedFn(c: BenchCase, batch: number, clock: Clock): () => unknown {
  const f = c.fn;
  if (clock === 'cpu') {
    // The sample is this process's CPU time; the time budget still runs on the wall clock.
    if (c.async) {
      return async () => {
        const w0 = performance.now();
        const c0 = cpuMs();
        for (let i = 0; i < batch; i++) sink = await f();
        return { overriddenDuration: cpuMs() - c0, overriddenIterationCost: performance.now() - w0 };
      };
    }
    return () => {
      const w0 = performance.now();
      const c0 = cpuMs();
      for (let i = 0; i < batch; i++) sink = f();
      return { overriddenDuration: cpuMs() - c0, overriddenIterationCost: performance.now() - w0 };
    };
  }
  if (c.async) {
    return async () => {
      for (let i = 0; i < batch; i++) sink = await f();
    };
  }
  if (batch === 1) return () => (sink = f());
  return () => {
    for (let i = 0; i < batch; i++) sink = f();
  };
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}

export async function loadSuites(sources: readonly SuiteSource[]): Promise<Suite> {
  const cases: BenchCase[] = [];
  const groups: GroupInfo[] = [];
  const unavailable: Unavailable[] = [];
  for (const s of sources) {
    try {
      const suite = await s.load();
      cases.push(...suite.cases);
      groups.push(...suite.groups);
      unavailable.push(...suite.unavailable);
    } catch (e) {
      unavailable.push({ implementation: `${s.name} suite`, groups: [], reason: message(e) });
    }
  }
  return { cases, groups, unavailable };
}

export function selectCases(cases: readonly BenchCase[], filter: RegExp | undefined): BenchCase[] {
  return filter ? cases.filter((c) => filter.test(`${c.group}/${c.name}`)) : [...cases];
}

export async function runBench(suite: Suite, opts: RunOptions): Promise<BenchReport> {
  const started = new Date();
  const loadStart = environment().loadAverage1m;
  const selected = selectCases(suite.cases, opts.filter);
  const order = new Map(suite.groups.map((g, i) => [g.id, i]));
  const byGroup = new Map<string, BenchCase[]>();
  for (const c of selected) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c]);
  const groupIds = [...byGroup.keys()].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
  const groups: GroupResult[] = [];
  let done = 0;
  // process.cpuUsage() counts whole microseconds: longer samples keep its rounding under 0.2 %.
  const sampleUs = opts.clock === 'cpu' ? Math.max(opts.targetSampleUs, 500) : opts.targetSampleUs;
  for (const gid of groupIds) {
    const info = suite.groups.find((g) => g.id === gid) ?? { id: gid, title: gid, op: 'one operation' };
    const cases = byGroup.get(gid)!;
    const results = new Map<BenchCase, CaseResult>();
    const timed: { c: BenchCase; batch: number; checks: string[]; rounds: { p50: number; p75: number; p99: number; samples: number }[]; error?: string }[] = [];
    for (const c of cases) {
      const id = `${c.group}/${c.name}`;
      opts.progress?.(`[${++done}/${selected.length}] ${id}`);
      let checks: string[];
      try {
        checks = await c.verify();
      } catch (e) {
        results.set(c, { id, name: c.name, kind: c.kind, verified: false, checks: [], error: `verification failed: ${message(e)}` });
        continue;
      }
      let batch: number;
      try {
        const us = await probeUs(c);
        batch = Math.max(1, Math.min(4096, Math.ceil(sampleUs / Math.max(us, 0.01))));
      } catch (e) {
        results.set(c, { id, name: c.name, kind: c.kind, verified: true, checks, error: `threw when called: ${message(e)}` });
        continue;
      }
      timed.push({ c, batch, checks, rounds: [] });
    }
    const rounds = Math.max(1, opts.rounds);
    for (let round = 0; round < rounds && timed.some((t) => !t.error); round++) {
      const bench = new Bench({
        name: gid,
        time: opts.timeMs / rounds,
        // JIT warm-up once, before the first round.
        warmup: round === 0,
        warmupTime: opts.warmupMs,
        iterations: opts.minIterations,
        warmupIterations: Math.max(2, opts.minIterations >> 2),
        throws: false,
      });
      const live = timed.filter((t) => !t.error);
      for (const t of live) bench.add(t.c.name, batchedFn(t.c, t.batch, opts.clock), { async: t.c.async === true });
      await bench.run();
      for (const t of live) {
        const r = bench.getTask(t.c.name)?.result;
        if (!r || (r.state !== 'completed' && r.state !== 'aborted-with-statistics')) {
          t.error = r && r.state === 'errored' ? message(r.error) : `task ${r?.state ?? 'missing'}`;
          continue;
        }
        // Per operation: a sample times `batch` calls.
        t.rounds.push({ p50: (r.latency.p50 / t.batch) * 1e6, p75: (r.latency.p75 / t.batch) * 1e6, p99: (r.latency.p99 / t.batch) * 1e6, samples: r.latency.samplesCount });
      }
    }
    for (const { c, batch, checks, rounds: rs, error } of timed) {
      const id = `${c.group}/${c.name}`;
      if (error !== undefined || rs.length === 0) {
        results.set(c, { id, name: c.name, kind: c.kind, verified: true, checks, error: `failed while timed: ${error ?? 'no samples'}` });
        continue;
      }
      const latency = median(rs.map((r) => r.p50));
      const ops = 1e9 / latency;
      results.set(c, {
        id,
        name: c.name,
        kind: c.kind,
        verified: true,
        checks,
        batch,
        samples: rs.reduce((n, r) => n + r.samples, 0),
        latencyMedianNs: latency,
        latencyP75Ns: median(rs.map((r) => r.p75)),
        latencyP99Ns: median(rs.map((r) => r.p99)),
        opsPerSecMedian: ops,
        ...(c.bytes !== undefined ? { mbPerSecMedian: (ops * c.bytes) / 1e6 } : {}),
        opsPerSecRounds: rs.map((r) => 1e9 / r.p50),
      });
    }
    const ordered = cases.map((c) => results.get(c)!);
    const bestOps = Math.max(0, ...ordered.map((r) => r.opsPerSecMedian ?? 0));
    const best = ordered.find((r) => r.opsPerSecMedian !== undefined && r.opsPerSecMedian === bestOps);
    const withRatios = ordered.map((r) => (r.opsPerSecMedian !== undefined && bestOps > 0 ? { ...r, ratioToBest: r.opsPerSecMedian / bestOps } : r));
    const bytes = cases.find((c) => c.bytes !== undefined)?.bytes;
    const g: GroupResult = { id: gid, title: info.title, op: info.op, ...(bytes !== undefined ? { bytes } : {}), ...(best ? { best: best.name } : {}), cases: withRatios };
    groups.push(g);
    opts.onGroup?.(g);
  }
  const finished = new Date();
  const env = environment();
  const all = groups.flatMap((g) => g.cases);
  return {
    schema: REPORT_SCHEMA,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    filter: opts.filter ? (opts.filterText ?? opts.filter.source) : null,
    options: { timeMs: opts.timeMs, rounds: opts.rounds, clock: opts.clock, warmupMs: opts.warmupMs, minIterations: opts.minIterations, targetSampleUs: sampleUs },
    environment: { ...env, loadAverage1m: loadStart, loadAverage1mAtEnd: env.loadAverage1m },
    // What this run could have measured but did not: entries for the groups it ran, and whole suites.
    unavailable: suite.unavailable.filter((u) => u.groups.length === 0 || groups.some((g) => u.groups.some((p) => g.id === p || (p.endsWith('-') && g.id.startsWith(p))))),
    groups,
    summary: {
      cases: all.length,
      verified: all.filter((c) => c.verified).length,
      failed: all.filter((c) => c.error !== undefined).length,
      timed: all.filter((c) => c.opsPerSecMedian !== undefined).length,
    },
  };
}

/** Keeps the optimiser from dropping results; exported so it is observably used. */
export function lastResult(): unknown {
  return sink;
}
