/**
 * The bench command's contract: what it verifies, what it writes, how it exits. Speed is never
 * asserted; the runs use a tiny time budget and one group.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../vectors/external.js';
import { VerificationError, type BenchCase, type Suite } from '../case.js';
import { formatGroup, formatMarkdown } from '../report.js';
import { formatSvg } from '../svg.js';
import { REPORT_SCHEMA, runBench, selectCases, type BenchReport } from '../run.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'agentsec-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'bin/agentsec.mjs'), 'bench', ...args], { cwd: REPO_ROOT, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function expectPositive(x: unknown): void {
  expect(typeof x).toBe('number');
  expect(Number.isFinite(x)).toBe(true);
  expect(x as number).toBeGreaterThan(0);
}

describe('agentsec bench (CLI)', () => {
  it('runs one filtered group, verifies every case before timing, and writes the documented JSON', async () => {
    const file = join(dir, 'aead.json');
    const svgFile = join(dir, 'run.svg');
    const r = await cli(['--filter', '^aead-seal-open-64B/', '--time', '10', '--json', file, '--svg', svgFile]);
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
    expect(report.schema).toBe(REPORT_SCHEMA);
    expect(report.filter).toBe('^aead-seal-open-64B/');
    expect(Date.parse(report.startedAt)).not.toBeNaN();
    for (const k of ['cpuModel', 'node', 'openssl', 'v8', 'arch'] as const) expect(report.environment[k]).toMatch(/\S/);
    expectPositive(report.environment.cpus);
    expect(report.environment.node).toBe(process.versions.node);
    expect(report.environment.packages['tinybench']).toBe('6.2.5');
    expect(report.groups.map((g) => g.id)).toEqual(['aead-seal-open-64B']);
    const g = report.groups[0]!;
    expect(g.bytes).toBe(64);
    // --svg: one bar per case of the group, drawn from the same run.
    expect(readFileSync(svgFile, 'utf8').match(/data-case="aead-seal-open-64B\//g)).toHaveLength(g.cases.length);
    // Both providers and the direct peers are in the same group, so ratios compare within one run.
    const names = g.cases.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['provider:noble AES-256-GCM', 'provider:noble ChaCha20-Poly1305', 'node:crypto aes-256-gcm', '@noble/ciphers chacha20poly1305']));
    expect(g.cases.some((c) => c.kind === 'provider') && g.cases.some((c) => c.kind === 'peer')).toBe(true);
    for (const c of g.cases) {
      expect(c.id).toBe(`aead-seal-open-64B/${c.name}`);
      expect(c.verified).toBe(true);
      expect(c.error).toBeUndefined();
      expect(c.checks).toEqual(expect.arrayContaining(['round-trip', 'tamper-refused']));
      expect(c.checks.some((x) => x.startsWith('known-answer '))).toBe(true);
      expectPositive(c.latencyMedianNs);
      expectPositive(c.opsPerSecMedian);
      expectPositive(c.mbPerSecMedian);
      expectPositive(c.samples);
      expectPositive(c.batch);
      expect(c.opsPerSecRounds).toHaveLength(1);
      // ops/s median is the reciprocal of the median latency; MB/s counts the message once.
      expect(c.opsPerSecMedian! * c.latencyMedianNs!).toBeCloseTo(1e9, -3);
      expect(c.mbPerSecMedian!).toBeCloseTo((c.opsPerSecMedian! * 64) / 1e6, 6);
      expect(c.ratioToBest!).toBeGreaterThan(0);
      expect(c.ratioToBest!).toBeLessThanOrEqual(1);
    }
    const best = g.cases.find((c) => c.name === g.best)!;
    expect(best.ratioToBest).toBe(1);
    expect(report.summary).toEqual({ cases: g.cases.length, verified: g.cases.length, failed: 0, timed: g.cases.length });
    // The table on stdout names the group, the machine, and each case.
    expect(r.stdout).toContain('aead-seal-open-64B');
    expect(r.stdout).toContain(`Node ${process.versions.node}`);
    for (const n of names) expect(r.stdout).toContain(n);
  });

  it('--list prints the case ids a filter selects without timing anything', async () => {
    const r = await cli(['--list', '--filter', '^x25519-dh/']);
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n');
    expect(ids).toContain('x25519-dh/provider:noble');
    expect(ids.every((id) => id.startsWith('x25519-dh/'))).toBe(true);
  });

  it('refuses bad usage with exit 2 and a one-line reason', async () => {
    const bad = await cli(['--filter', '(']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--filter is not a valid regular expression/);
    const none = await cli(['--filter', '^no-such-group/']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no benchmark matches/);
    const time = await cli(['--time', 'fast']);
    expect(time.code).toBe(2);
  });
});

describe('bench runner', () => {
  const good = (name: string): BenchCase => ({
    group: 'g',
    name,
    kind: 'peer',
    bytes: 100,
    verify: () => ['ok'],
    fn: () => new Uint8Array(8).fill(1),
  });
  const opts = { timeMs: 6, rounds: 2, clock: 'wall' as const, warmupMs: 1, minIterations: 4, targetSampleUs: 5 };

  it('does not time a case whose verification fails, and counts it as failed', async () => {
    let called = 0;
    const broken: BenchCase = {
      group: 'g',
      name: 'broken',
      kind: 'provider',
      verify: () => {
        throw new VerificationError('round trip open(seal(x)) == x: bytes differ');
      },
      fn: () => called++,
    };
    const suite: Suite = { cases: [good('a'), broken], groups: [{ id: 'g', title: 'G', op: 'one op' }], unavailable: [] };
    const report = await runBench(suite, opts);
    const c = report.groups[0]!.cases.find((x) => x.name === 'broken')!;
    expect(c.verified).toBe(false);
    expect(c.error).toMatch(/verification failed: VerificationError: round trip/);
    expect(c.opsPerSecMedian).toBeUndefined();
    expect(called).toBe(0);
    expect(report.summary.failed).toBe(1);
    expect(report.summary.timed).toBe(1);
    expect(report.groups[0]!.best).toBe('a');
    expect(formatGroup(report.groups[0]!)).toMatch(/broken\s+FAILED/);
  });

  it('records a case that throws while timed as failed, with the error', async () => {
    let n = 0;
    const flaky: BenchCase = { ...good('flaky'), fn: () => (++n > 20 ? (() => { throw new Error('state lost'); })() : n) };
    const report = await runBench({ cases: [flaky], groups: [], unavailable: [] }, opts);
    const c = report.groups[0]!.cases[0]!;
    expect(c.error).toMatch(/state lost/);
    expect(report.summary.failed).toBe(1);
  });

  it('with the CPU clock, times the same cases and records the clock', async () => {
    const report = await runBench({ cases: [good('a'), good('b')], groups: [], unavailable: [] }, { ...opts, clock: 'cpu' });
    expect(report.options.clock).toBe('cpu');
    for (const c of report.groups[0]!.cases) {
      expect(c.error).toBeUndefined();
      expect(c.latencyMedianNs!).toBeGreaterThan(0);
      expect(c.opsPerSecRounds).toHaveLength(2);
    }
  });

  it('filters on "group/name" and reports ratios to the fastest case of the group', async () => {
    const cases = [good('a'), { ...good('b'), group: 'h' }];
    expect(selectCases(cases, /^h\//).map((c) => c.name)).toEqual(['b']);
    expect(selectCases(cases, undefined)).toHaveLength(2);
    const report = await runBench({ cases, groups: [], unavailable: [] }, { ...opts, filter: /^g\/a$/ });
    expect(report.groups.map((g) => g.id)).toEqual(['g']);
    expect(report.groups[0]!.cases[0]!.ratioToBest).toBe(1);
    expect(formatMarkdown(report)).toContain('| a |');
  });

  it('--svg draws one bar per timed case, as long as its ratio to the group\'s best, and lists failed cases without a bar', async () => {
    const bad: BenchCase = { ...good('c'), verify: () => { throw new VerificationError('wrong <answer>'); } };
    const report = await runBench({ cases: [good('a'), good('b'), bad], groups: [], unavailable: [] }, opts);
    const svg = formatSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const bars = [...svg.matchAll(/<rect x="(\d+)" y="\d+" width="(\d+)" height="\d+" fill="[^"]+" data-case="([^"]+)" data-ratio="([\d.]+)"\/>/g)];
    expect(bars.map((m) => m[3])).toEqual(['g/a', 'g/b']);
    const cases = report.groups[0]!.cases;
    for (const m of bars) {
      const c = cases.find((x) => x.id === m[3])!;
      expect(Number(m[4])).toBeCloseTo(c.ratioToBest!, 3);
      expect(Number(m[2])).toBe(Math.max(1, Math.round(c.ratioToBest! * 360)));
    }
    expect(Math.max(...bars.map((m) => Number(m[2])))).toBe(360);
    expect(svg).toContain('>c</text>');
    expect(svg).toContain('FAILED');
    expect(svg).not.toContain('<answer>');
  });
});
