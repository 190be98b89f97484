/**
 * Where `agentsec conform` writes, decided and checked before anything runs (CONF-066, CONF-067), and
 * what `--rerun-failed` reruns (CONF-065).
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './command.js';

/** Outcomes a rerun picks up from a previous results.json. */
const RERUN = new Set(['fail', 'xpass', 'warn']);

export interface PreviousRun {
  ids: string[];
  seed: number;
  quick: boolean;
  /** The --impl of that run, when it had one. */
  impl?: string;
}

// @req CONF-065
export function readFailed(file: string): PreviousRun {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--rerun-failed ${file}: cannot read a results.json there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const d = data as { schema?: unknown; run?: { seed?: unknown; quick?: unknown; impl?: unknown }; tests?: unknown };
  if (d?.schema !== 'agentsec-conform-results/1' || !Array.isArray(d.tests) || typeof d.run?.seed !== 'number') {
    throw new UsageError(`--rerun-failed ${file}: not an agentsec-conform-results/1 file (give the results.json of a report folder)`);
  }
  const ids = (d.tests as Array<{ id?: unknown; outcome?: unknown }>).filter((t) => typeof t.id === 'string' && RERUN.has(String(t.outcome))).map((t) => t.id as string);
  const impl = typeof d.run.impl === 'string' && d.run.impl !== 'reference (in process)' ? d.run.impl : undefined;
  return { ids, seed: d.run.seed, quick: d.run.quick === true, ...(impl !== undefined ? { impl } : {}) };
}

/** `report-<UTC time>` in the working folder, made now; a suffix when two runs start in the same second. */
function freshFolder(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let i = 1; ; i++) {
    const dir = resolve(i === 1 ? `report-${stamp}` : `report-${stamp}-${i}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create the report folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

/** A folder that can be written into: made (with parents) when missing; a file in its place is a usage error. */
export function checkDir(dir: string, flag: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir} is a file, not a folder (give a folder for the report)`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${dir}: cannot write there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A file that can be (re)written: its folder exists and is writable, and it is not a folder. */
export function checkFile(file: string, flag: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${flag} ${file} is a folder, not a file`);
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot write into ${dirname(file)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

// @req CONF-066
/**
 * The report folder of a run: none with --no-report; --report DIR when given; a new folder when the
 * run is a partial one (--only, --exclude, --rerun-failed), so the full run's ./report is kept; else ./report.
 */
export function reportFolder(o: { report?: string; noReport: boolean; partial: boolean; now?: Date }): string | undefined {
  if (o.noReport) {
    if (o.report !== undefined) throw new UsageError('--no-report and --report contradict each other (drop one)');
    return undefined;
  }
  if (o.report !== undefined) {
    const dir = resolve(o.report);
    checkDir(dir, '--report');
    return dir;
  }
  if (o.partial) return freshFolder(o.now ?? new Date());
  const dir = resolve('report');
  checkDir(dir, 'the default report folder');
  return dir;
}
