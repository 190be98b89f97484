/**
 * The model mutation check: planted bugs in the Quint models (spec/models/mutants/<model>.json, each
 * a textual patch of the model), each of which must be caught by invariant simulation within a
 * stated budget. It shows the invariants have teeth: a model bug no invariant catches is a
 * requirement the models do not state.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODELS, samplesRun, simulate, type Simulation } from './quint.js';

export interface ModelMutant {
  id: string;
  /** The bug, in one sentence. */
  bug: string;
  /** Text of the model replaced (must occur exactly once) and its replacement. */
  find: string;
  replace: string;
  /** The invariant that must catch it. */
  invariant: string;
  /** Budget (defaults: MUTANT_BUDGET), and the step action sampled (default `step`). */
  step?: string;
  seed?: number;
  samples?: number;
  steps?: number;
}

export interface MutantFile {
  model: string;
  mutants: ModelMutant[];
}

/** Every mutant must be caught within this many samples of this many steps, seed MUTANT_SEED. */
export const MUTANT_BUDGET = { step: 'step', seed: 20261129, samples: 1000, steps: 20 } as const;

export function loadMutants(modelsDir: string): { model: string; mutant: ModelMutant }[] {
  const dir = join(modelsDir, 'mutants');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const file = JSON.parse(readFileSync(join(dir, f), 'utf8')) as MutantFile;
      return file.mutants.map((mutant) => ({ model: file.model, mutant }));
    });
}

/** Applies a mutant's patch to the model's text; throws unless `find` occurs exactly once. */
export function applyMutant(text: string, m: ModelMutant): string {
  const at = text.indexOf(m.find);
  if (at < 0) throw new Error(`mutant ${m.id}: its text is not in the model (the model changed; update the mutant)`);
  if (text.indexOf(m.find, at + 1) >= 0) throw new Error(`mutant ${m.id}: its text occurs more than once in the model`);
  return text.slice(0, at) + m.replace + text.slice(at + m.find.length);
}

export interface MutantResult {
  model: string;
  id: string;
  bug: string;
  invariant: string;
  caught: boolean;
  /** The sample at which the violation was found (from Quint's summary line). */
  sample?: number;
  budget: { step: string; seed: number; samples: number; steps: number };
  sim: Simulation;
}

/** Runs one mutant: patch a copy of the model in a temporary directory, simulate its invariant. */
export async function runMutant(modelsDir: string, model: string, m: ModelMutant, scale = 1): Promise<MutantResult> {
  const spec = MODELS.find((x) => x.name === model);
  if (!spec) throw new Error(`mutant ${m.id}: unknown model ${model}`);
  if (!spec.invariants.includes(m.invariant)) throw new Error(`mutant ${m.id}: ${m.invariant} is not an invariant of ${model}`);
  const tmp = mkdtempSync(join(tmpdir(), 'qnt-mutant-'));
  try {
    const file = `${model}.qnt`;
    writeFileSync(join(tmp, file), applyMutant(readFileSync(join(modelsDir, file), 'utf8'), m));
    for (const f of readdirSync(modelsDir).filter((x) => x.endsWith('.qnt') && x !== file)) copyFileSync(join(modelsDir, f), join(tmp, f));
    const budget = {
      step: m.step ?? MUTANT_BUDGET.step,
      seed: m.seed ?? MUTANT_BUDGET.seed,
      samples: Math.max(1, Math.round((m.samples ?? MUTANT_BUDGET.samples) * scale)),
      steps: m.steps ?? MUTANT_BUDGET.steps,
    };
    const sim = await simulate(tmp, file, [m.invariant], budget.seed, budget.samples, budget.steps, budget.step);
    // A mutant that does not parse or typecheck is a broken catalogue, not a caught bug.
    const caught = /Invariant violated/.test(sim.out) && /\[violation\]/.test(sim.out);
    if (!caught && !sim.ok) throw new Error(`mutant ${m.id}: the mutated model does not run:\n${sim.out.slice(0, 2000)}`);
    const sample = caught ? samplesRun(sim.out) : undefined;
    return { model, id: m.id, bug: m.bug, invariant: m.invariant, caught, ...(sample !== undefined ? { sample } : {}), budget, sim };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs mutants `jobs` at a time, in catalogue order. */
export async function runMutants(modelsDir: string, list: { model: string; mutant: ModelMutant }[], jobs = 2, scale = 1): Promise<MutantResult[]> {
  const out: MutantResult[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      out[i] = await runMutant(modelsDir, list[i]!.model, list[i]!.mutant, scale);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return out;
}
