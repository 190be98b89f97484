/**
 * The schema against the harness's real traffic: every suite (--quick) runs through an adapter that
 * checks each request the harness sends against spec/adapter-protocol.schema.json before passing
 * it to `agentsec adapter`. Only the suites' deliberately malformed inputs may break it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runWithReference } from '../../cli/compose.js';
import { SUITES } from '../suites/index.js';
import { sharedVectorsDir } from '../../vectors/external.js';
import { contractMethods } from '../../spec/tools/adapter-protocol.js';

const PROXY = fileURLToPath(new URL('./fixtures/contract-proxy.mjs', import.meta.url));
const vectors = sharedVectorsDir();

/** Requests the suites send malformed on purpose (negative tests), by method and field. */
const DELIBERATE: Record<string, RegExp> = {
  'envelope.seal': /^\/(plaintext: must match pattern|context\/[^:]+: must be string)/,
};

describe('the harness speaks the contract', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('CONF-101: every request of every suite (--quick) matches the schema, but for deliberately malformed inputs', async () => {
    const log = join(dir, 'requests.jsonl');
    const r = await runWithReference({ suites: [...SUITES], seed: 20261206, quick: true, impl: `"${process.execPath}" "${PROXY}" "${log}"`, callTimeoutMs: 30_000, ...(vectors ? { sharedVectorsDir: vectors } : {}) });
    expect(r.exit_code).toBe(0);
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { method: string; problems: string[] });
    const broken = entries.filter((e) => e.problems.length > 0 && !(DELIBERATE[e.method] && e.problems.every((p) => DELIBERATE[e.method]?.test(p))));
    expect(broken).toEqual([]);
    const seen = new Set(entries.map((e) => e.method));
    // The suites reach every family of the contract.
    for (const family of ['hello', 'noise.', 'session.', 'envelope.', 'identity.', 'prim.']) expect([...seen].some((m) => m.startsWith(family)), family).toBe(true);
    expect([...seen].every((m) => contractMethods().includes(m))).toBe(true);
    expect(entries.length).toBeGreaterThan(500);
  });
});
