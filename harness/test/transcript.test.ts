/**
 * Transcripts and hex diffs: a failing test keeps its exchange with the implementation (out of
 * process and in process alike) and, for a byte mismatch, the first differing offset; results.json,
 * index.html and --verbose show them; the end of a run lists the failing ids.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { byteDiff, checkBytes, formatDiff } from '../conform/assert.js';
import { runWithReference } from '../../cli/compose.js';
import { shortenHex } from '../conform/transcript.js';
import type { Adapter, Suite } from '../conform/types.js';
import { writeReports } from '../report/index.js';
import { schemaValidator } from '../../spec/tools/schema-validator.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving-adapter.mjs', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(new URL('../report/results.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const IMPL = `"${process.execPath}" "${FIXTURE}" ok`;

/** Echo tests over the fixture method: one compares the echo with bytes that differ at offset 20. */
function echoSuite(): Suite {
  const x = '00112233445566778899aabbccddeeff0011223344556677';
  return {
    name: 'echo',
    description: 'transcript fixtures',
    tests: () => [
      {
        id: 'echo/bytes/differ',
        reqs: ['CONF-061'],
        async run(ctx) {
          await ctx.iut.call('fixture.echo', { x: 'ab' }, { unchecked: 'a test method outside the contract' });
          const r = (await ctx.iut.call('fixture.echo', { x }, { unchecked: 'a test method outside the contract' })) as { x: string };
          const want = Buffer.from(x, 'hex');
          want[20] = want[20]! ^ 0xff;
          checkBytes(Buffer.from(r.x, 'hex'), want, 'the echo differs');
        },
      },
      { id: 'echo/plain/pass', reqs: ['CONF-060'], async run(ctx) { await ctx.iut.call('fixture.echo', { x: '01' }, { unchecked: 'a test method outside the contract' }); } },
      {
        id: 'echo/refused/method',
        reqs: ['CONF-060'],
        async run(ctx) {
          await ctx.iut.call('fixture.nosuch', { y: 1 }, { unchecked: 'a test method outside the contract' });
        },
      },
    ],
  };
}

describe('byte diffs', () => {
  it('CONF-061: the first differing offset, lengths, and a window shorter than 16 bytes', () => {
    const a = Uint8Array.from({ length: 64 }, (_, i) => i);
    const b = a.slice();
    b[40] = 0xff;
    const d = byteDiff(b, a, 'x')!;
    expect(d).toMatchObject({ offset: 40, expected_length: 64, actual_length: 64, window_start: 36 });
    expect(d.expected).toBe('2425262728292a2b2c2d2e2f');
    expect(d.actual).toBe('24252627ff292a2b2c2d2e2f');
    expect(byteDiff(a, a, 'x')).toBeUndefined();
    // A prefix: the difference is where the shorter one ends.
    expect(byteDiff(a.subarray(0, 10), a, 'x')).toMatchObject({ offset: 10, actual_length: 10, window_start: 6, actual: '06070809' });
    expect(formatDiff(d)).toMatch(/first difference at byte 40 \(expected 64 bytes, got 64\)\n {2}offset 36:\n {2}expected 24 25 26 27 28 .*\n {2}actual {3}24 25 26 27 ff .*\n {11} {12}\^\^/);
  });

  it('CONF-060: long hex is shortened in the middle, so no 16-byte stretch survives', () => {
    const h = 'ab'.repeat(40);
    expect(shortenHex(`key ${h} end`)).toBe('key abababababab...(40 bytes)...abababab end');
    expect(shortenHex('00'.repeat(12))).toBe('00'.repeat(12));
  });
});

describe('transcripts in results', () => {
  it('CONF-060 CONF-061: out of process, a failing test keeps its exchange and diff; a passing one keeps nothing', async () => {
    const r = await runWithReference({ suites: [echoSuite()], impl: IMPL, seed: 5 });
    const t = Object.fromEntries(r.tests.map((x) => [x.id, x]));
    const differ = t['echo/bytes/differ']!;
    expect(differ.outcome).toBe('fail');
    expect(differ.message).toMatch(/the echo differs \(first difference at byte 20 of 24\)/);
    expect(differ.diff).toMatchObject({ offset: 20, expected_length: 24, actual_length: 24, window_start: 16 });
    expect(differ.transcript!.entries).toEqual([
      { method: 'fixture.echo', params: { x: 'ab' }, result: { x: 'ab' } },
      { method: 'fixture.echo', params: { x: '001122334455...(24 bytes)...44556677' }, result: { x: '001122334455...(24 bytes)...44556677' } },
    ]);
    expect(t['echo/plain/pass']!.transcript).toBeUndefined();
    const refused = t['echo/refused/method']!;
    expect(refused.outcome).toBe('fail');
    expect(refused.transcript!.entries[0]).toMatchObject({ method: 'fixture.nosuch', params: { y: 1 }, error: { message: 'unknown method' } });
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-transcript-'));
    const paths = writeReports(dir, r);
    expect(schemaValidator(SCHEMA)(JSON.parse(readFileSync(paths.results, 'utf8')))).toEqual([]);
    const html = readFileSync(paths.html, 'utf8');
    expect(html).toContain('first difference at byte 20 (expected 24 bytes, got 24)');
    expect(html).toContain('-&gt; fixture.echo {&quot;x&quot;:&quot;001122334455...(24 bytes)...44556677&quot;}');
  });

  it('CONF-060: in process, the same wrapper records the reference\'s answers (a tampered AEAD, shortened hex)', async () => {
    const flipped = async (): Promise<Adapter> => {
      const ref = await startReferenceAdapter();
      return {
        hello: ref.hello,
        stderr: () => '',
        close: () => ref.close(),
        async call(m, p) {
          const r = await ref.call(m, p);
          if (m !== 'prim.aead_seal') return r;
          const c = (r as { ciphertext: string }).ciphertext;
          return { ciphertext: c.slice(0, -2) + (c.endsWith('00') ? '01' : '00') };
        },
      };
    };
    const { primitivesSuite } = await import('../suites/primitives.js');
    const { sharedVectorsDir } = await import('../../vectors/external.js');
    const dir = sharedVectorsDir();
    if (!dir) return void console.warn('CONF-060 in-process transcript: skipped, the shared vectors folder is missing');
    const r = await runWithReference({ suites: [primitivesSuite], seed: 1, sharedVectorsDir: dir, only: ['primitives/wycheproof/chacha20_poly1305/1'], startIut: flipped });
    const [t] = r.tests;
    expect(t!.outcome).toBe('fail');
    expect(t!.transcript!.entries[0]!.method).toBe('prim.aead_seal');
    expect(t!.diff!.what).toBe('ciphertext||tag');
    const text = JSON.stringify(t!.transcript);
    expect(text.match(/[0-9a-f]{25,}/g)).toBeNull();
  });
});

describe('terminal', () => {
  it('CONF-060 CONF-062: --verbose --only prints the exchange and diff to stderr; the end of the run lists failing ids', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), tty: false };
    const code = await conformMain(['--impl', IMPL, '--only', 'echo/bytes/differ', '--verbose', '--seed', '3', '--report', mkdtempSync(join(tmpdir(), 'agentsec-v-'))], io, [echoSuite()]);
    expect(code).toBe(1);
    const e = err.join('\n');
    expect(e).toContain('--- FAIL echo/bytes/differ');
    expect(e).toContain('bytes: first difference at byte 20 (expected 24 bytes, got 24)');
    expect(e).toContain('-> fixture.echo {"x":"ab"}');
    expect(e).toContain('<- {"x":"001122334455...(24 bytes)...44556677"}');
    const o = out.join('\n');
    expect(o).toMatch(/1 test\(s\) to look at:\n {2}FAIL {2}echo\/bytes\/differ\n/);

    const all: string[] = [];
    const code2 = await conformMain(['--impl', IMPL, '--seed', '3', '--report', mkdtempSync(join(tmpdir(), 'agentsec-v-'))], { out: (l) => all.push(l), err: (l) => all.push(`ERR ${l}`), tty: false }, [echoSuite()]);
    expect(code2).toBe(1);
    expect(all.join('\n')).toMatch(/2 test\(s\) to look at:\n {2}FAIL {2}echo\/bytes\/differ\n {2}FAIL {2}echo\/refused\/method\n/);
    expect(all.some((l) => l.startsWith('ERR -> '))).toBe(false);
  });
});
