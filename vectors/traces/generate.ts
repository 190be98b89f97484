/**
 * Generates the trace corpus: seeded ITF traces of the Quint models (spec/models/), written to
 * vectors/traces/<model>-<seq>.itf.json. Regenerating gives identical bytes (MODEL-043).
 *
 *   npx tsx vectors/traces/generate.ts [--out DIR] [--model NAME]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagePath } from '../../reference/paths.js';
import { quint } from '../../spec/tools/quint.js';

export interface CorpusSpec {
  model: string;
  /** The step action traces are drawn from. */
  step: string;
  seed: number;
  traces: number;
  steps: number;
  reqs: string[];
}

export const CORPUS: readonly CorpusSpec[] = [
  { model: 'noise_handshake', step: 'stepMbt', seed: 101, traces: 12, steps: 24, reqs: ['MODEL-040'] },
  { model: 'double_ratchet', step: 'stepMbt', seed: 202, traces: 16, steps: 30, reqs: ['MODEL-041'] },
  { model: 'envelope_lifecycle', step: 'step', seed: 303, traces: 12, steps: 24, reqs: ['MODEL-042'] },
];

const HERE = packagePath('vectors', 'traces');
const MODELS_DIR = packagePath('spec', 'models');
/** Ghost variables of the models that only serve their invariants: not needed to replay. */
const DROP_VARS = new Set(['prev']);

/** One ITF trace normalised: stable meta (no timestamp), ghost variables dropped, one state per line. */
function normalise(raw: string, c: CorpusSpec, seq: number): string {
  const itf = JSON.parse(raw) as { vars: string[]; states: Record<string, unknown>[] };
  const meta = {
    format: 'ITF',
    'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
    source: `spec/models/${c.model}.qnt`,
    generator: `quint run --mbt --backend typescript --step ${c.step} --seed ${c.seed} --max-steps ${c.steps} (trace ${seq} of ${c.traces})`,
    reqs: c.reqs,
  };
  const vars = itf.vars.filter((v) => !DROP_VARS.has(v));
  const states = itf.states.map((s) => Object.fromEntries(Object.entries(s).filter(([k]) => !DROP_VARS.has(k))));
  return `{"#meta":${JSON.stringify(meta)},\n"vars":${JSON.stringify(vars)},\n"states":[\n${states.map((s) => JSON.stringify(s)).join(',\n')}\n]}\n`;
}

export async function generateCorpus(outDir: string, only?: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const c of CORPUS.filter((x) => !only || x.model === only)) {
    const tmp = mkdtempSync(join(tmpdir(), 'itf-'));
    try {
      const r = await quint(
        ['run', '--backend', 'typescript', '--mbt', '--step', c.step, '--seed', String(c.seed), '--n-traces', String(c.traces), '--max-samples', String(c.traces),
          '--max-steps', String(c.steps), '--out-itf', join(tmp, 'trace_{seq}.itf.json'), `${c.model}.qnt`],
        MODELS_DIR,
      );
      if (r.code !== 0) throw new Error(`quint run failed for ${c.model}:\n${r.out}`);
      const files = readdirSync(tmp).filter((f) => f.endsWith('.itf.json'));
      if (files.length !== c.traces) throw new Error(`${c.model}: expected ${c.traces} traces, quint wrote ${files.length}`);
      for (const old of readdirSync(outDir).filter((f) => f.startsWith(`${c.model}-`) && f.endsWith('.itf.json'))) rmSync(join(outDir, old));
      for (let i = 0; i < c.traces; i++) {
        const name = `${c.model}-${String(i).padStart(2, '0')}.itf.json`;
        writeFileSync(join(outDir, name), normalise(readFileSync(join(tmp, `trace_${i}.itf.json`), 'utf8'), c, i));
        written.push(name);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const modelIdx = args.indexOf('--model');
  const out = outIdx >= 0 ? resolve(args[outIdx + 1]!) : HERE;
  const names = await generateCorpus(out, modelIdx >= 0 ? args[modelIdx + 1] : undefined);
  process.stdout.write(`${names.length} traces -> ${out}\n`);
}
