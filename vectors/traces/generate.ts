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
import { pairsOf } from '../../spec/tools/trace-coverage.js';

export interface CorpusSource {
  /** The step action candidate traces are drawn from. */
  step: string;
  seed: number;
  /** Candidate traces drawn. */
  pool: number;
}

export interface CorpusSpec {
  model: string;
  /** Traces kept: first a greedy cover of the required (action x outcome) pairs, then the earliest others. */
  traces: number;
  steps: number;
  sources: CorpusSource[];
  reqs: string[];
  /**
   * A subfolder for models whose actions agentsec-adapter/1 does not carry (prekey administration,
   * a clock): their traces are replayed against the reference API only, not by the trace suite.
   */
  dir?: string;
}

export const CORPUS: readonly CorpusSpec[] = [
  { model: 'noise_handshake', traces: 12, steps: 24, sources: [{ step: 'stepMbt', seed: 101, pool: 60 }], reqs: ['MODEL-040', 'MODEL-053'] },
  {
    model: 'double_ratchet',
    traces: 16,
    steps: 30,
    // stepBursty: an honest network with bursts of sending, so keys get evicted (a delivery of an evicted key is rare: a larger pool).
    sources: [{ step: 'stepMbt', seed: 202, pool: 120 }, { step: 'stepBursty', seed: 205, pool: 300 }],
    reqs: ['MODEL-041', 'MODEL-053'],
  },
  {
    model: 'envelope_lifecycle',
    traces: 12,
    steps: 24,
    // stepForced: an operator who retires against the procedure (retiring the current version is refused).
    sources: [{ step: 'step', seed: 303, pool: 60 }, { step: 'stepForced', seed: 304, pool: 20 }],
    reqs: ['MODEL-042', 'MODEL-053'],
  },
  {
    model: 'x3dh_prekeys',
    traces: 10,
    steps: 25,
    sources: [{ step: 'stepMbt', seed: 404, pool: 80 }],
    reqs: ['MODEL-078', 'MODEL-053'],
    dir: 'api',
  },
];

const HERE = packagePath('vectors', 'traces');
const MODELS_DIR = packagePath('spec', 'models');
/** Ghost variables of the models that only serve their invariants: not needed to replay. */
const DROP_VARS = new Set(['prev']);

/** One ITF trace normalised: stable meta (no timestamp), ghost variables dropped, one state per line. */
function normalise(raw: string, c: CorpusSpec, src: CorpusSource, idx: number): string {
  const itf = JSON.parse(raw) as { vars: string[]; states: Record<string, unknown>[] };
  const meta = {
    format: 'ITF',
    'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
    source: `spec/models/${c.model}.qnt`,
    generator: `quint run --mbt --backend typescript --step ${src.step} --seed ${src.seed} --max-steps ${c.steps} (trace ${idx} of ${src.pool})`,
    reqs: c.reqs,
  };
  const vars = itf.vars.filter((v) => !DROP_VARS.has(v));
  const states = itf.states.map((s) => Object.fromEntries(Object.entries(s).filter(([k]) => !DROP_VARS.has(k))));
  return `{"#meta":${JSON.stringify(meta)},\n"vars":${JSON.stringify(vars)},\n"states":[\n${states.map((s) => JSON.stringify(s)).join(',\n')}\n]}\n`;
}

interface Candidate {
  src: CorpusSource;
  idx: number;
  raw: string;
  pairs: Set<string>;
}

/** Greedy cover: repeatedly the candidate witnessing most pairs not yet witnessed (earliest on ties), then the earliest others. */
export function pickCovering<T extends { pairs: Set<string> }>(pool: readonly T[], n: number): T[] {
  const chosen: T[] = [];
  const covered = new Set<string>();
  while (chosen.length < n) {
    let best = -1;
    let gain = 0;
    pool.forEach((c, i) => {
      if (chosen.includes(c)) return;
      const g = [...c.pairs].filter((p) => !covered.has(p)).length;
      if (g > gain) [best, gain] = [i, g];
    });
    if (best < 0) break;
    chosen.push(pool[best]!);
    for (const p of pool[best]!.pairs) covered.add(p);
  }
  for (const c of pool) if (chosen.length < n && !chosen.includes(c)) chosen.push(c);
  return chosen;
}

export async function generateCorpus(outDir: string, only?: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const c of CORPUS.filter((x) => !only || x.model === only)) {
    const pool: Candidate[] = [];
    for (const src of c.sources) {
      const tmp = mkdtempSync(join(tmpdir(), 'itf-'));
      try {
        const r = await quint(
          ['run', '--backend', 'typescript', '--mbt', '--step', src.step, '--seed', String(src.seed), '--n-traces', String(src.pool), '--max-samples', String(src.pool),
            '--max-steps', String(c.steps), '--out-itf', join(tmp, 'trace_{seq}.itf.json'), `${c.model}.qnt`],
          MODELS_DIR,
        );
        if (r.code !== 0) throw new Error(`quint run failed for ${c.model}:\n${r.out}`);
        const files = readdirSync(tmp).filter((f) => f.endsWith('.itf.json'));
        if (files.length !== src.pool) throw new Error(`${c.model}: expected ${src.pool} traces, quint wrote ${files.length}`);
        for (let i = 0; i < src.pool; i++) {
          const raw = readFileSync(join(tmp, `trace_${i}.itf.json`), 'utf8');
          pool.push({ src, idx: i, raw, pairs: pairsOf(c.model, raw) });
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    const chosen = pickCovering(pool, c.traces);
    const dir = join(outDir, c.dir ?? '');
    mkdirSync(dir, { recursive: true });
    for (const old of readdirSync(dir).filter((f) => f.startsWith(`${c.model}-`) && f.endsWith('.itf.json'))) rmSync(join(dir, old));
    chosen.forEach((k, i) => {
      const name = `${c.model}-${String(i).padStart(2, '0')}.itf.json`;
      writeFileSync(join(dir, name), normalise(k.raw, c, k.src, k.idx));
      written.push(c.dir ? `${c.dir}/${name}` : name);
    });
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
