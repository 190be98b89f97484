import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseExpectations } from '../conform/expectations.js';
import { type RunResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import { writeReports } from '../report/index.js';
import { escapeHtml, escapeXml } from '../report/xml.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';
import { schemaValidator } from '../../spec/tools/schema-validator.js';
import { checkWellFormedXml } from './xml-check.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving-adapter.mjs', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(new URL('../report/results.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** A run with every outcome: pass, fail (with stderr from a crash), xfail, xpass, skip, n/a, and a stale entry. */
async function mixedRun(): Promise<RunResult> {
  const exp = parseExpectations(
    JSON.stringify({
      'fixture/always/fail': { expect: 'fail', reason: 'known <bug> & "quoted"' },
      'fixture/always/pass': { expect: 'fail', reason: 'was broken' },
      'fixture/ghost/*': { expect: 'skip', reason: 'stale' },
    }),
  );
  return runWithReference({
    suites: [fixtureSuite({ echoes: 3, withFailures: true })],
    impl: `"${process.execPath}" "${FIXTURE}" crash 2`,
    seed: 11,
    expectations: exp,
  });
}

describe('reports', async () => {
  const run = await mixedRun();
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-report-'));
  const paths = writeReports(dir, run);
  const results = JSON.parse(readFileSync(paths.results, 'utf8')) as Record<string, unknown>;
  const junit = readFileSync(paths.junit, 'utf8');
  const html = readFileSync(paths.html, 'utf8');

  it('CONF-023 CONF-024: results.json validates against harness/report/results.schema.json', () => {
    expect(schemaValidator(SCHEMA)(results)).toEqual([]);
    const outcomes = new Set(run.tests.map((t) => t.outcome));
    for (const o of ['pass', 'fail', 'xfail', 'xpass', 'skip', 'n/a']) expect(outcomes).toContain(o);
    expect(results).toMatchObject({ schema: 'agentsec-conform-results/1', summary: { stale_expectations: 1, exit_code: 1 } });
    expect((results.run as Record<string, unknown>).seed).toBe(11);
    expect((results.requirements as Record<string, { total: number }>)['CONF-011']?.total).toBeGreaterThan(0);
  });

  it('CONF-024: the schema rejects what it must (a sanity check of the check)', () => {
    expect(schemaValidator(SCHEMA)({ ...results, extra: 1 })).not.toEqual([]);
    const tests = (results.tests as Array<Record<string, unknown>>).map((t) => ({ ...t, outcome: 'passed' }));
    expect(schemaValidator(SCHEMA)({ ...results, tests })).not.toEqual([]);
  });

  it('CONF-023 CONF-025: junit.xml is well-formed, escapes everything, and counts fail and xpass as failures', () => {
    expect(() => checkWellFormedXml(junit)).not.toThrow();
    expect(junit).toContain('a &lt;known&gt; finding &amp; &quot;quoted&quot;'.replace('quoted', 'quotes'));
    expect(junit).not.toContain('<known>');
    const failures = run.tests.filter((t) => t.outcome === 'fail' || t.outcome === 'xpass').length + run.stale_expectations.length;
    expect(junit).toMatch(new RegExp(`<testsuites [^>]*failures="${failures}"`));
    expect(junit).toContain('stale: fixture/ghost/*');
    expect(junit).toMatch(/<system-err>[^<]*fixture: call 2 &lt;secret-looking &amp; &quot;quoted&quot; stderr&gt;/);
  });

  it('CONF-025: the XML checker itself refuses broken XML, and escaping removes forbidden characters', () => {
    expect(() => checkWellFormedXml('<a><b></a></b>')).toThrow();
    expect(() => checkWellFormedXml('<a>x & y</a>')).toThrow();
    expect(() => checkWellFormedXml('<a b="<"/>')).toThrow();
    expect(() => checkWellFormedXml(`<a>${escapeXml('\u0000\u001b[31m <&>"\'\uffff')}</a>`)).not.toThrow();
  });

  it('CONF-023 CONF-026: index.html is self-contained, escaped, with summaries, reproductions and stderr', () => {
    // One inline script (filter, copy buttons); nothing loaded from anywhere (CONF-026, CONF-075).
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script>(() => {');
    expect(html).not.toMatch(/<link|\bsrc=|href="http|url\(|fetch\(|XMLHttpRequest|import\(/i);
    expect(html).toContain('By suite');
    expect(html).toContain('By requirement');
    expect(html).toContain('CONF-011');
    const crash = run.tests.find((t) => t.id === 'fixture/echo/2')!;
    expect(crash.outcome).toBe('fail');
    expect(html).toContain(escapeHtml(crash.reproduction!));
    expect(crash.reproduction).toMatch(/^npx agentsec conform --impl .* --only fixture\/echo\/2 --seed 11$/);
    expect(html).toContain('fixture: call 2 &lt;secret-looking &amp; &quot;quoted&quot; stderr&gt;');
    expect(html).not.toContain('<known>');
    expect(html).not.toContain('<secret-looking');
    expect(html).toContain('known &lt;bug&gt; &amp; &quot;quoted&quot;');
  });
});
