import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEnvelopeRotation } from '../../examples/envelope-rotation.js';

const root = join(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe('README', () => {
  it('shows every docs/ fragment verbatim (each fragment is checked against its example by its own test)', () => {
    const readme = read('README.md');
    const fragments = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
    expect(fragments.length).toBeGreaterThanOrEqual(5);
    for (const f of fragments) expect(readme.includes(read(`docs/${f}`).trimEnd()), `docs/${f} is not in README.md`).toBe(true);
  });

  it('states the two set-up commands, and package.json runs what they promise', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\s/m);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/agentsec\.mjs conform --report report$/);
    expect(pkg.scripts.test).toMatch(/typecheck.*lint.*spec:coverage.*vitest run/);
    expect(read('.ci/run')).toContain('npm test');
  });
});

describe('envelope example (README)', () => {
  it('ENV-020 ENV-021 ENV-023 ENV-024 ENV-010: seal, rotate, scan, rewrap, retire: the rewrapped envelope opens, the stale one names the retired version', async () => {
    const r = await runEnvelopeRotation();
    expect(r.versions).toEqual([1, 2]);
    expect(r.expiring).toEqual(['first: v1 expiring', 'second: v1 expiring']);
    expect(r.opened).toBe('{"order": 42}');
    expect(r.stale).toMatch(/version 1 is retired/);
    expect(r.wrongContext).toBe('envelope authentication failed');
  });

  it('the README fragment shows exactly the tested example', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(read('docs/envelope.md'))?.[1];
    expect(block).toBe(read('examples/envelope-rotation.ts'));
  });
});
