import { describe, expect, it } from 'vitest';
import { resolveImpl } from '../../cli/conform.js';
import { countOutcomes, type RunResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import { SUITES } from '../suites/index.js';
import { sharedVectorsDir } from '../../vectors/external.js';

const SEED = 20261129;
const vectors = sharedVectorsDir();
const common = { suites: [...SUITES], seed: SEED, quick: true, ci: process.env.CI === 'true', ...(vectors ? { sharedVectorsDir: vectors } : {}) };

function outcomes(r: RunResult): Record<string, string> {
  return Object.fromEntries(r.tests.map((t) => [t.id, t.outcome]));
}

function failures(r: RunResult): string {
  return r.tests
    .filter((t) => t.outcome === 'fail' || t.outcome === 'xpass')
    .map((t) => `${t.id}: ${t.message ?? ''}\n  ${t.reproduction ?? ''}`)
    .join('\n');
}

describe('the reference against every registered suite (--quick)', async () => {
  const inProcess = await runWithReference(common);

  it('CONF-011 CONF-012: the reference in process has no unexpected failure', () => {
    console.log(`reference in process, seed ${SEED}: ${JSON.stringify(countOutcomes(inProcess.tests))} over ${SUITES.map((s) => s.name).join(', ')}`);
    expect(failures(inProcess)).toBe('');
    expect(inProcess.exit_code).toBe(0);
    expect(inProcess.tests.length).toBeGreaterThan(0);
  });

  it('CONF-008: through `agentsec adapter` in a child process every test has the same outcome', async () => {
    const child = await runWithReference({ ...common, impl: 'agentsec adapter', resolveCommand: resolveImpl, callTimeoutMs: 30_000 });
    console.log(`reference through agentsec adapter, seed ${SEED}: ${JSON.stringify(countOutcomes(child.tests))}`);
    expect(child.run.impl_name).toBe('agentsec-reference');
    expect(child.run.capabilities).toEqual(inProcess.run.capabilities);
    expect(outcomes(child), failures(child)).toEqual(outcomes(inProcess));
    expect(countOutcomes(child.tests)).toEqual(countOutcomes(inProcess.tests));
  });
});
