/**
 * The judge stands apart from what it judges (spec/conformance.md CONF-050): the lint rule keeps
 * harness/{suites,trace,conform,report} from importing the reference or its adapter, and, beyond
 * what a lint rule sees, nothing those folders import reaches them transitively either.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../vectors/external.js';

const JUDGE = ['suites', 'trace', 'conform', 'report'];
/** The package's path helper, atomic file writer (and the error class it throws) and null-prototype maps live in reference/ but judge nothing. */
const ALLOWED = new Set(['reference/paths.ts', 'reference/atomic-file.ts', 'reference/errors.ts', 'reference/dict.ts', 'reference/file-lock.ts']);
const FORBIDDEN = ['../../reference/index.js', '../../reference/errors.js', '../../adapter/index.js', '../adapters/in-process.js'];

describe('CONF-050: the harness reaches the reference only through an adapter', () => {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  for (const folder of JUDGE) {
    it(`CONF-050: lint refuses a planted import of the reference, its adapter or the in-process reference in harness/${folder}`, async () => {
      for (const target of FORBIDDEN) {
        const code = `import * as planted from '${target}';\nexport const x = planted;\n`;
        const [r] = await eslint.lintText(code, { filePath: join(REPO_ROOT, 'harness', folder, 'planted.ts') });
        const rules = r!.messages.map((m) => m.ruleId);
        expect(rules, `${folder} <- ${target}`).toContain('no-restricted-imports');
      }
    });
  }

  it('CONF-050: the same planted import is allowed in the CLI (the composition root)', async () => {
    const [r] = await eslint.lintText(`import * as planted from '../reference/index.js';\nexport const x = planted;\n`, { filePath: join(REPO_ROOT, 'cli', 'planted.ts') });
    expect(r!.messages.map((m) => m.ruleId)).not.toContain('no-restricted-imports');
  });

  it('CONF-050: no module the suites, traces, runner or reports import reaches reference/ or adapter/, directly or transitively', () => {
    const roots = ['harness/suites/index.ts', 'harness/trace/index.ts', 'harness/conform/runner.ts', 'harness/report/index.ts'].map((f) => join(REPO_ROOT, f));
    const seen = new Set<string>();
    const reached: string[] = [];
    const stack = [...roots];
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const rel = relative(REPO_ROOT, file);
      if (/^(reference|adapter)\//.test(rel) && !ALLOWED.has(rel)) reached.push(rel);
      // Type-only imports vanish at run time: they cannot make a verdict depend on the reference.
      for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+'(\.[^']+)'/gm)) {
        const ts = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
        if (existsSync(ts)) stack.push(ts);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(reached).toEqual([]);
  });
});
