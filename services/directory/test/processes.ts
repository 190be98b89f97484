/** `agentsec directory serve` as child processes for the crash and two-process tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectoryLimits } from '../limits.js';

const ROOT = join(import.meta.dirname, '../../..');
export const children: ChildProcess[] = [];

export interface Served {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Limits for load from one test client: the per-client and per-target buckets out of the way. */
export const LOAD_LIMITS: Partial<DirectoryLimits> = { clientBurst: 1e6, clientPerSecond: 1e6, fetchesPerAgent: 1e6 };

export async function serve(store: string, limits: Partial<DirectoryLimits> = LOAD_LIMITS): Promise<Served> {
  const file = join(mkdtempSync(join(tmpdir(), 'agentsec-limits-')), 'limits.json');
  writeFileSync(file, JSON.stringify(limits));
  const child = spawn(process.execPath, [join(ROOT, 'bin/agentsec.mjs'), 'directory', 'serve', '--store', store, '--limits', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`directory exited (${code}) before printing its URL: ${err}`)));
  });
  return { child, url };
}

export async function kill9(s: Served): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = once(s.child, 'exit');
  s.child.kill('SIGKILL');
  await exited;
}

export async function stopAll(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** A small seeded generator (xorshift32), so a failing run can be repeated from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}
