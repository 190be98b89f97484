import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeCoverage, coveragePassed, parseExceptions, renderHtml, scanSource } from '../tools/coverage.js';

const rid = (area: string, n: number) => `${area}-${String(n).padStart(3, '0')}`;
const A = rid('NOISE', 1);
const B = rid('NOISE', 2);
const C = rid('NOISE', 3);
const D = rid('NOISE', 4);
const E = rid('DR', 1);
const GHOST = rid('DR', 777);

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cov-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const spec = `# Noise\n- **${A}** MUST: a\n- **${B}** MUST NOT: b\n- **${C}** MUST: c\n- **${D}** SHOULD: d\n- **${E}** MUST: *withdrawn* e\n`;

describe('traceability', () => {
  it('counts test names, suite reqs, vector reqs and exceptions; comments and @req do not cover', () => {
    const root = project({
      'spec/noise.md': spec,
      'spec/exceptions.md': `# Exceptions\n- ${C}: checked by review only\n`,
      'reference/noise/x.test.ts': `// ${B} in a comment does not count\nit('${A}: does a', () => {});\n`,
      'reference/noise/x.ts': `// @req ${B}\nexport const x = 1;\n`,
      'harness/suites/noise.ts': `export const t = { id: 'noise/x', reqs: ['${A}'], msg: 'see ${B} for why' };\n`,
    });
    const r = computeCoverage(root);
    expect(r.counts).toEqual({ requirements: 5, musts: 3, covered: 1, excepted: 1, uncovered: 1 });
    const row = (id: string) => r.rows.find((x) => x.id === id)!;
    expect(row(A).tests).toEqual(['reference/noise/x.test.ts']);
    expect(row(A).suites).toEqual(['harness/suites/noise.ts']);
    expect(row(B).status).toBe('uncovered');
    expect(row(B).code).toEqual(['reference/noise/x.ts']);
    expect(row(C).status).toBe('excepted');
    expect(row(D).status).toBe('optional');
    expect(row(E).status).toBe('withdrawn');
    expect(coveragePassed(r)).toBe(false);
    expect(renderHtml(r)).toContain(`<tr class="uncovered"><td><b>${B}</b>`);
  });

  it('passes when every MUST is cited; vector files count', () => {
    const root = project({
      'spec/noise.md': `# N\n- **${A}** MUST: a\n- **${B}** MUST: b\n`,
      'vectors/noise/v.json': JSON.stringify({ groups: [{ reqs: [A, B], cases: [] }] }),
    });
    const r = computeCoverage(root);
    expect(r.rows.map((x) => x.vectors)).toEqual([['vectors/noise/v.json'], ['vectors/noise/v.json']]);
    expect(coveragePassed(r)).toBe(true);
  });

  it('reports unknown IDs cited anywhere, and bad exception entries', () => {
    const root = project({
      'spec/noise.md': `# N\n- **${A}** MUST: a\n`,
      'spec/exceptions.md': `- ${GHOST}: no such rule\n- ${A}:\n`,
      'harness/test/y.test.ts': `it('${A} and ${GHOST}', () => {});\n`,
    });
    const r = computeCoverage(root);
    expect(r.unknown).toEqual([{ id: GHOST, kind: 'test', file: 'harness/test/y.test.ts' }]);
    expect(r.exceptionErrors.join('\n')).toMatch(/not a requirement/);
    expect(r.exceptionErrors.join('\n')).toMatch(/has no reason/);
    expect(coveragePassed(r)).toBe(false);
  });

  it('a new area counts once the spec uses it; SHA-256 and the like are never IDs', () => {
    const root = project({
      'spec/dir.md': `# D\n- **${rid('ZZ', 1)}** MUST: z\n`,
      'harness/test/z.test.ts': `it('${rid('ZZ', 1)} with SHA-256 and AES-128', () => {});\nit('${rid('ZZ', 2)}', () => {});\n`,
    });
    const r = computeCoverage(root);
    expect(r.counts.covered).toBe(1);
    expect(r.unknown.map((u) => u.id)).toEqual([rid('ZZ', 2)]);
  });

  it('scans strings and comments, not code', () => {
    const s = scanSource(`const a = 'x\\'y'; // c1\n/* c2 */ const b = \`t\${1}\`; const c = "q";`);
    expect(s.strings).toEqual(["x'y", 't${1}', 'q']);
    expect(s.comments).toEqual([' c1', ' c2 ']);
    expect(parseExceptions(`- ${A}: why\nprose\n`).entries).toEqual([{ id: A, reason: 'why' }]);
  });
});
