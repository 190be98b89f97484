/**
 * Sharding and merging: --shard i/n deals each suite's tests round-robin; `report merge` combines
 * the shard reports into counts equal to the unsharded run with the same seed; --jobs N runs shards
 * in child processes with results identical to one process; GitHub Actions annotations and summary.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { parseExpectations } from '../conform/expectations.js';
import { SeededRng } from '../conform/rng.js';
import { countOutcomes, type RunResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import { inShard, parseShard } from '../conform/shard.js';
import { githubAnnotations } from '../report/github.js';
import { writeReports } from '../report/index.js';
import { mergeResults, readResults } from '../report/merge.js';
import { toResultsJson } from '../report/results.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving-adapter.mjs', import.meta.url));
const failingCoin = (() => {
  for (let s = 1; ; s++) if (new SeededRng(s, 'fixture/random/coin').int(1000) < 500) return s;
})();
const tmp = () => mkdtempSync(join(tmpdir(), 'agentsec-shard-'));
const byId = (r: RunResult) => Object.fromEntries(r.tests.map((t) => [t.id, t.outcome]));

describe('shards', () => {
  it('CONF-071: --shard i/n parses strictly and deals every test to exactly one shard, per suite', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1/2/3', '']) expect(parseShard(bad)).toBeUndefined();
    const plan = [...Array(7).keys()].map((i) => ({ suite: { name: i < 4 ? 'a' : 'b' }, i }));
    const parts = [1, 2, 3].map((index) => inShard(plan, { index, count: 3 }).map((p) => p.i));
    expect(parts).toEqual([[0, 3, 4], [1, 5], [2, 6]]);
  });

  it('CONF-071 CONF-072: merged shard reports have the counts, ids, outcomes and stale entries of the unsharded run', async () => {
    const suites = [fixtureSuite({ echoes: 5, withFailures: true })];
    const impl = `"${process.execPath}" "${FIXTURE}" ok`;
    // A glob covering a failing test only in some shards, and one covering passes only (stale overall).
    const expectations = parseExpectations(JSON.stringify({ 'fixture/always/*': { expect: 'fail', reason: 'known' }, 'fixture/echo/*': { expect: 'fail', reason: 'was broken' } }));
    const opts = { suites, impl, seed: failingCoin, expectations };
    const whole = await runWithReference(opts);
    const dirs: string[] = [];
    for (const index of [1, 2, 3]) {
      const part = await runWithReference({ ...opts, shard: { index, count: 3 } });
      expect(part.stale_expectations.filter((e) => e.pattern.includes('*'))).toEqual([]);
      const d = tmp();
      writeReports(d, part);
      dirs.push(d);
    }
    const merged = mergeResults(dirs.map(readResults));
    expect(countOutcomes(merged.tests)).toEqual(countOutcomes(whole.tests));
    expect(byId(merged)).toEqual(byId(whole));
    expect(merged.tests.map((t) => t.id)).toEqual(whole.tests.map((t) => t.id));
    expect(merged.stale_expectations).toEqual(whole.stale_expectations);
    expect(merged.stale_expectations.map((e) => e.pattern)).toEqual(['fixture/echo/*']);
    expect(merged.exit_code).toBe(whole.exit_code);
    const json = toResultsJson(merged);
    expect(json.summary).toEqual(toResultsJson(whole).summary);
    console.log(`merge: unsharded ${JSON.stringify(toResultsJson(whole).summary)}; merged from 3 shards ${JSON.stringify(json.summary)}`);
    // Missing or foreign shards are refused.
    expect(() => mergeResults(dirs.slice(0, 2).map(readResults))).toThrow(/2 of 3 shards given/);
    const other = tmp();
    writeReports(other, await runWithReference({ ...opts, seed: failingCoin + 1, shard: { index: 3, count: 3 } }));
    expect(() => mergeResults([...dirs.slice(0, 2), other].map(readResults))).toThrow(/different runs/);
  });

  it('CONF-072: agentsec report merge writes the merged report folder of a real suite run in 2 shards', async () => {
    const { main } = await import('../../cli/main.js');
    const io = { out: () => {}, err: () => {}, tty: false };
    const root = tmp();
    const sel = ['--suite', 'noise', '--only', 'noise/vectors/*', '--seed', '77', '--quick'];
    expect(await conformMain([...sel, '--report', join(root, 'whole')], io)).toBe(0);
    for (const i of [1, 2]) expect(await conformMain([...sel, '--shard', `${i}/2`, '--report', join(root, `s${i}`)], io)).toBe(0);
    const writes: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['report', 'merge', '--out', join(root, 'merged'), join(root, 's1'), join(root, 's2')])).toBe(0);
    } finally {
      process.stdout.write = orig;
    }
    const whole = JSON.parse(readFileSync(join(root, 'whole', 'results.json'), 'utf8')) as { summary: unknown; tests: Array<{ id: string; outcome: string }> };
    const merged = JSON.parse(readFileSync(join(root, 'merged', 'results.json'), 'utf8')) as { summary: unknown; tests: Array<{ id: string; outcome: string }>; run: { shards: number } };
    expect(merged.summary).toEqual(whole.summary);
    expect(merged.run.shards).toBe(2);
    expect(merged.tests.map((t) => `${t.id} ${t.outcome}`)).toEqual(whole.tests.map((t) => `${t.id} ${t.outcome}`));
    expect(readFileSync(join(root, 'merged', 'junit.xml'), 'utf8')).toContain(`tests="${whole.tests.length}"`);
    expect(writes.join('')).toMatch(/merged 2 report\(s\): \d+ tests/);
    console.log(`report merge (noise vectors, quick, seed 77): ${JSON.stringify(merged.summary)}`);
  });
});

describe('--jobs', () => {
  it('CONF-074: --jobs 2 runs the tests in two processes with results identical to one process', async () => {
    const io = { out: () => {}, err: () => {}, tty: false };
    const root = tmp();
    const sel = ['--suite', 'noise', '--only', 'noise/vectors/*', '--seed', '78', '--quick', '--impl', 'agentsec adapter'];
    expect(await conformMain([...sel, '--report', join(root, 'one')], io)).toBe(0);
    expect(await conformMain([...sel, '--jobs', '2', '--report', join(root, 'two')], io)).toBe(0);
    const one = JSON.parse(readFileSync(join(root, 'one', 'results.json'), 'utf8')) as { summary: unknown; tests: Array<{ id: string; outcome: string; message?: string }> };
    const two = JSON.parse(readFileSync(join(root, 'two', 'results.json'), 'utf8')) as { summary: unknown; tests: Array<{ id: string; outcome: string; message?: string }>; run: { shards: number } };
    expect(two.run.shards).toBe(2);
    expect(two.summary).toEqual(one.summary);
    expect(two.tests.map((t) => [t.id, t.outcome, t.message])).toEqual(one.tests.map((t) => [t.id, t.outcome, t.message]));
  });
});

describe('GitHub Actions', () => {
  it('CONF-073: under GITHUB_ACTIONS=true each failure is an ::error annotation and the job summary is appended', async () => {
    const summary = join(tmp(), 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    // CI=true would turn the fixture's skip into a failure; this test is about the annotations.
    const saved = { a: process.env.GITHUB_ACTIONS, s: process.env.GITHUB_STEP_SUMMARY, c: process.env.CI };
    process.env.GITHUB_ACTIONS = 'true';
    process.env.GITHUB_STEP_SUMMARY = summary;
    delete process.env.CI;
    const lines: string[] = [];
    try {
      const io = { out: (l: string) => lines.push(l), err: () => {}, tty: false };
      expect(await conformMain(['--seed', String(failingCoin), '--no-report'], io, [fixtureSuite({ withFailures: true })])).toBe(1);
    } finally {
      for (const [k, v] of [['GITHUB_ACTIONS', saved.a], ['GITHUB_STEP_SUMMARY', saved.s], ['CI', saved.c]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const errors = lines.filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(2);
    expect(errors).toContainEqual(`::error title=FAIL fixture/always/fail::a <known> finding & "quotes"%0Areproduce: npx agentsec conform --only fixture/always/fail --seed ${failingCoin}`);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^# earlier step\n## agentsec conform: FAILED\n/);
    expect(md).toMatch(/\| \*\*total\*\* \| 6 \| 2 \| 0 \| 2 \|/);
    expect(md).toContain(`  npx agentsec conform --only fixture/always/fail --seed ${failingCoin}`);
    // Without GITHUB_ACTIONS nothing of this is printed.
    const plain: string[] = [];
    await conformMain(['--seed', String(failingCoin), '--no-report'], { out: (l) => plain.push(l), err: () => {}, tty: false }, [fixtureSuite({ withFailures: true })]);
    expect(plain.some((l) => l.startsWith('::'))).toBe(false);
  });

  it('CONF-073: workflow-command data is escaped (%, newlines; : and , in the title)', () => {
    const r = { run: {}, stale_expectations: [], tests: [{ id: 'a/b,c:d', suite: 'a', reqs: [], outcome: 'fail', duration_ms: 0, message: '100% bad\nline 2' }] } as unknown as RunResult;
    expect(githubAnnotations(r)).toEqual(['::error title=FAIL a/b%2Cc%3Ad::100%25 bad%0Aline 2']);
  });
});

describe('docs/github-actions.yml', () => {
  it('CONF-071 CONF-072: the workflow example runs conform in a matrix with --shard i/n and merges the shard reports', () => {
    const yml = readFileSync(fileURLToPath(new URL('../../docs/github-actions.yml', import.meta.url)), 'utf8');
    const shards = /shard: \[([0-9, ]+)\]/.exec(yml)![1]!.split(',').map((s) => Number(s.trim()));
    expect(shards).toEqual([1, 2, 3, 4]);
    expect(yml).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
    expect(yml).toContain(`agentsec report merge --out report ${shards.map((i) => `report-${i}`).join(' ')}`);
    expect(yml).toMatch(/--seed "\$SEED"/);
    // Every command line in it is one the CLI accepts (flags known to conform and report merge).
    for (const flag of yml.match(/--[a-z-]+/g) ?? []) expect(['--impl', '--seed', '--shard', '--expect', '--report', '--out', '--prefix']).toContain(flag);
  });
});
