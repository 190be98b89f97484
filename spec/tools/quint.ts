/**
 * Running the Quint models: typecheck, `quint test`, and seeded simulation of every invariant.
 * Only Quint's TypeScript backend is used (the Rust backend is downloaded on first use, and this
 * tool must work offline).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ModelSpec {
  /** Module name = file name without .qnt. */
  name: string;
  /** Invariants simulated by `spec check` (each is a requirement MODEL-NNN in spec/models.md). */
  invariants: string[];
  /** Simulation bounds for `spec check`: samples per seed, steps per sample. */
  samples: number;
  steps: number;
}

export const MODELS: readonly ModelSpec[] = [
  {
    name: 'noise_handshake',
    invariants: ['nonceNeverReused', 'noNonceWrap', 'turnTaking', 'failedIsTerminal', 'refusedHandshakeReadEnds', 'refusalChangesNothing', 'tamperedChangesNothing', 'transportInOrder', 'genuineNextAccepted', 'rekeySeparatesKeys', 'agreement'],
    samples: 1000,
    steps: 20,
  },
  {
    name: 'double_ratchet',
    invariants: ['noDoubleAccept', 'tamperedChangesNothing', 'refusalChangesNothing', 'keyNeverReused', 'genuineAccepted', 'skippedKeysSound', 'evictsOldestFirst'],
    samples: 1000,
    steps: 20,
  },
  {
    name: 'envelope_lifecycle',
    invariants: ['currentNeverRetired', 'liveAlwaysReadable', 'retiredNeverOpensOrRewraps', 'openNeedsSealedContext', 'genuineOpens', 'rewrapPreservesPayload', 'retiredAfterGrace'],
    samples: 1000,
    steps: 20,
  },
  {
    name: 'x3dh_prekeys',
    invariants: ['opkConsumedOnce', 'pqConsumedOnce', 'usedKeysDeleted', 'noReplayAccepted', 'acceptedWithinGrace', 'digestsBounded', 'refusalChangesNothing', 'handedOutOnce', 'genuineAccepted'],
    samples: 1000,
    steps: 20,
  },
];

/** Seeds of `spec check`: every model is simulated once per seed (3 x 1000 samples). */
export const SEEDS: readonly number[] = [20261129, 7, 424242];
export const DEFAULT_SEED = 20261129;

export function quintCli(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@informalsystems/quint/package.json')), 'dist', 'src', 'cli.js');
}

export interface Run {
  code: number;
  out: string;
  ms: number;
}

/** Runs the quint CLI with these arguments in `cwd`; never throws for a non-zero exit. */
export function quint(args: string[], cwd: string): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [quintCli(), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out, ms: Date.now() - t0 }));
  });
}

export interface Simulation extends Run {
  samples: number;
  steps: number;
  seed: number;
  invariants: string[];
  ok: boolean;
}

export interface ModelReport {
  name: string;
  ok: boolean;
  typecheck: Run;
  tests?: Run & { passed: number };
  /** One simulation per seed, in order; stops at the first violation. */
  simulations: Simulation[];
}

export interface CheckOptions {
  /** Seeds to simulate with (SEEDS by default). */
  seeds?: readonly number[];
  /** Scales simulation samples (e.g. 0.1 for a quick check). */
  scale?: number;
  /** Skip the separate typecheck (quint test typechecks too; saves one Quint start). */
  skipTypecheck?: boolean;
}

/** Simulates `file` checking `invariants` in every state; ok when no violation is found. */
export async function simulate(dir: string, file: string, invariants: readonly string[], seed: number, samples: number, steps: number, step = 'step'): Promise<Simulation> {
  const s = await quint(
    // The file comes first: --invariants and --hide take every argument that follows them.
    ['run', file, '--backend', 'typescript', '--step', step, '--seed', String(seed), '--max-samples', String(samples), '--max-steps', String(steps), '--verbosity', '2', '--invariants', ...invariants, '--hide', 'prev'],
    dir,
  );
  return { ...s, samples, steps, seed, invariants: [...invariants], ok: s.code === 0 && /No violation found/.test(s.out) };
}

/** The samples Quint ran, from its "(N ms at R traces/second)" line (exact to within ms/2000). */
export function samplesRun(out: string): number | undefined {
  const m = /\((\d+)ms at (\d+) traces\/second\)/.exec(out);
  return m ? Math.max(1, Math.round((Number(m[1]) * Number(m[2])) / 1000)) : undefined;
}

export async function checkModel(dir: string, m: ModelSpec, opts: CheckOptions = {}): Promise<ModelReport> {
  const file = `${m.name}.qnt`;
  const typecheck = opts.skipTypecheck ? { code: 0, out: '', ms: 0 } : await quint(['typecheck', file], dir);
  if (typecheck.code !== 0) return { name: m.name, ok: false, typecheck, simulations: [] };
  const t = await quint(['test', '--backend', 'typescript', file], dir);
  const passed = Number(/(\d+) passing/.exec(t.out)?.[1] ?? 0);
  const tests = { ...t, passed };
  if (t.code !== 0) return { name: m.name, ok: false, typecheck, tests, simulations: [] };
  const samples = Math.max(1, Math.round(m.samples * (opts.scale ?? 1)));
  const simulations: Simulation[] = [];
  for (const seed of opts.seeds ?? SEEDS) {
    const s = await simulate(dir, file, m.invariants, seed, samples, m.steps);
    simulations.push(s);
    if (!s.ok) break;
  }
  return { name: m.name, ok: simulations.every((s) => s.ok), typecheck, tests, simulations };
}
