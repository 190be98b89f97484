/**
 * The rerun loop: selection by requirement ID and --exclude, --rerun-failed with the previous seed,
 * --no-report, partial runs writing to a new folder, output paths checked before the run, and
 * Ctrl-C (a real SIGINT to a real CLI process) writing the partial report.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { reportFolder } from '../../cli/conform-outputs.js';
import { compileSelection } from '../conform/selection.js';
import { runWithReference } from '../../cli/compose.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';
import { SeededRng } from '../conform/rng.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin', 'agentsec.mjs');
const HANGING = fileURLToPath(new URL('./fixtures/hanging-proxy.mjs', import.meta.url));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'agentsec-rerun-'));
}

function cliIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), tty: false }, out, err };
}

function seedWhereCoin(fails: boolean): number {
  for (let s = 1; ; s++) if (new SeededRng(s, 'fixture/random/coin').int(1000) < 500 === fails) return s;
}

describe('selection', () => {
  const t = (id: string, ...reqs: string[]) => ({ id, reqs });
  it('CONF-064: --only and --exclude take ids, globs and requirement IDs (and globs over them)', () => {
    const sel = (only: string[], exclude: string[] = []) => compileSelection({ only, exclude });
    expect(sel(['X3DH-009'])(t('session/a', 'X3DH-009'))).toBe(true);
    expect(sel(['X3DH-009'])(t('session/b', 'X3DH-010'))).toBe(false);
    expect(sel(['X3DH-0*'])(t('session/b', 'X3DH-010'))).toBe(true);
    expect(sel(['session/*'], ['X3DH-010'])(t('session/b', 'X3DH-010'))).toBe(false);
    expect(sel([], ['noise/*'])(t('noise/x'))).toBe(false);
    expect(sel([], ['noise/*'])(t('session/x'))).toBe(true);
    expect(sel(['noise/vectors/Noise_I?_25519'])(t('noise/vectors/Noise_IK_25519'))).toBe(true);
  });

  it('CONF-064: a run with --only <requirement ID> runs every test citing it, --exclude drops tests', async () => {
    const r = await runWithReference({ suites: [fixtureSuite({ withFailures: true })], seed: seedWhereCoin(false), only: ['CONF-011'], exclude: ['fixture/always/fail'] });
    expect(r.tests.map((x) => x.id)).toEqual(['fixture/always/pass']);
    const { io, out } = cliIo();
    expect(await conformMain(['--list', '--only', 'CONF-021,CONF-017'], io, [fixtureSuite({ withFailures: true })])).toBe(0);
    expect(out).toEqual(['fixture/random/coin  CONF-017', 'fixture/always/skip  CONF-021']);
  });
});

describe('rerun loop', () => {
  it('CONF-065 CONF-066: --rerun-failed reruns the failures with the previous seed into a new folder; the full report is kept', async () => {
    const cwd = tempDir();
    const prev = process.cwd();
    // Under CI=true a skip counts as a failure; this test is about the rerun loop, so it
    // runs the same whatever the environment.
    const ci = process.env.CI;
    delete process.env.CI;
    process.chdir(cwd);
    try {
      const seed = seedWhereCoin(true);
      const full = cliIo();
      expect(await conformMain(['--seed', String(seed)], full.io, [fixtureSuite({ withFailures: true })])).toBe(1);
      const first = JSON.parse(readFileSync(join(cwd, 'report', 'results.json'), 'utf8')) as { tests: unknown[] };
      expect(first.tests).toHaveLength(6);
      const again = cliIo();
      expect(await conformMain(['--rerun-failed', 'report/results.json'], again.io, [fixtureSuite({ withFailures: true })])).toBe(1);
      expect(again.out.join('\n')).toContain(`seed ${seed}`);
      const folders = readdirSync(cwd).filter((f) => f.startsWith('report-'));
      expect(folders).toHaveLength(1);
      const rerun = JSON.parse(readFileSync(join(cwd, folders[0]!, 'results.json'), 'utf8')) as { tests: Array<{ id: string; outcome: string }>; run: { seed: number } };
      expect(rerun.run.seed).toBe(seed);
      expect(rerun.tests.map((x) => `${x.id} ${x.outcome}`).sort()).toEqual(['fixture/always/fail fail', 'fixture/random/coin fail']);
      // The full run's report is untouched.
      expect((JSON.parse(readFileSync(join(cwd, 'report', 'results.json'), 'utf8')) as { tests: unknown[] }).tests).toHaveLength(6);
      // --no-report writes nothing at all.
      const none = cliIo();
      expect(await conformMain(['--only', 'fixture/always/pass', '--no-report'], none.io, [fixtureSuite()])).toBe(0);
      expect(readdirSync(cwd).filter((f) => f.startsWith('report-'))).toHaveLength(1);
      expect(none.out.join('\n')).not.toContain('report: ');
    } finally {
      process.chdir(prev);
      if (ci !== undefined) process.env.CI = ci;
    }
  });

  it('CONF-066: a partial run gets a folder of its own even when two start in the same second', () => {
    const cwd = tempDir();
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      const now = new Date('2026-12-05T22:10:11.123Z');
      const a = reportFolder({ noReport: false, partial: true, now });
      const b = reportFolder({ noReport: false, partial: true, now });
      expect(a).toBe(join(cwd, 'report-20261205T221011Z'));
      expect(b).toBe(join(cwd, 'report-20261205T221011Z-2'));
    } finally {
      process.chdir(prev);
    }
  });

  it('CONF-067: an output path that cannot be a report folder fails before anything runs (exit 2)', async () => {
    const file = join(tempDir(), 'taken');
    writeFileSync(file, 'x');
    const ran: string[] = [];
    const suite = { name: 'probe', description: '', tests: () => [{ id: 'probe/x', reqs: [], run: async () => void ran.push('x') }] };
    const { main } = await import('../../cli/main.js');
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['conform', '--report', file, '--suite', 'noise', '--only', 'noise/nothing'])).toBe(2);
      expect(await main(['conform', '--report', join(file, 'sub'), '--suite', 'noise'])).toBe(2);
      expect(await main(['conform', '--no-report', '--report', tempDir()])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(errs.join('')).toMatch(/--report .*taken is a file, not a folder/);
    expect(errs.join('')).toMatch(/--no-report and --report contradict/);
    const { io } = cliIo();
    await expect(conformMain(['--report', file], io, [suite])).rejects.toThrow(/is a file/);
    expect(ran).toEqual([]);
  });
});

describe('Ctrl-C', () => {
  it('CONF-068: a real SIGINT to a running conform writes the partial report and the summary of what finished', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'hanging');
    mkdirSync(join(dir, 'r'));
    // The proxy serves the reference but never answers the 7th noise.new: the run is mid-test, for sure.
    await new Promise<void>((res, rej) => spawn('mkfifo', [fifo]).on('exit', (c) => (c === 0 ? res() : rej(new Error(`mkfifo ${c}`)))));
    const impl = `"${process.execPath}" "${HANGING}" "${fifo}" 7 "${process.execPath}" "${BIN}" adapter`;
    const child = spawn(process.execPath, [BIN, 'conform', '--impl', impl, '--suite', 'noise', '--only', 'noise/vectors/*', '--seed', '9', '--timeout', '3600000', '--report', join(dir, 'r')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Opening the fifo for reading waits for the proxy to open it for writing; its line says it is hanging.
    const line = await new Promise<string>((res, rej) => {
      void exited.then((c) => rej(new Error(`conform exited (${c}) before the proxy hung:\n${stdout}\n${stderr}`)));
      let got = '';
      const s = createReadStream(fifo, { encoding: 'utf8' });
      s.on('data', (d) => (got += String(d)));
      s.on('end', () => res(got));
    });
    expect(line).toMatch(/hanging on noise.new #7/);
    child.kill('SIGINT');
    const code = await exited;
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(130);
    expect(stderr).toMatch(/interrupted; writing the report/);
    const m = /INTERRUPTED: (\d+) of (\d+) selected tests finished/.exec(stdout)!;
    const [finished, planned] = [Number(m[1]), Number(m[2])];
    expect(finished).toBeGreaterThan(0);
    expect(planned).toBeGreaterThan(finished);
    expect(stdout).toMatch(new RegExp(`total +${finished} +`));
    const r = JSON.parse(readFileSync(join(dir, 'r', 'results.json'), 'utf8')) as { run: { interrupted: boolean; planned: number }; tests: Array<{ outcome: string }> };
    expect(r.run.interrupted).toBe(true);
    expect(r.run.planned).toBe(planned);
    expect(r.tests).toHaveLength(finished);
    expect(r.tests.filter((t) => t.outcome === 'pass').length).toBeGreaterThan(0);
    expect(r.tests.every((t) => t.outcome === 'pass' || t.outcome === 'n/a')).toBe(true);
    expect(existsSync(join(dir, 'r', 'index.html'))).toBe(true);
  });

  it('CONF-108: a real SIGINT during --jobs 2 stops both implementation processes and writes the merged partial report', async () => {
    const dir = tempDir();
    const [hang, alive] = [join(dir, 'hanging'), join(dir, 'alive')];
    mkdirSync(join(dir, 'r'));
    for (const f of [hang, alive]) await new Promise<void>((res, rej) => spawn('mkfifo', [f]).on('exit', (c) => (c === 0 ? res() : rej(new Error(`mkfifo ${c}`)))));
    // Each child's proxy hangs on its own 3rd noise.new (a test makes two), holding the alive fifo open until it dies.
    const impl = `"${process.execPath}" "${HANGING}" "${hang}" 3 --alive "${alive}" "${process.execPath}" "${BIN}" adapter`;
    const child = spawn(process.execPath, [BIN, 'conform', '--jobs', '2', '--impl', impl, '--suite', 'noise', '--only', 'noise/vectors/*', '--quick', '--seed', '9', '--timeout', '3600000', '--report', join(dir, 'r')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Opened before any proxy hangs; it ends only when every proxy holding it is gone.
    const allGone = new Promise<void>((res) => createReadStream(alive).on('data', () => {}).on('end', () => res()));
    const lines: string[] = [];
    while (lines.length < 2) {
      const got = await new Promise<string>((res, rej) => {
        void exited.then((c) => rej(new Error(`conform exited (${c}) before both proxies hung:\n${stdout}\n${stderr}`)));
        let text = '';
        const s = createReadStream(hang, { encoding: 'utf8' });
        s.on('data', (d) => (text += String(d)));
        s.on('end', () => res(text));
      });
      lines.push(...got.split('\n').filter(Boolean));
    }
    // Two implementation processes, both mid-test at once.
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map((l) => /pid (\d+)/.exec(l)![1])).size).toBe(2);
    child.kill('SIGINT');
    const code = await exited;
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(130);
    await allGone;
    expect(stderr).toMatch(/interrupted; writing the report/);
    const m = /INTERRUPTED: (\d+) of (\d+) selected tests finished/.exec(stdout)!;
    const [finished, planned] = [Number(m[1]), Number(m[2])];
    expect(planned).toBe(75);
    expect(finished).toBeGreaterThan(0);
    expect(finished).toBeLessThan(planned);
    const r = JSON.parse(readFileSync(join(dir, 'r', 'results.json'), 'utf8')) as { run: { interrupted: boolean; planned: number; shards: number }; tests: Array<{ id: string; outcome: string }> };
    expect(r.run).toMatchObject({ interrupted: true, planned: 75, shards: 2 });
    expect(r.tests).toHaveLength(finished);
    expect(new Set(r.tests.map((t) => t.id)).size).toBe(finished);
    expect(r.tests.every((t) => t.outcome === 'pass' || t.outcome === 'n/a')).toBe(true);
    expect(existsSync(join(dir, 'r', 'index.html'))).toBe(true);
  });
});
