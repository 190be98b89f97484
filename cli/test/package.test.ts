import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, PACKAGE_VERSION, packagePath } from '../../reference/paths.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The files a module loads before it runs: its static value imports (not `import type`), followed transitively. */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else seen.add(spec);
    }
  };
  walk(entry);
  return [...seen].map((f) => (f.startsWith('/') ? relative(ROOT, f) : f));
}

describe('package layout', () => {
  it('CONV-006: the path helper finds the package root and its version from the sources and from the build', () => {
    expect(PACKAGE_ROOT).toBe(ROOT);
    expect(packagePath('spec', 'noise.md')).toBe(join(ROOT, 'spec', 'noise.md'));
    expect(PACKAGE_VERSION).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    const fromDist = execFileSync(process.execPath, ['--input-type=module', '-e', `const p = await import(${JSON.stringify(join(ROOT, 'dist/reference/paths.js'))}); console.log(JSON.stringify([p.PACKAGE_ROOT, p.PACKAGE_VERSION]))`], { encoding: 'utf8' });
    expect(JSON.parse(fromDist)).toEqual([ROOT, PACKAGE_VERSION]);
  });

  it('CONV-005: the CLI runs the built JavaScript with plain node and reports the package version', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/agentsec.mjs'), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toBe(PACKAGE_VERSION);
  });

  it('CONV-005: a clone without dist/ gets one line saying to build, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-nodist-'));
    try {
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
      const r = spawnSync(process.execPath, [join(dir, 'bin/agentsec.mjs'), '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('agentsec: not built: run npm run build (or npm ci, which builds)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CONV-009: the CLI entry loads no command, harness, service or third-party module before a command is chosen', () => {
    const closure = staticClosure(join(ROOT, 'cli/main.ts'));
    expect(closure).toContain('cli/commands.ts');
    const heavy = closure.filter((f) => !/^(cli\/(main|command|commands)\.ts|reference\/(errors|paths)\.ts|protocol\/errors\.ts|node:.*)$/.test(f));
    expect(heavy).toEqual([]);
  });
});
