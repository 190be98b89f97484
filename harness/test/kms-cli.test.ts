import { spawn } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../vectors/external.js';
import { kmsClient } from './kms-suite.js';

function serve(args: string[]): Promise<{ endpoint: string; stop: () => Promise<number | null>; line: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/agentsec.mjs'), 'kms', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /agentsec kms listening on (http:\/\/127\.0\.0\.1:\d+) \(mode (aws|localstack)\)\n/.exec(out);
      if (m) {
        child.removeAllListeners('exit');
        resolve({
          endpoint: m[1]!,
          line: m[0],
          stop: () =>
            new Promise((r) => {
              child.on('exit', (code) => r(code));
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

describe('agentsec kms serve', () => {
  it('KMS-040: prints its endpoint, serves the SDK, persists --state and exits 0 on SIGTERM', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'agentsec-kms-cli-')), 'kms.json');
    const s = await serve(['--mode', 'localstack', '--state', state]);
    expect(s.line).toContain('(mode localstack)');
    const c = kmsClient(s.endpoint);
    const id = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const enc = await c.send(new EncryptCommand({ KeyId: id, Plaintext: new Uint8Array([1, 2, 3]) }));
    expect(await s.stop()).toBe(0);
    expect(existsSync(state)).toBe(true);
    const s2 = await serve(['--mode', 'localstack', '--state', state]);
    const dec = await kmsClient(s2.endpoint).send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect([...dec.Plaintext!]).toEqual([1, 2, 3]);
    expect(await s2.stop()).toBe(0);
  });

  it('KMS-041: bad flags exit 2 with a one-line reason', async () => {
    const run = (args: string[]): Promise<{ code: number | null; err: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/agentsec.mjs'), 'kms', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, err }));
      });
    const r = await run(['--mode', 'gcp']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--mode must be aws or localstack');
  });
});
