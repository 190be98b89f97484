/**
 * `conform --jobs N` (CONF-074): N child `agentsec conform --worker k/N` processes (each with its
 * own implementation process) list the same plan, and this process deals its positions out one at
 * a time to whichever child asks first, so a few slow tests cannot leave one child with most of the
 * work. The children's reports are merged in plan order. Results equal those of one process: each
 * test's randomness depends only on (seed, test id).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JobWorker, RunResult, TestResult } from '../harness/conform/runner.js';
import { mergeResults, readResults } from '../harness/report/merge.js';
import { PACKAGE_ROOT } from '../reference/paths.js';

/** Flags the parent handles itself (with whether they take a value). */
const PARENT_ONLY: Record<string, boolean> = { jobs: true, report: true, 'no-report': false, 'write-expect': true, seed: true, verbose: false, 'rerun-failed': true, only: true };

/** Past every plan: the answer to a child once the plan is dealt out or the run is interrupted. */
const DONE = Number.MAX_SAFE_INTEGER;

type ToParent = { type: 'plan'; ids: string[]; listed: number } | { type: 'next' };
type ToChild = { type: 'deal'; position: number };

function childArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (name in PARENT_ONLY) {
      if (PARENT_ONLY[name] && !a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

export class JobsError extends Error {
  override name = 'JobsError';
}

// @req CONF-074
export async function runJobs(o: { args: readonly string[]; jobs: number; seed: number; only?: readonly string[]; extra?: readonly string[]; out: (l: string) => void; signal?: AbortSignal }): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-jobs-'));
  const bin = join(PACKAGE_ROOT, 'bin', 'agentsec.mjs');
  const base = [...childArgs(o.args), ...(o.extra ?? []), '--seed', String(o.seed), ...(o.only ?? []).flatMap((p) => ['--only', p])];
  const plans: Array<{ ids: string[]; listed: number } | undefined> = [];
  const children: ChildProcess[] = [];
  let dealt = 0;
  let mismatch: string | undefined;
  const live = new Set<ChildProcess>();
  const stopAll = (): void => {
    // @req CONF-108: each child writes the report of what it finished, stopping its implementation.
    for (const c of live) c.kill('SIGINT');
  };
  o.signal?.addEventListener('abort', stopAll, { once: true });
  try {
    const codes = await Promise.all(
      Array.from({ length: o.jobs }, (_, k) => {
        // Its own process group: a terminal's Ctrl-C reaches a child only through this process, once.
        const child = spawn(process.execPath, [bin, 'conform', ...base, '--worker', `${k + 1}/${o.jobs}`, '--report', join(dir, String(k + 1))], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], detached: true, env: { ...process.env, GITHUB_ACTIONS: '' } });
        children.push(child);
        live.add(child);
        child.on('message', (m: ToParent) => {
          if (m.type === 'plan') {
            plans[k] = { ids: m.ids, listed: m.listed };
            const other = plans.find((p) => p !== undefined && p.ids.join('\n') !== m.ids.join('\n'));
            if (other) {
              mismatch = `the processes of --jobs ${o.jobs} listed different tests (${other.ids.length} and ${m.ids.length}); run without --jobs`;
              stopAll();
            }
            return;
          }
          const position = o.signal?.aborted || mismatch ? DONE : dealt++;
          if (child.connected) child.send({ type: 'deal', position } satisfies ToChild);
        });
        // Failures as they happen, from every job; the summary comes from the merged result.
        createInterface({ input: child.stdout! }).on('line', (l) => {
          if (/^ {2}(FAIL|XPASS|WARN) |^ {4}reproduce: /.test(l)) o.out(l);
        });
        return new Promise<number>((res) =>
          child.on('close', (code) => {
            live.delete(child);
            res(code ?? 1);
          }),
        );
      }),
    );
    if (mismatch) throw new JobsError(mismatch);
    const bad = codes.find((c) => c > 1 && c !== 130);
    if (bad !== undefined) throw new JobsError(`a job of --jobs ${o.jobs} ended with status ${bad} (run without --jobs to see why)`);
    const parts = children.map((_, k) => readResults(join(dir, String(k + 1))));
    const merged = mergeResults(parts);
    const plan = plans.find((p) => p !== undefined);
    merged.tests = planOrder(parts.map((p) => p.tests), plan);
    if (o.signal?.aborted || parts.some((p) => p.run.interrupted)) merged.run = { ...merged.run, interrupted: true, planned: plan?.ids.length ?? 0 };
    return merged;
  } finally {
    o.signal?.removeEventListener('abort', stopAll);
    for (const c of live) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The children's results in the order one process reports them: listing results, then the plan's order. */
function planOrder(parts: ReadonlyArray<readonly TestResult[]>, plan: { ids: string[]; listed: number } | undefined): TestResult[] {
  const at = new Map<string, number>();
  plan?.ids.forEach((id, i) => at.set(id, i));
  const listed = parts[0]?.slice(0, plan?.listed ?? 0) ?? [];
  const run = [...(parts[0]?.slice(plan?.listed ?? 0) ?? []), ...parts.slice(1).flat()];
  return [...listed, ...run.map((t, i) => ({ t, i })).sort((a, b) => (at.get(a.t.id) ?? -1) - (at.get(b.t.id) ?? -1) || a.i - b.i).map((x) => x.t)];
}

/**
 * The child side of --jobs: the plan goes to the parent, positions come back. One position is
 * always asked ahead, so the next test is dealt while this one runs. The channel holds the process
 * open only while an answer is awaited; when the parent is gone the child stops at once.
 */
export function ipcWorker(index: number): JobWorker {
  const send = (m: ToParent): void => void process.send?.(m);
  const waiting: Array<(n: number) => void> = [];
  const ready: number[] = [];
  let asked = 0;
  let size = 0;
  const channel = process.channel;
  channel?.unref();
  process.on('message', (m: ToChild) => {
    if (m?.type !== 'deal') return;
    asked--;
    if (asked === 0) channel?.unref();
    const w = waiting.shift();
    if (w) w(m.position);
    else ready.push(m.position);
  });
  // The parent is gone (killed, or quit on a second Ctrl-C): nobody will read a report.
  process.on('disconnect', () => process.exit(130));
  const ask = (): void => {
    if (asked++ === 0) channel?.ref();
    send({ type: 'next' });
  };
  return {
    first: index === 1,
    plan(ids, listed) {
      size = ids.length;
      send({ type: 'plan', ids: [...ids], listed });
    },
    async next() {
      if (asked === 0 && ready.length === 0) ask();
      const n = ready.length > 0 ? ready.shift()! : await new Promise<number>((res) => waiting.push(res));
      if (n < size) ask();
      return n;
    },
  };
}
