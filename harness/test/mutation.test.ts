/**
 * The mutation check (spec/conformance.md CONF-090..092, spec/models.md MODEL-044): each mutant of
 * harness/test/mutants/ (the reference with one deliberate bug, planted from test code) must make
 * the conformance suite of its area fail the tests it names, which pass on the reference, and, when
 * its area's traces exercise it, the trace replay (through the mutant's adapter, envelope traces
 * through its KEK administration) fail. The table in README "Mutation check" is
 * this file's expectations.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type RunResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import { SUITES } from '../suites/index.js';
import { replayCorpus } from '../trace/corpus-replay.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { MUTANTS, mutantCommand, startMutantAdapter, type Mutant } from './mutants/index.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const SEED = 1;

/** Conformance runs one at a time: runs in one process share the suites' services (the KMS endpoint's fault switches). */
let queue: Promise<unknown> = Promise.resolve();
function conform(suite: string, m?: Mutant): Promise<RunResult> {
  const run = queue.then(() => runWithReference({ suites: SUITES.filter((s) => s.name === suite), seed: SEED, quick: true, ...(m ? { startIut: (services) => startMutantAdapter(m, { services }) } : {}) }));
  queue = run.catch(() => undefined);
  return run;
}
const ids = (r: RunResult, outcome: string) => r.tests.filter((t) => t.outcome === outcome).map((t) => t.id);

/** Source files of the shipped folders (tests excluded). */
function shipped(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'test' && name !== 'node_modules') out.push(...shipped(p));
    } else if (/\.(ts|mjs|js)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Starts a mutant's command line and returns its answer to hello. */
function helloOver(command: string): Promise<{ name?: string; protocol?: number }> {
  return new Promise((done, fail) => {
    const child = spawn(command, { shell: true, cwd: tmpdir(), stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).once('line', (line) => {
      child.stdin.end();
      done((JSON.parse(line) as { result: { name?: string; protocol?: number } }).result);
    });
    child.once('error', fail);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol: 1 } })}\n`);
  });
}

describe('mutation check', () => {
  it('CONF-090: no shipped file plants a bug (no mutation switch, no stale-state seam)', () => {
    const files = ['reference', 'adapter', 'services', 'cli', 'protocol'].flatMap((d) => shipped(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(50);
    const hits = files.filter((f) => /AGENTSEC_MUTATION|mutationActive|staleSendForTesting|testing\/mutations/.test(readFileSync(f, 'utf8')));
    expect(hits).toEqual([]);
  });

  it('CONF-091: at least 12 mutants over every area, self-consistent ones among them, each naming what catches it', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(MUTANTS.map((m) => m.name)).size).toBe(MUTANTS.length);
    expect(new Set(MUTANTS.map((m) => m.area))).toEqual(new Set(['noise', 'ratchet', 'x3dh', 'pqxdh', 'envelope', 'records']));
    expect(MUTANTS.filter((m) => m.selfConsistent).length).toBeGreaterThanOrEqual(3);
    for (const m of MUTANTS) expect([m.name, m.caughtBy.length > 0]).toEqual([m.name, true]);
  });

  // Baselines on the reference, started once and shared below.
  const baseReplay = startReferenceAdapter().then((iut) => replayCorpus(iut).finally(() => iut.close()));
  const baseSuites = new Map<string, Promise<RunResult>>();
  const base = (suite: string) => {
    let r = baseSuites.get(suite);
    if (!r) baseSuites.set(suite, (r = conform(suite)));
    return r;
  };

  it('MODEL-044: the whole trace corpus conforms on the reference', async () => {
    const r = await baseReplay;
    expect(r.traces).toBeGreaterThan(30);
    expect(r.failed, r.findings.join('\n')).toBe(0);
  }, 900_000);

  for (const m of MUTANTS) {
    if (m.traces) {
      it(`MODEL-044: ${m.name} makes the ${m.traces} trace replay fail`, async () => {
        const iut = await startMutantAdapter(m);
        const r = await replayCorpus(iut, { model: m.traces }).finally(() => iut.close());
        expect(r.traces).toBe((await baseReplay).byModel[m.traces!]?.traces);
        expect(r.failed).toBeGreaterThan(0);
      }, 900_000);
    }

    it(`CONF-091: ${m.name} fails ${m.caughtBy.join(', ')} of the ${m.suite} suite, which pass on the reference`, async () => {
      const ref = await base(m.suite);
      const mutated = await conform(m.suite, m);
      const passedOnRef = ids(ref, 'pass');
      for (const id of m.caughtBy) expect([id, passedOnRef.includes(id)]).toEqual([id, true]);
      const failed = ids(mutated, 'fail');
      for (const id of m.caughtBy) expect([id, failed.includes(id)]).toEqual([id, true]);
      expect(mutated.exit_code).toBe(1);
    }, 900_000);
  }

  it('CONF-092: every mutant answers hello over its command line, from any working folder', async () => {
    for (const m of MUTANTS) expect(await helloOver(mutantCommand(m.name))).toMatchObject({ name: 'agentsec-reference', protocol: 1 });
  }, 900_000);

  it('CONF-092: agentsec conform --impl <mutant command> fails the test that catches it and passes without the bug', async () => {
    const run = (impl: string) =>
      new Promise<{ code: number; results: RunResult }>((done) => {
        const dir = mkdtempSync(join(tmpdir(), 'mutant-conform-'));
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'agentsec.mjs'), 'conform', '--impl', impl, '--suite', 'noise', '--only', 'noise/rekey', '--quick', '--seed', '1', '--report', dir], { cwd: ROOT, stdio: 'ignore' });
        child.once('exit', (code) => done({ code: code ?? -1, results: JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult }));
      });
    const [mutated, clean] = await Promise.all([run(mutantCommand('noise-rekey-noop')), run('agentsec adapter')]);
    expect(mutated.code).toBe(1);
    expect(mutated.results.tests.map((t) => [t.id, t.outcome])).toEqual([['noise/rekey', 'fail']]);
    expect(clean.code).toBe(0);
    expect(clean.results.tests.map((t) => [t.id, t.outcome])).toEqual([['noise/rekey', 'pass']]);
  }, 900_000);
});
