/**
 * The HTML report in a real browser (Chromium from Debian, headless): the page loads with no console
 * message, the filter box hides the rows that do not match, every in-page anchor resolves, and a
 * failing test's exchange and diff render (a screenshot is taken of them).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkBytes } from '../conform/assert.js';
import { parseExpectations } from '../conform/expectations.js';
import { runWithReference } from '../../cli/compose.js';
import type { Suite } from '../conform/types.js';
import { writeReports } from '../report/index.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving-adapter.mjs', import.meta.url));

function available(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = 'HTML report browser test: skipped, Chromium not installed (apt-get install chromium)';
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true this is a failure`);
  console.warn(reason);
  return false;
}

/** Runs headless Chromium on a URL; stdout (the DOM after scripts ran, or nothing) and stderr (its log). */
function chromium(args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const profile = mkdtempSync(join(tmpdir(), 'agentsec-chromium-'));
  const child = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--enable-logging=stderr', '--v=0', `--user-data-dir=${profile}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((res) => child.on('close', (code) => res({ stdout, stderr, code })));
}

/** Console messages Chromium logged for the page (console.*, uncaught exceptions). */
const consoleLines = (stderr: string): string[] => stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l));

function diffSuite(): Suite {
  const x = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
  return {
    name: 'bytes',
    description: 'a byte mismatch',
    tests: () => [
      {
        id: 'bytes/echo/differs',
        reqs: ['CONF-061', 'CONF-060'],
        async run(ctx) {
          const r = (await ctx.iut.call('fixture.echo', { x }, { unchecked: 'a test method outside the contract' })) as { x: string };
          const want = Buffer.from(x, 'hex');
          want[21] = 0x42;
          checkBytes(Buffer.from(r.x, 'hex'), want, 'the echoed key differs');
        },
      },
      {
        id: 'bytes/echo/warns',
        reqs: ['CONF-060'],
        async run(ctx) {
          await ctx.iut.call('fixture.echo', { x: 'abcd' }, { unchecked: 'a test method outside the contract' });
          ctx.warn('the echo of abcd was accepted as it is');
        },
      },
      {
        id: 'bytes/echo/expected',
        reqs: ['CONF-060'],
        async run(ctx) {
          await ctx.iut.call('fixture.echo', { x: 'beef' }, { unchecked: 'a test method outside the contract' });
          checkBytes(Buffer.from('beef', 'hex'), Buffer.from('bee0', 'hex'), 'the known mismatch');
        },
      },
    ],
  };
}

describe.skipIf(!available())('HTML report in headless Chromium', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-html-'));
  const impl = `"${process.execPath}" "${FIXTURE}" ok`;
  const run = await runWithReference({ suites: [diffSuite(), fixtureSuite({ echoes: 4, withFailures: true })], impl, seed: 5, expectations: parseExpectations(JSON.stringify({ 'bytes/echo/expected': { expect: 'fail', reason: 'known mismatch' } })) });
  const { html } = writeReports(dir, run);
  const url = pathToFileURL(html).href;

  it('CONF-075: the self-check sees a console message on a page that logs one', async () => {
    const probe = join(dir, 'probe.html');
    writeFileSync(probe, '<!doctype html><title>p</title><script>console.error("probe")</script>');
    const r = await chromium(['--dump-dom', pathToFileURL(probe).href]);
    expect(consoleLines(r.stderr).join('\n')).toContain('"probe"');
  });

  it('CONF-075: the page loads with no console message and every in-page anchor resolves', async () => {
    const r = await chromium(['--dump-dom', url]);
    expect(r.code).toBe(0);
    expect(consoleLines(r.stderr)).toEqual([]);
    const dom = r.stdout;
    expect(dom).toContain('<nav id="toc">');
    const ids = new Set([...dom.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')));
    const hrefs = [...new Set([...dom.matchAll(/href="#([^"]*)"/g)].map((m) => decodeURIComponent(m[1]!.replace(/&amp;/g, '&'))))];
    expect(hrefs.length).toBeGreaterThan(10);
    expect(hrefs.filter((h) => !ids.has(h))).toEqual([]);
    for (const a of ['suite-bytes', 'suite-fixture', 'test-bytes/echo/differs', 'test-bytes/echo/warns', 'test-bytes/echo/expected', 'warnings', 'expected-failures', 'req-CONF-061', 'failures', 'all-tests']) expect(hrefs).toContain(a);
    // Sections: the one with a failure open, and passing rows hidden by nothing yet.
    expect(dom).toMatch(/<details class="suite" id="suite-bytes" open="">/);
    expect(dom).not.toMatch(/<tr class="t [^"]*" hidden/);
  });

  it('CONF-075: the filter (set from ?filter=) hides every row that does not match', async () => {
    const r = await chromium(['--dump-dom', `${url}?filter=fixture/echo`]);
    expect(consoleLines(r.stderr)).toEqual([]);
    const rows = [...r.stdout.matchAll(/<tr class="t [^"]*"( hidden="")?><td>(?:<a [^>]*>)?<code>([^<]*)<\/code>/g)].map((m) => ({ id: m[2]!, hidden: m[1] !== undefined }));
    expect(rows.length).toBe(run.tests.length);
    const shown = rows.filter((x) => !x.hidden).map((x) => x.id);
    expect(shown).toEqual(['fixture/echo/1', 'fixture/echo/2', 'fixture/echo/3', 'fixture/echo/4']);
    expect(rows.filter((x) => x.hidden).length).toBe(run.tests.length - 4);
    expect(r.stdout).toMatch(/<span id="shown">4 of \d+ tests match<\/span>/);
    // The suite with no matching row is hidden altogether.
    expect(r.stdout).toMatch(/<details class="suite" id="suite-bytes" open="" hidden="">/);
  });

  it('CONF-060 CONF-061 CONF-075: a failing test shows its exchange and diff; a screenshot of it is taken', async () => {
    const shot = process.env.AGENTSEC_SCREENSHOT ?? join(dir, 'failure.png');
    const r = await chromium([`--screenshot=${shot}`, '--window-size=1280,1500', '--hide-scrollbars', `${url}#test-bytes/echo/differs`]);
    expect(r.code).toBe(0);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('bytes: first difference at byte 21 (expected 32 bytes, got 32)');
    expect(page).toContain('-&gt; fixture.echo {&quot;x&quot;:&quot;001122334455...(32 bytes)...ccddeeff&quot;}');
    expect(page).toContain('<span class="nw">--only bytes/echo/differs</span>');
  });

  it('CONF-060 CONF-061: a warning test and an expected failure show their exchange (and diff) like a failing test', async () => {
    expect(run.tests.find((t) => t.id === 'bytes/echo/warns')?.outcome).toBe('warn');
    expect(run.tests.find((t) => t.id === 'bytes/echo/expected')?.outcome).toBe('xfail');
    const r = await chromium(['--dump-dom', `${url}#test-bytes/echo/warns`]);
    expect(consoleLines(r.stderr)).toEqual([]);
    const block = (id: string): string => {
      const m = new RegExp(`<div class="failure"><h3 class="[a-z]+" id="test-${id}">[\\s\\S]*?</div>`).exec(r.stdout);
      expect(m, `no block for ${id}`).not.toBeNull();
      return m![0];
    };
    const warns = block('bytes/echo/warns');
    expect(warns).toContain('WARN <code>bytes/echo/warns</code>');
    expect(warns).toContain('the echo of abcd was accepted as it is');
    expect(warns).toMatch(/<details open="" class="transcript"><summary>exchange with the implementation \(1 call\)<\/summary><pre>-&gt; fixture.echo \{"x":"abcd"\}/);
    const xfail = block('bytes/echo/expected');
    expect(xfail).toContain('Expected to fail: known mismatch');
    expect(xfail).toContain('first difference at byte 1 (expected 2 bytes, got 2)');
    expect(xfail).toMatch(/-&gt; fixture.echo \{"x":"beef"\}/);
  });
});
