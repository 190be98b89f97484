import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { startProcessAdapter } from '../adapters/process.js';
import { ImplementationStartError, type TestResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import { AdapterFault } from '../conform/types.js';
import { fixtureSuite } from './fixtures/fixture-suite.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving-adapter.mjs', import.meta.url));
const cmd = (mode: string, n = 2) => `"${process.execPath}" "${FIXTURE}" ${mode} ${n}`;
const AGENTSEC = `"${process.execPath}" "${fileURLToPath(new URL('../../bin/agentsec.mjs', import.meta.url))}" adapter`;

async function runAgainst(mode: string, extra: { callTimeoutMs?: number; maxLineBytes?: number } = {}) {
  const r = await runWithReference({ suites: [fixtureSuite({ echoes: 4 })], impl: cmd(mode), seed: 1, only: ['fixture/echo/*'], ...extra });
  return Object.fromEntries(r.tests.map((t) => [t.id, t])) as Record<string, TestResult>;
}

describe('robustness against the implementation under test', () => {
  it('CONF-006: a well-behaved adapter passes every echo test in one process', async () => {
    const t = await runAgainst('ok');
    for (let i = 1; i <= 4; i++) expect(t[`fixture/echo/${i}`]?.outcome).toBe('pass');
  });

  it('CONF-006 CONF-007: a crash is reported with its exit code and stderr, and the next test runs in a fresh process', async () => {
    const t = await runAgainst('crash');
    expect(t['fixture/echo/1']?.outcome).toBe('pass');
    expect(t['fixture/echo/2']).toMatchObject({ outcome: 'fail', fault: 'crash' });
    expect(t['fixture/echo/2']?.message).toMatch(/adapter fault \(crash\): adapter process exited with code 3 while "fixture.echo" was in flight/);
    expect(t['fixture/echo/2']?.stderr).toMatch(/fixture: call 2/);
    expect(t['fixture/echo/2']?.reproduction).toContain('--only fixture/echo/2 --seed 1');
    // Fresh process: its call counter starts again, so echo/3 is call 1 and passes.
    expect(t['fixture/echo/3']?.outcome).toBe('pass');
    expect(t['fixture/echo/4']).toMatchObject({ outcome: 'fail', fault: 'crash' });
  });

  it('CONF-005 CONF-006: a hang hits the per-call timeout, and the run goes on', async () => {
    // Generous, so the echoes that do answer never hit it under load; only the hang can.
    const t = await runAgainst('hang', { callTimeoutMs: 3_000 });
    expect(t['fixture/echo/2']).toMatchObject({ outcome: 'fail', fault: 'timeout' });
    expect(t['fixture/echo/2']?.message).toMatch(/did not answer "fixture.echo" within 3000 ms/);
    expect(t['fixture/echo/3']?.outcome).toBe('pass');
  });

  it('CONF-006: garbage on stdout is reported with the offending line', async () => {
    const t = await runAgainst('garbage');
    expect(t['fixture/echo/2']).toMatchObject({ outcome: 'fail', fault: 'garbage' });
    expect(t['fixture/echo/2']?.message).toMatch(/not JSON: "this is not json"/);
    expect(t['fixture/echo/3']?.outcome).toBe('pass');
  });

  it('CONF-006: an answer to the wrong id is out of order', async () => {
    const t = await runAgainst('wrong-id');
    expect(t['fixture/echo/2']).toMatchObject({ outcome: 'fail', fault: 'out_of_order' });
    expect(t['fixture/echo/2']?.message).toMatch(/answered id 1003 while request id 3 \("fixture.echo"\) was in flight/);
    expect(t['fixture/echo/3']?.outcome).toBe('pass');
  });

  it('CONF-001 CONF-006: an unsolicited extra line is out of order and charged to the test that caused it', async () => {
    const t = await runAgainst('extra-line');
    expect(t['fixture/echo/2']).toMatchObject({ outcome: 'fail', fault: 'out_of_order' });
    expect(t['fixture/echo/2']?.message).toMatch(/no request in flight/);
    expect(t['fixture/echo/3']?.outcome).toBe('pass');
  });

  it('CONF-006: an oversize line is refused without buffering it whole', async () => {
    const t = await runAgainst('oversize', { maxLineBytes: 64 * 1024 });
    expect(t['fixture/echo/2']).toMatchObject({ outcome: 'fail', fault: 'garbage' });
    expect(t['fixture/echo/2']?.message).toMatch(/longer than 65536 bytes/);
    expect(t['fixture/echo/3']?.outcome).toBe('pass');
  });

  it('CONF-002 CONF-006: a result of the wrong shape is a bad_result fault', async () => {
    const ok = await startProcessAdapter({ command: cmd('ok') });
    expect(await ok.call('noise.write', { id: 'h', payload: '' })).toEqual({ message: 'ab' });
    await ok.close();
    const bad = await startProcessAdapter({ command: cmd('bad-result') });
    const err = await bad.call('noise.write', { id: 'h', payload: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterFault);
    expect(err).toMatchObject({ fault: 'bad_result', message: 'noise.write: result field "message" must be lowercase hex, got "AB"' });
    expect(bad.healthy).toBe(false);
    await bad.close();
  });

  it('CONF-004: a bad hello or an adapter that does not start is a configuration error', async () => {
    await expect(startProcessAdapter({ command: cmd('bad-hello') })).rejects.toThrow(/"protocol" must be 1/);
    await expect(runWithReference({ suites: [fixtureSuite({ echoes: 1 })], impl: cmd('no-hello'), seed: 1 })).rejects.toThrow(ImplementationStartError);
    await expect(runWithReference({ suites: [fixtureSuite({ echoes: 1 })], impl: cmd('no-hello'), seed: 1 })).rejects.toThrow(/exited with code 7 .*refusing to start/);
  });

  it('CONF-006: calls after a fault fail fast with the original fault', async () => {
    const a = await startProcessAdapter({ command: cmd('crash', 1) });
    const err = await a.call('fixture.echo', { x: '00' }, { unchecked: 'a test method outside the contract' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterFault);
    expect(a.healthy).toBe(false);
    await expect(a.call('fixture.echo', { x: '00' }, { unchecked: 'a test method outside the contract' })).rejects.toThrow(/unusable after an earlier fault/);
    await a.close();
  });
});

describe('agentsec adapter', () => {
  it('CONF-008 CONF-009: hello and protocol errors are the same in process and over stdio', async () => {
    const child = await startProcessAdapter({ command: AGENTSEC, callTimeoutMs: 30_000 });
    const inproc = await startReferenceAdapter();
    try {
      expect(child.hello).toEqual(inproc.hello);
      expect(child.hello.name).toBe('agentsec-reference');
      for (const a of [child, inproc]) {
        const unknown = await a.call('no.such.method', {}, { unchecked: 'a test method outside the contract' }).catch((e: unknown) => e);
        expect(unknown).toMatchObject({ name: 'AdapterCallError', kind: 'unsupported' });
        const free = await a.call('free', { id: 'nothing-1' }).catch((e: unknown) => e);
        expect(free).toMatchObject({ name: 'AdapterCallError', kind: 'state_failure', reason: 'UNKNOWN_ID' });
      }
      expect(child.stderr()).toBe('');
    } finally {
      await child.close();
      await inproc.close();
    }
  });
});
