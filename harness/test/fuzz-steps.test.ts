/**
 * The fuzz steps that reach bugs only an interleaving shows: skipped keys across a restart
 * (CONF-180), a rollback to an older export (CONF-181), a slow or held KMS while the key changes
 * (CONF-182). Bounded by runs and by event gates, never by time.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzMain } from '../../cli/fuzz.js';
import { LaneHolder, loadCounterexample, replayCounterexample, type StepData } from './fuzz-helpers.js';
import { mutantCommand } from './mutants/index.js';

function io() {
  const lines: string[] = [];
  return { lines, io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) } };
}

async function findsThroughCli(name: string, op: string, reqs: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-fuzz-steps-'));
  const a = io();
  const code = await fuzzMain(['--impl', mutantCommand(name), '--target', 'session', '--seed', '1', '--runs', '300', '--report', dir], a.io);
  expect(code, a.lines.join('\n')).toBe(1);
  expect(a.lines.some((l) => /^session +FOUND after \d+ run/.test(l)), a.lines.join('\n')).toBe(true);
  // The shrunk reproduction is printed with the new step and the finding under the failing one.
  expect(a.lines.some((l) => new RegExp(`^ +\\d+\\. +${op}\\b`).test(l)), a.lines.join('\n')).toBe(true);
  expect(a.lines.some((l) => l.includes('^ message #') && l.includes('the model says it succeeds')), a.lines.join('\n')).toBe(true);
  const [file] = readdirSync(join(dir, 'fuzz'));
  const cx = loadCounterexample(join(dir, 'fuzz', file!));
  expect(cx.steps.some((s) => s.op === op)).toBe(true);
  expect(cx.failure.reqs).toEqual(expect.arrayContaining(reqs));
  expect(cx.steps.length).toBeLessThanOrEqual(cx.found.original_steps);
  // The same sequence passes on the reference: the model is right, the mutant is wrong.
  const b = io();
  expect(await fuzzMain(['--replay', join(dir, 'fuzz', file!)], b.io), b.lines.join('\n')).toBe(0);
}

describe('fuzz steps for interleavings', () => {
  it('CONF-180: overtake_restart finds skipped keys dropped from the export (rec-skipped-keys-not-persisted), shrunk and printed', async () => {
    await findsThroughCli('rec-skipped-keys-not-persisted', 'overtake_restart', ['SESS-008', 'REC-001']);
  }, 900_000);

  it('CONF-181: snapshot and rollback find a restore without rollback watermarks (dr-no-rollback-watermark), shrunk and printed', async () => {
    await findsThroughCli('dr-no-rollback-watermark', 'rollback', ['SESS-012', 'DR-016']);
  }, 900_000);

  it('CONF-182 ENV-026 KMS-052: a held KMS call is served after the change made meanwhile; a delayed one changes nothing', async () => {
    const lane = new LaneHolder({ label: 'reference' }, { kms: true, interop: false });
    try {
      const steps: StepData[] = [
        { op: 'seal', len: 5, salt: 1, ctx: 1 },
        // Rotated while the seal's KMS call waits: the new envelope is under the new version.
        { op: 'kms_hold', during: 'seal', meanwhile: 'rotate', pick: 2 },
        // Old versions retired while the open of envelope #0 (version +0) waits: refused as retired.
        { op: 'kms_hold', during: 'open', meanwhile: 'retire', pick: 0 },
        // Envelope #1 was sealed after the rotation: it still opens, slowly.
        { op: 'kms_delay', ms: 20, during: 'open', pick: 1 },
        { op: 'kms_hold', during: 'rewrap', meanwhile: 'none', pick: 1 },
        { op: 'open', pick: 2, ctx: null },
      ];
      const rec = await replayCounterexample({ target: 'envelope', init: { salt: 1 }, steps }, [lane]);
      expect(rec.failure?.message).toBeUndefined();
      expect(rec.steps.map((s) => s.outcomes[0])).toEqual(['ok', 'ok', 'refused:state_failure', 'ok', 'ok', 'ok']);
      // The gates really held the calls: without the hold the retirement comes after the open, which succeeds.
      const plain = await replayCounterexample({ target: 'envelope', init: { salt: 1 }, steps: [steps[0]!, { op: 'rotate' }, { op: 'open', pick: 0, ctx: null }, { op: 'retire' }] }, [lane]);
      expect(plain.steps.map((s) => s.outcomes[0])).toEqual(['ok', 'ok', 'ok', 'ok']);
    } finally {
      await lane.close();
    }
  }, 900_000);
});
