/**
 * Requests are checked against spec/adapter-protocol.schema.json when the harness sends them
 * (CONF-121): a malformed one is the harness's own bug, never sent and never a verdict against the
 * implementation; a negative test opts one call out and says why.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { startProcessAdapter } from '../adapters/process.js';
import { runWithReference } from '../../cli/compose.js';
import { parseExpectations } from '../conform/expectations.js';
import { AdapterCallError, HarnessError, type Suite } from '../conform/types.js';
import { callMethod } from '../conform/call.js';

const PROXY = fileURLToPath(new URL('./fixtures/contract-proxy.mjs', import.meta.url));
const KEY = '00'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'agentsec-request-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sent = (log: string): string[] => readFileSync(log, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { method: string }).method);

describe('requests checked at send time', () => {
  it('CONF-121: over a pipe, a malformed request is a HarnessError and never reaches the adapter; an unchecked one does', async () => {
    const log = join(dir, 'pipe.jsonl');
    const a = await startProcessAdapter({ command: `"${process.execPath}" "${PROXY}" "${log}"`, callTimeoutMs: 30_000 });
    try {
      // A wrong parameter name (`msg` for `message`): refused before sending, the adapter stays usable.
      const wrongName = await a.call('prim.hmac', { hash: 'SHA-256', key: KEY, msg: '00' }).catch((e: unknown) => e);
      expect(wrongName).toBeInstanceOf(HarnessError);
      expect((wrongName as Error).message).toMatch(/^harness error: the params of "prim\.hmac" do not match .*message/);
      await expect(a.call('prim.hmac', { hash: 'SHA-256', key: 'ZZ', message: '00' })).rejects.toBeInstanceOf(HarnessError);
      await expect(a.call('prim.no_such', {})).rejects.toThrow(/not a method of spec\/adapter-protocol\.schema\.json/);
      await expect(a.call('prim.hmac', { hash: 'SHA-256', key: 'ZZ', message: '00' }, { unchecked: ' ' })).rejects.toThrow(/must say why/);
      expect(sent(log)).toEqual(['hello']);
      expect(a.healthy).toBe(true);
      // A well-formed request goes through; `undefined` fields are dropped as on the wire.
      const ok = (await a.call('prim.hmac', { hash: 'SHA-256', key: KEY, message: '00', extra: undefined })) as { mac: string };
      expect(ok.mac).toMatch(/^[0-9a-f]{64}$/);
      // The deliberate one is sent, and the implementation's refusal is what the test sees.
      const refused = await a.call('prim.hmac', { hash: 'SHA-256', key: 'ZZ', message: '00' }, { unchecked: 'a negative test: non-hex key' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AdapterCallError);
      expect(sent(log)).toEqual(['hello', 'prim.hmac', 'prim.hmac']);
    } finally {
      await a.close();
    }
  });

  it('CONF-121: in process, the same check applies', async () => {
    const a = await startReferenceAdapter();
    await expect(a.call('noise.new', { protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, prolog: '' })).rejects.toBeInstanceOf(HarnessError);
    await expect(a.call('prim.hmac', { hash: 'SHA-256', key: 'ZZ', message: '00' }, { unchecked: 'a negative test: non-hex key' })).rejects.toBeInstanceOf(AdapterCallError);
  });

  it('CONF-121: the runner reports a malformed request as a harness error, which no expectation excuses', async () => {
    const suite: Suite = {
      name: 'buggy',
      description: 'a test with a wrong parameter name',
      tests: () => [
        {
          id: 'buggy/hmac/wrong-name',
          reqs: ['CONF-121'],
          async run(ctx) {
            await ctx.iut.call('prim.hmac', { hash: 'SHA-256', key: KEY, data: '00' });
          },
        },
      ],
    };
    const plain = await runWithReference({ suites: [suite], seed: 1 });
    expect(plain.tests[0]).toMatchObject({ outcome: 'fail' });
    expect(plain.tests[0]?.message).toMatch(/^harness error: the params of "prim\.hmac"/);
    expect(plain.exit_code).toBe(1);
    const expectations = parseExpectations(JSON.stringify({ 'buggy/hmac/wrong-name': { expect: 'fail', reason: 'known bug' } }));
    const excused = await runWithReference({ suites: [suite], seed: 1, expectations });
    expect(excused.tests[0]?.outcome).toBe('fail');
  });

  it('CONF-121: suites call through the typed callMethod; only deliberately malformed requests use the untyped call, and say why', async () => {
    const dir = fileURLToPath(new URL('../suites/', import.meta.url));
    const untyped: string[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\.call\('/.test(line) && !/unchecked: '[^']+'/.test(line)) untyped.push(`${f}:${i + 1}`);
        });
    }
    expect(untyped).toEqual([]);
    // A wrong parameter name does not compile (tsc checks this file); at run time it is refused unsent.
    const a = await startReferenceAdapter();
    // @ts-expect-error -- prim.hmac takes `message`, not `msg`
    await expect(callMethod(a, 'prim.hmac', { hash: 'SHA-256', key: KEY, msg: '00' })).rejects.toBeInstanceOf(HarnessError);
    const ok = await callMethod(a, 'prim.hmac', { hash: 'SHA-256', key: KEY, message: '00' });
    expect(ok.mac).toMatch(/^[0-9a-f]{64}$/);
  });
});
