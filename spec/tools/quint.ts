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
  /** Simulation bounds for `spec check`. */
  samples: number;
  steps: number;
}

export const MODELS: readonly ModelSpec[] = [
  {
    name: 'noise_handshake',
    invariants: ['nonceNeverReused', 'noNonceWrap', 'turnTaking', 'failedIsTerminal', 'refusalChangesNothing', 'tamperedChangesNothing', 'agreement'],
    samples: 600,
    steps: 20,
  },
  {
    name: 'double_ratchet',
    invariants: ['noDoubleAccept', 'tamperedChangesNothing', 'refusalChangesNothing', 'keyNeverReused', 'inOrderAccepted', 'skippedKeysSound'],
    samples: 300,
    steps: 20,
  },
  {
    name: 'envelope_lifecycle',
    invariants: ['currentNeverRetired', 'liveAlwaysReadable', 'staleUnreadable', 'genuineOpens', 'tamperedNeverOpens', 'rewrapPreservesPayload', 'retiredAfterGrace'],
    samples: 600,
    steps: 20,
  },
];

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

export interface ModelReport {
  name: string;
  ok: boolean;
  typecheck: Run;
  tests?: Run & { passed: number };
  simulation?: Run & { samples: number; steps: number; seed: number; invariants: string[] };
}

export interface CheckOptions {
  seed?: number;
  /** Scales simulation samples (e.g. 0.1 for a quick check). */
  scale?: number;
  /** Skip the separate typecheck (quint test typechecks too; saves one Quint start). */
  skipTypecheck?: boolean;
}

export async function checkModel(dir: string, m: ModelSpec, opts: CheckOptions = {}): Promise<ModelReport> {
  const file = `${m.name}.qnt`;
  const typecheck = opts.skipTypecheck ? { code: 0, out: '', ms: 0 } : await quint(['typecheck', file], dir);
  if (typecheck.code !== 0) return { name: m.name, ok: false, typecheck };
  const t = await quint(['test', '--backend', 'typescript', file], dir);
  const passed = Number(/(\d+) passing/.exec(t.out)?.[1] ?? 0);
  const tests = { ...t, passed };
  if (t.code !== 0) return { name: m.name, ok: false, typecheck, tests };
  const seed = opts.seed ?? DEFAULT_SEED;
  const samples = Math.max(1, Math.round(m.samples * (opts.scale ?? 1)));
  const s = await quint(
    // The file comes first: --invariants and --hide take every argument that follows them.
    ['run', file, '--backend', 'typescript', '--seed', String(seed), '--max-samples', String(samples), '--max-steps', String(m.steps), '--verbosity', '2', '--invariants', ...m.invariants, '--hide', 'prev'],
    dir,
  );
  const simulation = { ...s, samples, steps: m.steps, seed, invariants: m.invariants };
  const ok = s.code === 0 && /No violation found/.test(s.out);
  return { name: m.name, ok, typecheck, tests, simulation };
}
