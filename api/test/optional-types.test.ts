/**
 * The shipped declarations never need an optional dependency (CONV-023): a TypeScript user without
 * `skipLibCheck` type-checks against agentsec with the optional drivers absent. Read from dist/ as
 * the compiler does: every file it loads for the `exports` entry points, none from an optional package.
 */
import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string }>; optionalDependencies?: Record<string, string> };
const entries = Object.values(pkg.exports).filter((v): v is { types: string } => typeof v === 'object').map((v) => join(ROOT, v.types));
const OPTIONAL = Object.keys(pkg.optionalDependencies ?? {});

/** The packages under node_modules whose files the compiler loads for `files`. */
function loadedPackages(files: readonly string[]): Set<string> {
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: false, types: ['node'], noEmit: true });
  const out = new Set<string>();
  for (const sf of program.getSourceFiles()) {
    const parts = sf.fileName.split(/[\\/]/);
    const i = parts.lastIndexOf('node_modules');
    if (i < 0) continue;
    out.add(parts[i + 1]!.startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1]!);
  }
  return out;
}

const typesOf = (name: string): string => `@types/${name.replace(/^@/, '').replace('/', '__')}`;

describe('the shipped declarations and the optional dependencies', () => {
  it('CONV-023: no file of an optional package (nor its @types) is loaded for any public entry point', () => {
    expect(OPTIONAL).toEqual(expect.arrayContaining(['better-sqlite3', 'pkcs11js']));
    expect(entries.length).toBeGreaterThanOrEqual(7);
    const loaded = loadedPackages(entries);
    expect(loaded.has('@noble/curves') || loaded.has('@types/node')).toBe(true);
    expect(OPTIONAL.flatMap((o) => [o, typesOf(o)]).filter((o) => loaded.has(o))).toEqual([]);
  });

  it('CONV-023: the check sees a declaration that does import an optional package', () => {
    // The PKCS#11 driver's own declarations import pkcs11js: they are internal, never public.
    const token = join(ROOT, 'dist', 'reference', 'device', 'pkcs11', 'token.d.ts');
    expect(readFileSync(token, 'utf8')).toMatch(/from 'pkcs11js'/);
    expect(loadedPackages([token]).has('pkcs11js')).toBe(true);
    expect(sep.length).toBe(1);
  });
});
