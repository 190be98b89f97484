/** `agentsec vectors verify` on session known-answer files (in process and through the adapter) and envelope ones (in process). */
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

describe('vectors verify: envelope files', () => {
  const ENV_FILE = join(REPO, 'vectors', 'envelope', 'agentsec-envelope.json');
  const changed = (edit: (tests: Array<Record<string, unknown>>) => void): string => {
    const doc = JSON.parse(readFileSync(ENV_FILE, 'utf8')) as { tests: Array<Record<string, unknown>> };
    edit(doc.tests);
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-vv-')), 'changed.json');
    writeFileSync(path, JSON.stringify(doc));
    return path;
  };
  const flip = (hex: string, at: number): string => hex.slice(0, at * 2) + (hex.slice(at * 2, at * 2 + 2) === '00' ? '01' : '00') + hex.slice(at * 2 + 2);

  it('CONF-140: the committed envelope file passes against the reference with either crypto provider', () => {
    const n = (JSON.parse(readFileSync(ENV_FILE, 'utf8')) as { tests: unknown[] }).tests.length;
    for (const provider of ['noble', 'node']) {
      const r = verify('--provider', provider, ENV_FILE);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`agentsec-envelope.json: ${n} pass, 0 unsupported, 0 fail (reference, ${provider})`);
    }
  });

  it('CONF-140: a changed byte of the seal randomness, the plaintext or an expected error kind fails the vector', () => {
    // The salt is part of the envelope: sealing with another salt cannot give the expected bytes.
    const salt = verify(changed((ts) => (ts[0]!.salt = flip(ts[0]!.salt as string, 3))));
    expect(salt.status).toBe(1);
    expect(salt.stdout).toMatch(/changed\.json: \d+ pass, 0 unsupported, 1 fail/);
    expect(salt.stdout).toMatch(/FAIL tc 1 \(.*\): sealed with the vector's randomness to different bytes: first difference at byte \d+/);
    const plain = verify(changed((ts) => (ts[0]!.plaintext = flip(ts[0]!.plaintext as string, 0))));
    expect(plain.status).toBe(1);
    expect(plain.stdout).toMatch(/FAIL tc 1 \(.*\): opened to a different plaintext: first difference at byte 0/);
    const kind = verify(
      changed((ts) => {
        const t = ts.find((x) => x.result === 'invalid')!;
        t.expected_error = t.expected_error === 'auth_failure' ? 'decode_failure' : 'auth_failure';
      }),
    );
    expect(kind.status).toBe(1);
    expect(kind.stdout).toMatch(/FAIL tc \d+ \(.*\): refused with \w+, expected \w+/);
  });

  it('CONF-140: through --impl the envelope vectors count as unsupported, with the reason', () => {
    const r = verify('--impl', `"${process.execPath}" "${BIN}" adapter`, ENV_FILE);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no adapter method loads yet/);
    expect(r.stdout).toMatch(/agentsec-envelope\.json: 0 pass, \d+ unsupported, 0 fail/);
  });
});
