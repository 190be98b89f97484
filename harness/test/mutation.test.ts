/**
 * The mutation check (spec/models/README.md): each deliberate bug of reference/testing/mutations.ts,
 * switched on in a child process through AGENTSEC_MUTATION_FOR_TESTING_ONLY, must make the trace
 * replay fail, and the conformance suite of its area must fail tests that pass without it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MUTATIONS, type MutationName } from '../../reference/testing/mutations.js';
import type { ReplaySummary } from '../trace/corpus-replay.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const ENV = 'AGENTSEC_MUTATION_FOR_TESTING_ONLY';

/** Which model's traces and which conformance suite each mutation concerns. */
const TARGETS: Record<MutationName, { model: string; suite: string }> = {
  'dr-advance-on-failure': { model: 'double_ratchet', suite: 'session' },
  'dr-counter-not-persisted': { model: 'double_ratchet', suite: 'session' },
  'noise-nonce-advance-on-failure': { model: 'noise_handshake', suite: 'noise' },
  'env-rewrap-noop': { model: 'envelope_lifecycle', suite: 'envelope' },
};

function run(args: string[], mutation?: MutationName): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env };
  delete env[ENV];
  if (mutation) env[ENV] = mutation;
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

async function replay(model: string | undefined, mutation?: MutationName): Promise<ReplaySummary & { code: number }> {
  const r = await run(['--import', 'tsx', 'harness/trace/main.ts', '--json', ...(model ? ['--model', model] : [])], mutation);
  return { ...(JSON.parse(r.stdout) as ReplaySummary), code: r.code };
}

/** Conformance run of some suites against the reference; returns the ids of the failed tests. */
async function conform(suites: string, mutation?: MutationName): Promise<{ code: number; failed: string[]; passed: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mutation-'));
  const r = await run(['bin/agentsec.mjs', 'conform', '--suite', suites, '--quick', '--seed', '1', '--report', dir], mutation);
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { tests: { id: string; outcome: string }[] };
  return { code: r.code, failed: res.tests.filter((t) => t.outcome === 'fail').map((t) => t.id), passed: res.tests.filter((t) => t.outcome === 'pass').map((t) => t.id) };
}

describe('mutation check', () => {
  it('every mutation switch has a target', () => {
    expect(Object.keys(TARGETS).sort()).toEqual(Object.keys(MUTATIONS).sort());
  });

  // Baselines without any mutation (the whole corpus, the suites): started once, shared below.
  const baseReplay = replay(undefined);
  const baseSuites = conform([...new Set(Object.values(TARGETS).map((t) => t.suite))].join(','));

  for (const [mutation, target] of Object.entries(TARGETS) as [MutationName, { model: string; suite: string }][]) {
    it(`MODEL-044: ${mutation} makes the ${target.model} trace replay fail, and passes without it`, async () => {
      const [without, withIt] = await Promise.all([baseReplay, replay(target.model, mutation)]);
      expect(without.byModel[target.model]?.traces).toBeGreaterThan(0);
      expect(without.failed, without.findings.join('\n')).toBe(0);
      expect(without.code).toBe(0);
      expect(withIt.traces).toBe(without.byModel[target.model]?.traces);
      expect(withIt.failed).toBeGreaterThan(0);
      expect(withIt.code).toBe(1);
    });

    it(`MODEL-044: ${mutation} makes the ${target.suite} conformance suite fail tests that pass without it`, async () => {
      const [base, mutated] = await Promise.all([baseSuites, conform(target.suite, mutation)]);
      expect(mutated.code).toBe(1);
      const newlyFailing = mutated.failed.filter((id) => base.passed.includes(id));
      expect(newlyFailing.length, `failed under ${mutation}: ${mutated.failed.join(', ')}`).toBeGreaterThan(0);
    });
  }
});
