import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkModel, MODELS, type ModelReport } from '../tools/quint.js';

const MODELS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'models');

/** The requirement of each invariant (spec/models.md). */
const REQ_OF: Record<string, string> = {
  'noise_handshake.nonceNeverReused': 'MODEL-010',
  'noise_handshake.noNonceWrap': 'MODEL-011',
  'noise_handshake.turnTaking': 'MODEL-012',
  'noise_handshake.failedIsTerminal': 'MODEL-013',
  'noise_handshake.refusalChangesNothing': 'MODEL-014',
  'noise_handshake.tamperedChangesNothing': 'MODEL-015',
  'noise_handshake.agreement': 'MODEL-016',
  'double_ratchet.noDoubleAccept': 'MODEL-020',
  'double_ratchet.tamperedChangesNothing': 'MODEL-021',
  'double_ratchet.refusalChangesNothing': 'MODEL-022',
  'double_ratchet.keyNeverReused': 'MODEL-023',
  'double_ratchet.inOrderAccepted': 'MODEL-024',
  'double_ratchet.skippedKeysSound': 'MODEL-025',
  'envelope_lifecycle.currentNeverRetired': 'MODEL-030',
  'envelope_lifecycle.liveAlwaysReadable': 'MODEL-031',
  'envelope_lifecycle.staleUnreadable': 'MODEL-032',
  'envelope_lifecycle.genuineOpens': 'MODEL-033',
  'envelope_lifecycle.tamperedNeverOpens': 'MODEL-034',
  'envelope_lifecycle.rewrapPreservesPayload': 'MODEL-035',
  'envelope_lifecycle.retiredAfterGrace': 'MODEL-036',
};

describe('Quint models (a cheap spec check: full tests, a twentieth of the simulation; the typecheck runs inside quint test)', () => {
  // One run for the three models, in parallel; each `it` reads its model's report.
  const reports = Promise.all(MODELS.map((m) => checkModel(MODELS_DIR, m, { scale: 0.05, skipTypecheck: true })));
  const report = async (name: string): Promise<ModelReport> => (await reports).find((r) => r.name === name)!;

  it('every simulated invariant is a requirement of spec/models.md', () => {
    const simulated = MODELS.flatMap((m) => m.invariants.map((i) => `${m.name}.${i}`)).sort();
    expect(simulated).toEqual(Object.keys(REQ_OF).sort());
  });

  for (const [name, ids] of [
    ['noise_handshake', 'MODEL-001 MODEL-010 MODEL-011 MODEL-012 MODEL-013 MODEL-014 MODEL-015 MODEL-016'],
    ['double_ratchet', 'MODEL-001 MODEL-020 MODEL-021 MODEL-022 MODEL-023 MODEL-024 MODEL-025'],
    ['envelope_lifecycle', 'MODEL-001 MODEL-030 MODEL-031 MODEL-032 MODEL-033 MODEL-034 MODEL-035 MODEL-036'],
  ] as const) {
    it(`${ids}: ${name} typechecks, its tests pass, its invariants hold in simulation`, async () => {
      const r = await report(name);
      expect(r.typecheck.code, r.typecheck.out).toBe(0);
      expect(r.tests?.code, r.tests?.out).toBe(0);
      expect(r.tests?.passed).toBeGreaterThanOrEqual(6);
      expect(r.simulation?.out).toMatch(/No violation found/);
      expect(r.ok).toBe(true);
    });
  }

  it('MODEL-002: a violated invariant fails the check and shows the trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qnt-'));
    writeFileSync(
      join(dir, 'counter.qnt'),
      'module counter {\n  var x: int\n  action init = x\' = 0\n  action step = x\' = x + 1\n  val small: bool = x < 3\n  run upTest = init.then(step).expect(x == 1)\n}\n',
    );
    const r = await checkModel(dir, { name: 'counter', invariants: ['small'], samples: 5, steps: 10 });
    expect(r.tests?.passed).toBe(1);
    expect(r.ok).toBe(false);
    expect(r.simulation?.out).toMatch(/\[State 3\] \{ x: 3 \}/);
    expect(r.simulation?.out).toMatch(/Invariant violated/);
  });
});
