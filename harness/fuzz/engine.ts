/**
 * The fuzz engine: fast-check generates an initial configuration and a command sequence from the
 * target's arbitraries; fc.asyncModelRun runs each command on every lane (one lane per
 * implementation) after its precondition on the model holds; each lane's answer is judged by the
 * model. A violation -- or, with two lanes, a different outcome or error kind -- fails the run, and
 * fast-check shrinks the sequence. The last failing run is the minimal counterexample.
 */
import type { AsyncCommand } from 'fast-check';
import type { Capabilities } from '../conform/types.js';
import type { FastCheck } from './fc-loader.js';
import { Violation, type FuzzTarget, type Json, type Lane, type StepData } from './kit.js';

/** Where a run gets its lane: a LaneHolder (fuzz) or the runner's adapters (conform --regressions). */
export interface LaneSource {
  readonly spec: { readonly label: string };
  ready(): Promise<Lane>;
}

type ModelRun = (setup: () => { model: FcModel; real: FcReal }, cmds: Iterable<AsyncCommand<FcModel, FcReal, boolean>>) => Promise<void>;

/** What fc.asyncModelRun does for a fixed sequence: run each command whose precondition holds. */
export const plainModelRun: ModelRun = async (setup, cmds) => {
  const { model, real } = setup();
  for (const c of cmds) if (await c.check(model)) await c.run(model, real);
};

export const DEFAULT_MAX_COMMANDS = 40;

export interface StepRecord {
  readonly step: StepData;
  /** Outcome per lane (`ok`, `refused:<kind>`, `dropped`, or `VIOLATION`). */
  readonly outcomes: string[];
}

export interface Failure {
  /** 0-based index into the executed steps; -1 when the setup (handshake, agents) failed. */
  readonly step: number;
  readonly message: string;
  readonly reqs: readonly string[];
  /** The lane(s) that violated the model, or `divergence`. */
  readonly where: string;
  readonly fault?: string;
}

export interface RunRecord {
  readonly init: Json;
  readonly steps: StepRecord[];
  failure?: Failure;
}

/** Thrown inside a run to fail it; carries the record. */
class RunFailed extends Error {
  override name = 'RunFailed';
  constructor(readonly record: RunRecord) {
    super(record.failure?.message ?? 'failed');
  }
}

interface FcModel {
  models: unknown[];
}
interface FcReal {
  lanes: Lane[];
  reals: unknown[];
  record: RunRecord;
}

function describeStep(s: StepData): string {
  const { op, ...rest } = s;
  return `${op} ${JSON.stringify(rest)}`;
}

/** Joins per-lane results of one step: a violation anywhere, or outcomes that differ, fail it. */
function judge(labels: string[], results: Array<{ text: string } | { violation: Violation }>, step: number): Failure | undefined {
  const violations = results.flatMap((r, i) => ('violation' in r ? [{ lane: labels[i]!, v: r.violation }] : []));
  if (labels.length === 1) {
    const v = violations[0];
    return v ? { step, message: v.v.message, reqs: v.v.reqs, where: v.lane, ...(v.v.fault ? { fault: v.v.fault } : {}) } : undefined;
  }
  const texts = results.map((r) => ('violation' in r ? `VIOLATION (${r.violation.message})` : r.text));
  const differs = texts.some((t) => t !== texts[0]);
  if (violations.length === 0 && !differs) return undefined;
  const reqs = [...new Set(['CONF-085', ...violations.flatMap((v) => v.v.reqs)])];
  const per = labels.map((l, i) => `${l}: ${texts[i]}`).join('; ');
  const first = violations[0];
  return { step, message: differs ? `divergence: ${per}` : `both violate the model: ${per}`, reqs, where: differs ? 'divergence' : labels.join('+'), ...(first?.v.fault ? { fault: first.v.fault } : {}) };
}

/** Runs one configuration and command sequence on all lanes; resolves with the record (failure set when it failed). */
export async function runSequence(target: FuzzTarget, holders: readonly LaneSource[], init: Json, commands: Iterable<AsyncCommand<FcModel, FcReal, boolean>>, modelRun: ModelRun): Promise<RunRecord> {
  const record: RunRecord = { init, steps: [] };
  const labels = holders.map((h) => h.spec.label);
  let lanes: Lane[];
  try {
    lanes = [];
    for (const h of holders) lanes.push(await h.ready());
  } catch (e) {
    if (e instanceof Violation) {
      record.failure = { step: -1, message: e.message, reqs: e.reqs, where: 'start', ...(e.fault ? { fault: e.fault } : {}) };
      return record;
    }
    throw e;
  }
  const models = lanes.map(() => target.model(init));
  const reals: unknown[] = [];
  try {
    const setups: Array<{ text: string } | { violation: Violation }> = [];
    for (let i = 0; i < lanes.length; i++) {
      try {
        reals[i] = await target.setup(lanes[i]!, init, models[i]);
        setups.push({ text: 'ok' });
      } catch (e) {
        if (!(e instanceof Violation)) throw e;
        setups.push({ violation: e });
      }
    }
    const setupFailure = judge(labels, setups, -1);
    if (setupFailure) {
      record.failure = setupFailure;
      return record;
    }
    // The iterable itself goes to asyncModelRun: fast-check marks which commands ran, for shrinking.
    await modelRun(() => ({ model: { models } as FcModel, real: { lanes, reals, record } as FcReal }), commands);
  } catch (e) {
    if (!(e instanceof RunFailed)) throw e;
  } finally {
    for (let i = 0; i < lanes.length; i++) {
      if (reals[i] !== undefined) await target.teardown(reals[i], lanes[i]!).catch(() => undefined);
    }
  }
  return record;
}

/** One fast-check command: a step of the target, run on every lane. */
export class StepCommand {
  constructor(
    readonly target: FuzzTarget,
    readonly step: StepData,
  ) {}

  check(m: Readonly<FcModel>): boolean {
    return this.target.check(m.models[0], this.step);
  }

  async run(m: FcModel, r: FcReal): Promise<void> {
    const results: Array<{ text: string } | { violation: Violation }> = [];
    for (let i = 0; i < r.lanes.length; i++) {
      try {
        results.push({ text: await this.target.step(m.models[i], this.step, r.reals[i], r.lanes[i]!) });
      } catch (e) {
        if (!(e instanceof Violation)) throw e;
        results.push({ violation: e });
      }
    }
    const index = r.record.steps.length;
    r.record.steps.push({ step: this.step, outcomes: results.map((x) => ('violation' in x ? 'VIOLATION' : x.text)) });
    const failure = judge(
      r.lanes.map((l) => l.label),
      results,
      index,
    );
    if (failure) {
      r.record.failure = failure;
      throw new RunFailed(r.record);
    }
  }

  toString(): string {
    return describeStep(this.step);
  }
}

export interface FuzzOptions {
  target: FuzzTarget;
  holders: readonly LaneSource[];
  fc: FastCheck;
  seed: number;
  /** Number of generated runs (before shrinking). */
  runs: number;
  /** Whole budget, shrinking included, in ms. */
  timeMs: number;
  maxCommands?: number;
  caps: Capabilities;
  refCaps?: Capabilities;
  /** Shrink a failing run (default); false stops at the first failing run (it is also the counterexample). */
  shrink?: boolean;
  /** Called after each generated or shrinking run. */
  progress?: (p: { runs: number; failing: boolean }) => void;
}

export interface FuzzResult {
  readonly target: string;
  readonly seed: number;
  /** Runs before the first failure (or all runs). */
  readonly runs: number;
  readonly shrinks: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
  /** Time until the first failing run. */
  readonly timeToFindMs?: number;
  /** The minimal failing run. */
  readonly counterexample?: RunRecord;
  /** The first failing run, before shrinking. */
  readonly original?: RunRecord;
}

// @req CONF-080 CONF-081 CONF-082 CONF-083
export async function fuzzTarget(o: FuzzOptions): Promise<FuzzResult> {
  const { fc, target } = o;
  const ctx = { caps: o.caps, ...(o.refCaps ? { refCaps: o.refCaps } : {}), differential: o.holders.length > 1 };
  const commandArb = fc.commands(
    target.steps(fc, ctx).map((a) => a.map((step) => new StepCommand(target, step))),
    { maxCommands: o.maxCommands ?? DEFAULT_MAX_COMMANDS, size: 'medium' },
  );
  const t0 = performance.now();
  let firstFailureAt: number | undefined;
  let original: RunRecord | undefined;
  let last: RunRecord | undefined;
  let runs = 0;
  const property = fc.asyncProperty(target.init(fc, ctx), commandArb, async (init, cmds) => {
    const rec = await runSequence(target, o.holders, init, cmds, (setup, c) => fc.asyncModelRun(setup, c));
    runs++;
    o.progress?.({ runs, failing: rec.failure !== undefined });
    if (rec.failure) {
      firstFailureAt ??= performance.now() - t0;
      original ??= rec;
      last = rec;
      throw new RunFailed(rec);
    }
  });
  const details = await fc.check(property, {
    seed: o.seed,
    numRuns: o.runs,
    plugins: [fc.interruptAfterTimeLimit(o.timeMs)],
    ...(o.shrink === false ? { endOnFailure: true } : {}),
    // The run's own record is what gets reported; fast-check's text would repeat it.
    includeErrorInReport: false,
  } as Parameters<typeof fc.check>[1]);
  return {
    target: target.name,
    seed: o.seed,
    runs: details.failed ? details.numRuns : runs,
    shrinks: details.numShrinks,
    interrupted: details.interrupted,
    durationMs: performance.now() - t0,
    ...(firstFailureAt !== undefined ? { timeToFindMs: firstFailureAt } : {}),
    ...(last ? { counterexample: last } : {}),
    ...(original ? { original } : {}),
  };
}
