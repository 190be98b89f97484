/**
 * `conform --jobs N` (CONF-074): the run split into N shards, each a child `agentsec conform --shard
 * i/N` process with the same seed (and so its own implementation process), merged into one result.
 * Results equal those of one process: each test's randomness depends only on (seed, test id).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunResult } from '../harness/conform/runner.js';
import { mergeResults, readResults } from '../harness/report/merge.js';
import { PACKAGE_ROOT } from '../reference/paths.js';

/** Flags the parent handles itself (with whether they take a value). */
const PARENT_ONLY: Record<string, boolean> = { jobs: true, report: true, 'no-report': false, 'write-expect': true, seed: true, verbose: false, 'rerun-failed': true, only: true };

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

// @req CONF-074
export async function runJobs(o: { args: readonly string[]; jobs: number; seed: number; only?: readonly string[]; extra?: readonly string[]; out: (l: string) => void }): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-jobs-'));
  const bin = join(PACKAGE_ROOT, 'bin', 'agentsec.mjs');
  const base = [...childArgs(o.args), ...(o.extra ?? []), '--seed', String(o.seed), ...(o.only ?? []).flatMap((p) => ['--only', p])];
  try {
    const codes = await Promise.all(
      Array.from({ length: o.jobs }, (_, k) => {
        const child = spawn(process.execPath, [bin, 'conform', ...base, '--shard', `${k + 1}/${o.jobs}`, '--report', join(dir, String(k + 1))], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GITHUB_ACTIONS: '' } });
        // Failures as they happen, from every job; the summary comes from the merged result.
        createInterface({ input: child.stdout }).on('line', (l) => {
          if (/^ {2}(FAIL|XPASS|WARN) |^ {4}reproduce: /.test(l)) o.out(l);
        });
        return new Promise<number>((res) => child.on('close', (code) => res(code ?? 1)));
      }),
    );
    if (codes.some((c) => c > 1)) throw new Error(`a job of --jobs ${o.jobs} ended with status ${codes.find((c) => c > 1)} (run without --jobs to see why)`);
    return mergeResults(Array.from({ length: o.jobs }, (_, k) => readResults(join(dir, String(k + 1)))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
