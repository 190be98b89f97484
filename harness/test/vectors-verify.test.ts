/** `agentsec vectors verify` on session known-answer files, in process and through the adapter. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(REPO, 'bin', 'agentsec.mjs');
const FILE = join(REPO, 'vectors', 'session', 'agentsec-x3dh.json');
const verify = (...args: string[]) => spawnSync(process.execPath, [BIN, 'vectors', 'verify', ...args], { encoding: 'utf8', cwd: REPO });

describe('vectors verify: session files', () => {
  it('CONF-076: the committed session file passes against the reference in process and through agentsec adapter', () => {
    const inProcess = verify(FILE);
    expect(inProcess.status, inProcess.stderr).toBe(0);
    expect(inProcess.stdout).toMatch(/agentsec-x3dh\.json: (\d+) pass, 0 unsupported, 0 fail \(reference, noble\)/);
    const n = Number(/: (\d+) pass/.exec(inProcess.stdout)![1]);
    expect(n).toBeGreaterThan(10);
    const adapter = verify('--impl', `"${process.execPath}" "${BIN}" adapter`, FILE);
    expect(adapter.status, adapter.stderr).toBe(0);
    expect(adapter.stdout).toContain(`${n} pass, 0 unsupported, 0 fail`);
  });

  it('CONF-076: a changed expected byte fails the file (exit 1)', () => {
    const doc = JSON.parse(readFileSync(FILE, 'utf8')) as { tests: Array<Record<string, unknown>> };
    const t = doc.tests.find((x) => x.type === 'key_agreement' && x.result === 'valid')!;
    const im = t.initial_message as string;
    t.initial_message = im.slice(0, -2) + (im.endsWith('00') ? '01' : '00');
    const bad = join(mkdtempSync(join(tmpdir(), 'agentsec-vv-')), 'changed.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = verify(bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/changed\.json: \d+ pass, 0 unsupported, [1-9]\d* fail/);
    expect(r.stdout).toMatch(/FAIL session\/known-answer\//);
  });
});
