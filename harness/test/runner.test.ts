import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { parseExpectations, ExpectationsError } from '../conform/expectations.js';
import { compilePattern } from '../conform/match.js';
import { SeededRng, testSeed } from '../conform/rng.js';
import { countOutcomes, type TestResult } from '../conform/runner.js';
import { runWithReference, type ReferenceRunOptions } from '../../cli/compose.js';
import type { Suite } from '../conform/types.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';

/** Seeds for which the fixture coin fails (drew < 500) or passes. */
function seedWhereCoin(fails: boolean, from = 1): number {
  for (let s = from; ; s++) if (new SeededRng(s, 'fixture/random/coin').int(1000) < 500 === fails) return s;
}

const run = (o: Partial<ReferenceRunOptions> & { suites: Suite[] }) => runWithReference({ seed: seedWhereCoin(false), ...o });
const byId = (tests: TestResult[]) => Object.fromEntries(tests.map((t) => [t.id, t]));

function cliIo() {
  const lines: string[] = [];
  return { io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`), tty: false }, lines };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'agentsec-conform-'));
}

describe('runner outcomes', () => {
  it('CONF-010 CONF-011: pass, fail, skip and n/a (unclaimed capability) against the reference in process', async () => {
    const r = await run({ suites: [fixtureSuite({ echoes: 2, withFailures: true })] });
    const t = byId(r.tests);
    expect(t['fixture/echo/1']?.outcome).toBe('n/a');
    expect(t['fixture/echo/1']?.message).toMatch(/does not claim the fixture capability/);
    expect(t['fixture/needs/nope']?.outcome).toBe('n/a');
    expect(t['fixture/always/pass']?.outcome).toBe('pass');
    expect(t['fixture/random/coin']?.outcome).toBe('pass');
    expect(t['fixture/always/fail']?.outcome).toBe('fail');
    expect(t['fixture/always/fail']?.message).toBe('a <known> finding & "quotes"');
    expect(t['fixture/always/skip']?.outcome).toBe('skip');
    expect(r.exit_code).toBe(1);
    expect(r.run.impl_name).toBe('agentsec-reference');
    const c = countOutcomes(r.tests);
    expect(c).toMatchObject({ total: 8, pass: 3, fail: 1, skip: 1, 'n/a': 3 });
  });

  it('CONF-012: a run with only passes, n/a and skips exits 0', async () => {
    const r = await run({ suites: [fixtureSuite({ echoes: 1 })] });
    expect(countOutcomes(r.tests).fail).toBe(0);
    expect(r.exit_code).toBe(0);
  });

  it('CONF-020: a test that does not finish within the per-test timeout fails and the run goes on', async () => {
    const hang: Suite = {
      name: 'hang',
      description: '',
      tests: () => [
        { id: 'hang/forever', reqs: ['CONF-020'], run: () => new Promise(() => {}) },
        { id: 'hang/after', reqs: ['CONF-020'], run: async () => {} },
      ],
    };
    const r = await run({ suites: [hang], testTimeoutMs: 200 });
    expect(byId(r.tests)['hang/forever']).toMatchObject({ outcome: 'fail', message: 'test did not finish within 200 ms' });
    expect(byId(r.tests)['hang/after']?.outcome).toBe('pass');
  });

  it('CONF-011: an exception that is not a check failure is a fail naming the error', async () => {
    const boom: Suite = { name: 'boom', description: '', tests: () => [{ id: 'boom/x', reqs: [], run: async () => { throw new TypeError('oops'); } }] };
    const r = await run({ suites: [boom] });
    expect(r.tests[0]).toMatchObject({ outcome: 'fail', message: 'error in the test: TypeError: oops' });
  });
});

describe('missing services', () => {
  it('CONF-021: an unavailable suite is skipped with its reason; under CI=true that is a failure', async () => {
    const local = await run({ suites: [fixtureSuite({ unavailable: 'swtpm not installed (apt-get install swtpm)' })] });
    expect(local.tests).toEqual([expect.objectContaining({ id: 'fixture/unavailable', outcome: 'skip', message: 'swtpm not installed (apt-get install swtpm)' })]);
    expect(local.exit_code).toBe(0);
    const ci = await run({ suites: [fixtureSuite({ unavailable: 'swtpm not installed' })], ci: true });
    expect(ci.tests[0]).toMatchObject({ outcome: 'fail' });
    expect(ci.tests[0]?.message).toMatch(/under CI=true a missing service is a failure/);
    expect(ci.exit_code).toBe(1);
  });

  it('CONF-021: a CI-exempt reason (LocalStack) stays a skip under CI=true', async () => {
    const r = await run({ suites: [fixtureSuite({ unavailable: { reason: 'no LocalStack image', ciExempt: true } })], ci: true });
    expect(r.tests[0]).toMatchObject({ outcome: 'skip', message: 'no LocalStack image' });
    expect(r.exit_code).toBe(0);
  });

  it('CONF-021: a test that skips itself fails under CI=true', async () => {
    const r = await run({ suites: [fixtureSuite({ withFailures: true })], ci: true, only: ['fixture/always/skip'] });
    expect(r.tests[0]).toMatchObject({ id: 'fixture/always/skip', outcome: 'fail' });
  });

  it('CONF-022: suite services start once per run, reach the tests and hello, and are torn down', async () => {
    const events: string[] = [];
    const services = { kms: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', key_id: 'k' } };
    const r = await run({ suites: [fixtureSuite({ services, events })] });
    expect(byId(r.tests)['fixture/services/seen']?.outcome).toBe('pass');
    expect(events).toEqual(['setup', 'teardown']);
    const none: string[] = [];
    await run({ suites: [fixtureSuite({ services, events: none })], only: ['nothing/*'] });
    expect(none).toEqual([]);
  });
});

describe('expectations', () => {
  it('CONF-013: the file format is checked (bad JSON, bad expect, missing reason)', () => {
    expect(() => parseExpectations('{')).toThrow(ExpectationsError);
    expect(() => parseExpectations('{"a": {"expect": "pass", "reason": "x"}}')).toThrow(/"fail" or "skip"/);
    expect(() => parseExpectations('{"a": {"expect": "fail"}}')).toThrow(/reason/);
    expect(() => parseExpectations('{"a": {"expect": "fail", "reason": "x", "extra": 1}}')).toThrow(/unknown field/);
    expect(parseExpectations('{"noise/*": {"expect": "skip", "reason": "later"}}')[0]?.matches('noise/a/b')).toBe(true);
  });

  it('CONF-014: an expected failure is xfail and the run passes', async () => {
    const exp = parseExpectations(JSON.stringify({ 'fixture/always/*': { expect: 'fail', reason: 'known bug #12' }, 'fixture/always/pass': { expect: 'fail', reason: 'exact wins' } }));
    const r = await run({ suites: [fixtureSuite({ withFailures: true })], expectations: exp, only: ['fixture/always/fail'] });
    expect(r.tests[0]).toMatchObject({ outcome: 'xfail', expectation: 'known bug #12', message: 'a <known> finding & "quotes"' });
    expect(r.exit_code).toBe(0);
  });

  it('CONF-014: an unexpected pass is xpass and fails the run', async () => {
    const exp = parseExpectations(JSON.stringify({ 'fixture/always/pass': { expect: 'fail', reason: 'was broken' } }));
    const r = await run({ suites: [fixtureSuite()], expectations: exp });
    expect(byId(r.tests)['fixture/always/pass']).toMatchObject({ outcome: 'xpass' });
    expect(byId(r.tests)['fixture/always/pass']?.reproduction).toMatch(/--only fixture\/always\/pass/);
    expect(r.exit_code).toBe(1);
  });

  it('CONF-014 CONF-018: the reproduction of an xpass carries the expectations file, and reproduces it', async () => {
    const file = join(tempDir(), 'expect me.json');
    writeFileSync(file, JSON.stringify({ 'fixture/always/pass': { expect: 'fail', reason: 'was broken' } }));
    const { io, lines } = cliIo();
    const seed = String(seedWhereCoin(false));
    expect(await conformMain(['--expect', file, '--seed', seed, '--report', tempDir()], io, [fixtureSuite()])).toBe(1);
    const repro = lines.find((l) => l.includes('reproduce: '))!.split('reproduce: ')[1]!;
    expect(repro).toBe(`npx agentsec conform --only fixture/always/pass --seed ${seed} --expect "${file}"`);
    const again = cliIo();
    expect(await conformMain(['--only', 'fixture/always/pass', '--seed', seed, '--expect', file, '--report', tempDir()], again.io, [fixtureSuite()])).toBe(1);
    expect(again.lines.join('\n')).toContain('XPASS fixture/always/pass');
  });

  it('CONF-015: an expected skip is not run', async () => {
    let ran = false;
    const s: Suite = { name: 's', description: '', tests: () => [{ id: 's/hangs', reqs: [], run: async () => void (ran = true) }] };
    const r = await run({ suites: [s], expectations: parseExpectations('{"s/hangs": {"expect": "skip", "reason": "hangs the IUT"}}') });
    expect(ran).toBe(false);
    expect(r.tests[0]).toMatchObject({ outcome: 'skip', expectation: 'hangs the IUT' });
    expect(r.exit_code).toBe(0);
  });

  it('CONF-016: a stale entry fails the run; entries for unselected suites are not stale', async () => {
    const exp = parseExpectations(JSON.stringify({ 'fixture/gone': { expect: 'fail', reason: 'fixed long ago' }, 'noise/x': { expect: 'fail', reason: 'other suite' } }));
    const r = await run({ suites: [fixtureSuite()], expectations: exp, unselectedSuites: ['noise'] });
    expect(r.stale_expectations).toEqual([{ pattern: 'fixture/gone', expect: 'fail', reason: 'fixed long ago' }]);
    expect(countOutcomes(r.tests).fail).toBe(0);
    expect(r.exit_code).toBe(1);
  });

  it('CONF-016: with --only, entries matching tests outside the selection are not stale', async () => {
    const exp = parseExpectations(JSON.stringify({ 'fixture/always/fail': { expect: 'fail', reason: 'known' } }));
    const r = await run({ suites: [fixtureSuite({ withFailures: true })], expectations: exp, only: ['fixture/always/pass'] });
    expect(r.stale_expectations).toEqual([]);
    expect(r.exit_code).toBe(0);
  });
});

describe('seeds and reproduction', () => {
  it('CONF-017: the per-test rng depends only on (seed, test id)', () => {
    const a = new SeededRng(7, 'x/y');
    const b = new SeededRng(7, 'x/y');
    expect(a.bytes(40)).toEqual(b.bytes(40));
    expect(new SeededRng(7, 'x/y').bytes(8)).not.toEqual(new SeededRng(8, 'x/y').bytes(8));
    expect(new SeededRng(7, 'x/y').bytes(8)).not.toEqual(new SeededRng(7, 'x/z').bytes(8));
    expect(testSeed(7, 'x/y')).toBe(testSeed(7, 'x/y'));
    const r = new SeededRng(1, 'ints');
    for (let i = 0; i < 200; i++) expect(r.int(3)).toBeLessThan(3);
    expect(new SeededRng(1, 's').shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('CONF-017 CONF-018: a failing randomized test prints a reproduction line, and that line reproduces it', async () => {
    const seed = seedWhereCoin(true);
    const full = await runWithReference({ suites: [fixtureSuite({ echoes: 3, withFailures: true })], seed });
    const coin = byId(full.tests)['fixture/random/coin']!;
    expect(coin.outcome).toBe('fail');
    expect(coin.reproduction).toBe(`npx agentsec conform --only fixture/random/coin --seed ${seed}`);
    // Run exactly that command line through the CLI.
    const { io, lines } = cliIo();
    const args = coin.reproduction!.replace(/^npx agentsec conform /, '').split(' ');
    const code = await conformMain([...args, '--report', tempDir()], io, [fixtureSuite({ echoes: 3, withFailures: true })]);
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain(`FAIL fixture/random/coin: ${coin.message}`);
    // Another seed draws differently.
    const other = await runWithReference({ suites: [fixtureSuite()], seed: seedWhereCoin(false), only: ['fixture/random/coin'] });
    expect(other.tests[0]?.outcome).toBe('pass');
  });

  it('CONF-018: reproduction lines quote the --impl command and carry --quick', async () => {
    const { reproductionLine } = await import('../conform/runner.js');
    expect(reproductionLine({ impl: 'agentsec adapter', id: 'a/b', seed: 3, quick: true })).toBe('npx agentsec conform --impl "agentsec adapter" --only a/b --seed 3 --quick');
    expect(reproductionLine({ impl: `sh -c 'echo "$X"'`, id: 'a/b', seed: 3 })).toBe(`npx agentsec conform --impl 'sh -c '\\''echo "$X"'\\''' --only a/b --seed 3`);
  });
});

describe('selection and CLI', () => {
  it('CONF-019: --only takes ids and globs', () => {
    expect(compilePattern('noise/*')('noise/vectors/x')).toBe(true);
    expect(compilePattern('noise/*')('session/x')).toBe(false);
    expect(compilePattern('noise/vectors/Noise_I?_25519')('noise/vectors/Noise_IK_25519')).toBe(true);
    expect(compilePattern('a.b')('axb')).toBe(false);
  });

  it('CONF-012 CONF-019: bad usage exits 2 with a one-line reason', async () => {
    const { main } = await import('../../cli/main.js');
    const errs: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['conform', '--suite', 'nosuch'])).toBe(2);
      expect(await main(['conform', '--seed', '-4'])).toBe(2);
      expect(await main(['conform', '--seed', '99999999999'])).toBe(2);
      const bad = join(tempDir(), 'bad.json');
      writeFileSync(bad, '{"x": {"expect": "maybe", "reason": "r"}}');
      expect(await main(['conform', '--expect', bad])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    const none = cliIo();
    expect(await conformMain(['--only', 'fixture/typo', '--report', tempDir()], none.io, [fixtureSuite()])).toBe(2);
    expect(none.lines.join('\n')).toMatch(/--only fixture\/typo matched no test/);
    expect(errs.join('')).toMatch(/unknown suite "nosuch"/);
    expect(errs.join('')).toMatch(/--seed must be an integer/);
    expect(errs.join('')).toMatch(/"expect" must be "fail" or "skip"/);
  });

  it('CONF-019: --list prints the selected ids with their requirements and runs nothing', async () => {
    const { io, lines } = cliIo();
    expect(await conformMain(['--list', '--only', 'fixture/always/*'], io, [fixtureSuite({ withFailures: true })])).toBe(0);
    expect(lines).toEqual(['fixture/always/pass  CONF-011', 'fixture/always/fail  CONF-011', 'fixture/always/skip  CONF-021']);
  });

  it('CONF-027: the terminal shows the seed, a line per suite and a summary table', async () => {
    const { io, lines } = cliIo();
    const code = await conformMain(['--seed', String(seedWhereCoin(false)), '--report', tempDir()], io, [fixtureSuite({ echoes: 1 })]);
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/seed \d+ \(replay this run with --seed \d+\)/);
    expect(text).toMatch(/\[1\/1\] fixture +5 tests +3 pass, 0 warn, 0 fail, 0 xfail, 0 xpass, 0 skip, 2 n\/a/);
    expect(text).toMatch(/suite +tests +pass +warn +fail +xfail +xpass +skip +n\/a/);
    expect(text).toMatch(/total +5 +3 +0 +0 +0 +0 +0 +2/);
    expect(text).toMatch(/^PASSED/m);
  });
});
