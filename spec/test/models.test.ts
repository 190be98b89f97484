import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyMutant, loadMutants, runMutants } from '../tools/mutants.js';
import { corpusCoverage, pairsOf, plain } from '../tools/trace-coverage.js';
import { bfs, initial, successors, type Msg, type NState, type Party } from '../tools/noise-bfs.js';
import { explore } from '../tools/bfs.js';
import * as envelopeBfs from '../tools/envelope-bfs.js';
import * as ratchetBfs from '../tools/ratchet-bfs.js';
import { checkModel, MODELS, SEEDS, type ModelReport } from '../tools/quint.js';

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
  'noise_handshake.refusedHandshakeReadEnds': 'MODEL-017',
  'noise_handshake.transportInOrder': 'MODEL-018',
  'noise_handshake.genuineNextAccepted': 'MODEL-019',
  'noise_handshake.rekeySeparatesKeys': 'MODEL-060',
  'double_ratchet.noDoubleAccept': 'MODEL-020',
  'double_ratchet.tamperedChangesNothing': 'MODEL-021',
  'double_ratchet.refusalChangesNothing': 'MODEL-022',
  'double_ratchet.keyNeverReused': 'MODEL-023',
  'double_ratchet.genuineAccepted': 'MODEL-024',
  'double_ratchet.skippedKeysSound': 'MODEL-025',
  'double_ratchet.evictsOldestFirst': 'MODEL-026',
  'envelope_lifecycle.currentNeverRetired': 'MODEL-030',
  'envelope_lifecycle.liveAlwaysReadable': 'MODEL-031',
  'envelope_lifecycle.retiredNeverOpensOrRewraps': 'MODEL-032',
  'envelope_lifecycle.genuineOpens': 'MODEL-033',
  'envelope_lifecycle.openNeedsSealedContext': 'MODEL-034',
  'envelope_lifecycle.rewrapPreservesPayload': 'MODEL-035',
  'envelope_lifecycle.retiredAfterGrace': 'MODEL-036',
  'x3dh_prekeys.opkConsumedOnce': 'MODEL-070',
  'x3dh_prekeys.pqConsumedOnce': 'MODEL-070',
  'x3dh_prekeys.usedKeysDeleted': 'MODEL-071',
  'x3dh_prekeys.noReplayAccepted': 'MODEL-072',
  'x3dh_prekeys.acceptedWithinGrace': 'MODEL-073',
  'x3dh_prekeys.digestsBounded': 'MODEL-074',
  'x3dh_prekeys.refusalChangesNothing': 'MODEL-075',
  'x3dh_prekeys.handedOutOnce': 'MODEL-076',
  'x3dh_prekeys.genuineAccepted': 'MODEL-077',
};

/** The models are checked in parallel Quint processes: a deadline that only catches a hang on a loaded 2-core machine. */
const QUINT_DEADLINE = 600_000;

/** The quick subset of the model mutation check run here (the whole catalogue: spec check --mutants). */
const QUICK_MUTANTS = ['noise-failed-read-continues', 'dr-restart-loses-skipped', 'env-retired-rewraps', 'pk-tampered-consumes'];

describe('Quint models (a cheap spec check: full tests, a twentieth of the simulation; the typecheck runs inside quint test)', () => {
  // One run for the three models, in parallel; each `it` reads its model's report.
  const reports = Promise.all(MODELS.map((m) => checkModel(MODELS_DIR, m, { scale: 0.05, seeds: [SEEDS[0]!], skipTypecheck: true })));
  const report = async (name: string): Promise<ModelReport> => (await reports).find((r) => r.name === name)!;

  it('every simulated invariant is a requirement of spec/models.md', () => {
    const simulated = MODELS.flatMap((m) => m.invariants.map((i) => `${m.name}.${i}`)).sort();
    expect(simulated).toEqual(Object.keys(REQ_OF).sort());
  });

  for (const [name, ids] of [
    ['noise_handshake', 'MODEL-001 MODEL-010 MODEL-011 MODEL-012 MODEL-013 MODEL-014 MODEL-015 MODEL-016 MODEL-017 MODEL-018 MODEL-019 MODEL-060'],
    ['double_ratchet', 'MODEL-001 MODEL-020 MODEL-021 MODEL-022 MODEL-023 MODEL-024 MODEL-025 MODEL-026 MODEL-027'],
    ['envelope_lifecycle', 'MODEL-001 MODEL-030 MODEL-031 MODEL-032 MODEL-033 MODEL-034 MODEL-035 MODEL-036'],
    ['x3dh_prekeys', 'MODEL-001 MODEL-070 MODEL-071 MODEL-072 MODEL-073 MODEL-074 MODEL-075 MODEL-076 MODEL-077'],
  ] as const) {
    it(`${ids}: ${name} typechecks, its tests pass, its invariants hold in simulation`, async () => {
      const r = await report(name);
      expect(r.typecheck.code, r.typecheck.out).toBe(0);
      expect(r.tests?.code, r.tests?.out).toBe(0);
      expect(r.tests?.passed).toBeGreaterThanOrEqual(6);
      expect(r.simulations).toHaveLength(1);
      expect(r.simulations[0]!.out).toMatch(/No violation found/);
      expect(r.ok).toBe(true);
    }, QUINT_DEADLINE);
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
    expect(r.simulations[0]!.out).toMatch(/\[State 3\] \{ x: 3 \}/);
    expect(r.simulations[0]!.out).toMatch(/Invariant violated/);
  });

  it('MODEL-052: spec check simulates every model with three seeds and at least 3,000 samples', () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(3);
    for (const m of MODELS) expect(m.samples * SEEDS.length, m.name).toBeGreaterThanOrEqual(3000);
  });

  it('MODEL-051: the catalogue holds at least 15 planted bugs, each a patch that applies once and names an invariant of its model', () => {
    const all = loadMutants(MODELS_DIR);
    expect(all.length).toBeGreaterThanOrEqual(15);
    expect(new Set(all.map((x) => x.mutant.id)).size).toBe(all.length);
    for (const { model, mutant } of all) {
      expect(MODELS.find((m) => m.name === model)?.invariants, mutant.id).toContain(mutant.invariant);
      const text = readFileSync(join(MODELS_DIR, `${model}.qnt`), 'utf8');
      expect(applyMutant(text, mutant), mutant.id).not.toBe(text);
    }
  });

  it('MODEL-051: planted model bugs (a quick subset) are caught by their invariants within their budget', async () => {
    const list = loadMutants(MODELS_DIR).filter((x) => QUICK_MUTANTS.includes(x.mutant.id));
    expect(list).toHaveLength(QUICK_MUTANTS.length);
    // A tenth of the budget: these are caught within the first few samples.
    const results = await runMutants(MODELS_DIR, list, 2, 0.1);
    for (const r of results) expect(r.caught, `${r.id}: ${r.sim.out.slice(-400)}`).toBe(true);
  }, QUINT_DEADLINE);
});

describe('trace corpus coverage', () => {
  it('MODEL-053: every required (action x outcome) pair has a witness in the committed corpus', () => {
    const rows = corpusCoverage(resolve(MODELS_DIR, '..', '..', 'vectors', 'traces'));
    expect(rows.length).toBeGreaterThanOrEqual(40);
    expect(rows.filter((r) => r.traces.length === 0).map((r) => `${r.model} ${r.pair}`)).toEqual([]);
  });

  it('MODEL-053: a pair is witnessed only by a step that has it (a trace without the retired open does not count)', () => {
    const step = (kind: string, outcome: string, version: number, retired: boolean) => ({
      last: { kind, outcome, env: { '#bigint': '0' }, ctx: { '#bigint': '1' }, tampered: false, result: { '#bigint': '-1' }, version: { '#bigint': String(version) } },
      envs: [{ id: { '#bigint': '0' }, payload: { '#bigint': '0' }, version: { '#bigint': '1' }, ctx: { '#bigint': '1' } }],
      versions: { '#map': [[{ '#bigint': '1' }, { retired, superseded: { '#bigint': '0' } }]] },
    });
    const trace = (...states: unknown[]) => JSON.stringify({ states });
    expect(pairsOf('envelope_lifecycle', trace(step('init', 'ok', 1, false), step('open', 'state_failure', 1, true)))).toContain('open/state_failure: retired version');
    expect(pairsOf('envelope_lifecycle', trace(step('init', 'ok', 1, false), step('open', 'ok', 1, false)))).not.toContain('open/state_failure: retired version');
  });
});

describe('bounded exhaustive search (noise_handshake transcription)', () => {
  const TRACES = resolve(MODELS_DIR, '..', '..', 'vectors', 'traces');
  /** An ITF state of noise_handshake.qnt as the transcription's state. */
  const toState = (raw: unknown): NState => {
    const p = plain(raw) as Record<string, unknown>;
    const parties = p.parties as Map<string, Party>;
    const accepted = p.accepted as Map<string, number[]>;
    return {
      pattern: p.pattern as string,
      parties: { I: parties.get('I')!, R: parties.get('R')! },
      sent: p.sent as Msg[],
      accepted: { I: accepted.get('I')!, R: accepted.get('R')! },
      last: p.last as NState['last'],
      prev: { I: parties.get('I')!, R: parties.get('R')! },
    };
  };
  /** JSON with sorted keys (ITF records come in alphabetical order). */
  const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
  const same = (a: NState, b: NState) => canon([a.pattern, a.parties, a.sent, a.accepted, a.last]) === canon([b.pattern, b.parties, b.sent, b.accepted, b.last]);

  it('MODEL-054: the transcription agrees with the Quint model on every step of every committed noise trace', () => {
    const files = readdirSync(TRACES).filter((f) => f.startsWith('noise_handshake-'));
    expect(files.length).toBeGreaterThan(0);
    let steps = 0;
    for (const f of files) {
      const states = (JSON.parse(readFileSync(join(TRACES, f), 'utf8')) as { states: unknown[] }).states.map(toState);
      expect(initial().some((s) => same(s, states[0]!)), f).toBe(true);
      for (let i = 1; i < states.length; i++) {
        expect(successors(states[i - 1]!).some((n) => same(n, states[i]!)), `${f} step ${i}`).toBe(true);
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(200);
  });

  it('MODEL-054: breadth-first search to depth 9 finds no invariant violation and counts the states', () => {
    const r = bfs(9);
    process.stdout.write(`[bfs] noise_handshake depth ${r.depth}: ${r.states} distinct states, ${r.transitions} transitions, new per depth ${r.perDepth.join(',')}\n`);
    expect(r.violations).toEqual([]);
    expect(r.states).toBeGreaterThan(1000);
  });

});

describe('bounded exhaustive search (envelope_lifecycle transcription)', () => {
  const TRACES = resolve(MODELS_DIR, '..', '..', 'vectors', 'traces');
  /** An ITF state of envelope_lifecycle.qnt as the transcription's state. */
  const toState = (raw: unknown): envelopeBfs.EState => {
    const p = plain(raw) as Record<string, unknown>;
    const entries = <V>(m: unknown) => [...(m as Map<number, V>).entries()].sort((a, b) => a[0] - b[0]);
    return {
      current: p.current as number,
      versions: entries<envelopeBfs.Version>(p.versions),
      now: p.now as number,
      envs: p.envs as envelopeBfs.Env[],
      live: entries<number>(p.live),
      last: p.last as envelopeBfs.Step,
      sealed: entries<number>(p.sealed),
    };
  };
  const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));

  it('MODEL-054: the transcription agrees with the Quint model on every step of every committed envelope trace', () => {
    const files = readdirSync(TRACES).filter((f) => f.startsWith('envelope_lifecycle-'));
    expect(files.length).toBeGreaterThan(0);
    let steps = 0;
    for (const f of files) {
      const states = (JSON.parse(readFileSync(join(TRACES, f), 'utf8')) as { states: unknown[] }).states.map(toState);
      expect(envelopeBfs.initial().some((s) => canon(s) === canon(states[0]!)), f).toBe(true);
      for (let i = 1; i < states.length; i++) {
        // Traces of stepForced include the operator's retire against the procedure.
        expect(envelopeBfs.successors(states[i - 1]!, true).some((n) => canon(n) === canon(states[i]!)), `${f} step ${i}`).toBe(true);
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(200);
  });

  it('MODEL-054: breadth-first search to depth 6 finds no invariant violation and counts the states', () => {
    const r = explore(envelopeBfs.ENVELOPE, 6);
    process.stdout.write(`[bfs] envelope_lifecycle depth ${r.depth}: ${r.states} distinct states, ${r.transitions} transitions, new per depth ${r.perDepth.join(',')}\n`);
    expect(r.violations).toEqual([]);
    expect(r.states).toBeGreaterThan(4000);
  });

  it('MODEL-054: the search has teeth: a transcription whose rewrap does not replace the stored envelope is caught', () => {
    const buggy = {
      ...envelopeBfs.ENVELOPE,
      successors: (s: envelopeBfs.EState) =>
        envelopeBfs.successors(s).map((n) =>
          n.last.kind === 'rewrap' && n.last.outcome === 'ok' && n.last.result !== n.last.env ? { ...n, live: n.live.map(([p, id]): [number, number] => [p, id === n.last.result ? n.last.env : id]) } : n,
        ),
    };
    expect(explore(buggy, 6).violations.some((v) => v.startsWith('rewrapPreservesPayload'))).toBe(true);
  });
});

describe('bounded exhaustive search (double_ratchet transcription)', () => {
  const TRACES = resolve(MODELS_DIR, '..', '..', 'vectors', 'traces');
  type Name = 'A' | 'B';
  const sortKeys = (v: unknown) => (v as [number, number][]).slice().sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const agentOf = (a: unknown): ratchetBfs.Agent => {
    const x = a as ratchetBfs.Agent;
    return { ...x, skipped: sortKeys(x.skipped), evicted: sortKeys(x.evicted) };
  };
  const byName = <V>(m: unknown, f: (v: unknown) => V): Record<Name, V> => ({ A: f((m as Map<string, unknown>).get('A')), B: f((m as Map<string, unknown>).get('B')) });
  /** An ITF state of double_ratchet.qnt as the transcription's state (`prev` is not in the traces). */
  const toState = (raw: unknown): ratchetBfs.RState => {
    const p = plain(raw) as Record<string, unknown>;
    const agents = byName(p.agents, agentOf);
    return {
      agents,
      sent: p.sent as ratchetBfs.Msg[],
      accepted: byName(p.accepted, (v) => v as number[]),
      nextKey: p.nextKey as number,
      last: p.last as ratchetBfs.Step,
      marks: byName(p.marks, (v) => v as ratchetBfs.Mark),
      exports: byName(p.exports, (v) => (v as unknown[]).map(agentOf)),
      rolledBack: byName(p.rolledBack, (v) => v as boolean),
      prev: agents,
    };
  };
  const canon = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
  const same = (a: ratchetBfs.RState, b: ratchetBfs.RState) => canon({ ...a, prev: null }) === canon({ ...b, prev: null });

  it('MODEL-054: the transcription agrees with the Quint model on every step of every committed ratchet trace', () => {
    const files = readdirSync(TRACES).filter((f) => f.startsWith('double_ratchet-'));
    expect(files.length).toBeGreaterThan(0);
    let steps = 0;
    for (const f of files) {
      const states = (JSON.parse(readFileSync(join(TRACES, f), 'utf8')) as { states: unknown[] }).states.map(toState);
      expect(ratchetBfs.initial().some((s) => same(s, states[0]!)), f).toBe(true);
      for (let i = 1; i < states.length; i++) {
        expect(ratchetBfs.successors(states[i - 1]!).some((n) => same(n, states[i]!)), `${f} step ${i}`).toBe(true);
        steps++;
      }
    }
    expect(steps).toBeGreaterThan(300);
  });

  it('MODEL-054: breadth-first search to depth 7 finds no invariant violation and counts the states', () => {
    const r = explore(ratchetBfs.RATCHET, 7);
    process.stdout.write(`[bfs] double_ratchet depth ${r.depth}: ${r.states} distinct states, ${r.transitions} transitions, new per depth ${r.perDepth.join(',')}\n`);
    expect(r.violations).toEqual([]);
    expect(r.states).toBeGreaterThan(2000);
  });

  it('MODEL-054: the search has teeth: a transcription that accepts a replayed message is caught', () => {
    const buggy = {
      ...ratchetBfs.RATCHET,
      successors: (s: ratchetBfs.RState) =>
        ratchetBfs.successors(s).map((n) =>
          n.last.kind === 'deliver' && n.last.outcome === 'duplicate' && !n.last.tampered
            ? { ...n, accepted: { ...n.accepted, [n.last.agent]: [...n.accepted[n.last.agent as Name], n.last.msg] }, last: { ...n.last, outcome: 'ok' } }
            : n,
        ),
    };
    expect(explore(buggy, 7).violations.some((v) => v.startsWith('noDoubleAccept'))).toBe(true);
  });
});
