/**
 * Expectation entries: an exact id that passes is an XPASS; a glob covers the matching tests that
 * fail and leaves passing ones alone, and is stale only when no matching test failed; per-tcId
 * entries for Wycheproof; --write-expect writes a file from a run's failures.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { loadExpectations, parseExpectations } from '../conform/expectations.js';
import { SeededRng } from '../conform/rng.js';
import { type RunResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import type { Adapter } from '../conform/types.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';
import { sharedVectorsDir } from '../../vectors/external.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving-adapter.mjs', import.meta.url));
const passingCoin = (() => {
  for (let s = 1; ; s++) if (new SeededRng(s, 'fixture/random/coin').int(1000) >= 500) return s;
})();

const outcomes = (r: RunResult) => Object.fromEntries(r.tests.map((t) => [t.id, t.outcome]));
const exp = (o: Record<string, { expect: 'fail' | 'skip'; reason: string }>) => parseExpectations(JSON.stringify(o));

describe('expectation globs', () => {
  it('CONF-069: a glob turns matching failures into xfail and leaves matching passes alone; the run passes', async () => {
    const r = await runWithReference({ suites: [fixtureSuite({ withFailures: true })], seed: passingCoin, expectations: exp({ 'fixture/always/*': { expect: 'fail', reason: 'known' } }) });
    expect(outcomes(r)).toMatchObject({ 'fixture/always/fail': 'xfail', 'fixture/always/pass': 'pass' });
    expect(r.stale_expectations).toEqual([]);
    // fixture/always/skip is a skip, not a failure: it does not need the entry either.
    expect(r.exit_code).toBe(0);
  });

  it('CONF-014 CONF-069: an exact id that passes is an xpass and fails the run', async () => {
    const r = await runWithReference({ suites: [fixtureSuite()], seed: passingCoin, expectations: exp({ 'fixture/always/pass': { expect: 'fail', reason: 'was broken' } }) });
    expect(outcomes(r)['fixture/always/pass']).toBe('xpass');
    expect(r.exit_code).toBe(1);
  });

  it('CONF-069: a glob whose matching tests all ran and passed is stale; with --only leaving some out it is not judged', async () => {
    const impl = `"${process.execPath}" "${FIXTURE}" ok`;
    const e = exp({ 'fixture/echo/*': { expect: 'fail', reason: 'echo was broken' } });
    const all = await runWithReference({ suites: [fixtureSuite({ echoes: 3 })], impl, seed: passingCoin, expectations: e });
    expect(Object.values(outcomes(all)).filter((o) => o === 'xpass')).toEqual([]);
    expect(all.stale_expectations.map((s) => s.pattern)).toEqual(['fixture/echo/*']);
    expect(all.exit_code).toBe(1);
    const some = await runWithReference({ suites: [fixtureSuite({ echoes: 3 })], impl, seed: passingCoin, expectations: e, only: ['fixture/echo/1'] });
    expect(some.stale_expectations).toEqual([]);
    expect(some.exit_code).toBe(0);
    // A glob that matches no test at all is stale as before.
    const none = await runWithReference({ suites: [fixtureSuite()], seed: passingCoin, expectations: exp({ 'fixture/ghost/*': { expect: 'fail', reason: 'r' } }) });
    expect(none.stale_expectations.map((s) => s.pattern)).toEqual(['fixture/ghost/*']);
  });

  it('CONF-069 CONF-063: a per-tcId entry expects exactly one Wycheproof case to fail', async () => {
    const dir = sharedVectorsDir();
    if (!dir) return void console.warn('per-tcId expectations: skipped, the shared vectors folder is missing');
    const { primitivesSuite } = await import('../suites/primitives.js');
    // An AEAD that breaks exactly one input (tcId 1 of chacha20_poly1305: the first valid case).
    const breaksOne = async (): Promise<Adapter> => {
      const ref = await startReferenceAdapter();
      let n = 0;
      return {
        hello: ref.hello,
        stderr: () => '',
        close: () => ref.close(),
        async call(m, p) {
          const r = await ref.call(m, p);
          if (m === 'prim.aead_seal' && p.alg === 'ChaCha20-Poly1305' && n++ === 0) return { ciphertext: `00${(r as { ciphertext: string }).ciphertext.slice(2)}` };
          return r;
        },
      };
    };
    const only = ['primitives/wycheproof/chacha20_poly1305/1', 'primitives/wycheproof/chacha20_poly1305/2'];
    const r = await runWithReference({ suites: [primitivesSuite], seed: 1, sharedVectorsDir: dir, only, startIut: breaksOne, expectations: exp({ 'primitives/wycheproof/chacha20_poly1305/1': { expect: 'fail', reason: 'first byte' } }) });
    expect(outcomes(r)).toEqual({ 'primitives/wycheproof/chacha20_poly1305/1': 'xfail', 'primitives/wycheproof/chacha20_poly1305/2': 'pass' });
    expect(r.exit_code).toBe(0);
  });
});

describe('--write-expect', () => {
  it('CONF-070: writes an expectations file from the failures (message as reason) that makes the next run pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-expect-'));
    const file = join(dir, 'expect.json');
    const current = join(dir, 'current.json');
    writeFileSync(current, JSON.stringify({ 'fixture/always/skip': { expect: 'skip', reason: 'no service here' } }));
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), tty: false };
    const failing = (() => {
      for (let s = 1; ; s++) if (new SeededRng(s, 'fixture/random/coin').int(1000) < 500) return s;
    })();
    const suites = [fixtureSuite({ withFailures: true })];
    expect(await conformMain(['--seed', String(failing), '--expect', current, '--write-expect', file, '--no-report'], io, suites)).toBe(1);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { expect: string; reason: string }>;
    expect(Object.keys(written).sort()).toEqual(['fixture/always/fail', 'fixture/always/skip', 'fixture/random/coin']);
    expect(written['fixture/always/fail']).toEqual({ expect: 'fail', reason: 'a <known> finding & "quotes"' });
    expect(written['fixture/random/coin']!.reason).toMatch(/^drew \d+ \(below 500\)/);
    expect(written['fixture/always/skip']).toEqual({ expect: 'skip', reason: 'no service here' });
    expect(lines.join('\n')).toMatch(/expectations: wrote 3 entries to /);
    expect(loadExpectations(file)).toHaveLength(3);
    // The same run with the written file passes.
    expect(await conformMain(['--seed', String(failing), '--expect', file, '--no-report'], io, suites)).toBe(0);
    // A folder in its place is refused before the run.
    await expect(conformMain(['--write-expect', dir, '--no-report'], io, suites)).rejects.toThrow(/is a folder, not a file/);
  });
});
