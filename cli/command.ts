import type { ProviderName } from '../reference/index.js';

/** One CLI command: its usage text and its entry point (returns the exit status). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

/** Exit statuses of the CLI contract (README "The CLI"): 0 passed, 1 failures, 2 usage or configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILURES = 1;
export const EXIT_USAGE = 2;

/** Bad usage: one line saying what is wrong and how to fix it, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Minimal flag parser: `--flag value`, `--flag=value`, boolean flags, positionals. */
export function parseFlags(
  args: string[],
  spec: { strings?: string[]; booleans?: string[]; multi?: string[] },
): { flags: Record<string, string | boolean | string[]>; positionals: string[] } {
  const flags: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const multi = new Set(spec.multi ?? []);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (booleans.has(name)) {
      flags[name] = true;
      continue;
    }
    if (!strings.has(name) && !multi.has(name)) throw new UsageError(`unknown option --${name} (see --help)`);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    if (multi.has(name)) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { flags, positionals };
}

/** The crypto providers of the reference (spec/crypto.md). */
export function providerFlag(v: unknown): ProviderName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'noble' && v !== 'node') throw new UsageError(`--provider must be noble or node, got "${String(v)}"`);
  return v;
}
