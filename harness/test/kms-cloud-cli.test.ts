/** `agentsec kms serve --flavour azure|gcp` as a process, driven by the official SDKs through the reference's KEKs. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyClient } from '@azure/keyvault-keys';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { OAuth2Client } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../reference/bytes.js';
import { AzureKeyVaultKek, GcpKmsKek } from '../../reference/envelope/index.js';
import { open, seal } from '../../reference/envelope/envelope.js';
import { REPO_ROOT } from '../../vectors/external.js';

const CLI = join(REPO_ROOT, 'bin/agentsec.mjs');

function serve(args: string[], ready: RegExp): Promise<{ match: RegExpExecArray; out: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'kms', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        child.removeAllListeners('exit');
        resolve({
          match: m,
          out: () => out,
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

function run(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'kms', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, err }));
  });
}

describe('agentsec kms serve --flavour azure|gcp', () => {
  it('KMS-065 KMS-061: the azure flavour prints its vault URL and certificate; Key Vault SDK and the reference KEK use it', async () => {
    const caOut = join(mkdtempSync(join(tmpdir(), 'agentsec-kms-azure-')), 'ca.pem');
    const s = await serve(['--flavour', 'azure', '--ca-out', caOut, '--token', 'cli-token'], /agentsec kms listening on (https:\/\/127\.0\.0\.1:\d+) \(flavour azure, certificate sha256 ([0-9A-F:]+)\)\n(-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----\n)/);
    const [, vaultUrl, , pem] = s.match;
    expect(readFileSync(caOut, 'utf8')).toBe(pem);
    const credential = { getToken: async () => ({ token: 'cli-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const admin = new KeyClient(vaultUrl!, credential, { agent: new Agent({ ca: pem }), disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
    await admin.createKey('cli-kek', 'RSA', { keySize: 2048 });
    const kek = await AzureKeyVaultKek.connect({ vaultUrl: vaultUrl!, keyName: 'cli-kek', credential, ca: pem, disableChallengeResourceVerification: true });
    const env = await seal(kek, utf8('through the vault'), { t: '1' });
    expect(await open(kek, env, { t: '1' })).toEqual(utf8('through the vault'));
    // --token: another bearer token is refused (the SDK sees the 401 challenge again and gives up).
    const wrong = { getToken: async () => ({ token: 'other', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    await expect(AzureKeyVaultKek.connect({ vaultUrl: vaultUrl!, keyName: 'cli-kek', credential: wrong, ca: pem, disableChallengeResourceVerification: true, maxRetries: 0 })).rejects.toMatchObject({ kind: 'state_failure' });
    expect(await s.stop()).toBe(0);
  });

  it('KMS-065: the gcp flavour prints its endpoint; the Cloud KMS SDK (REST fallback) and the reference KEK use it', async () => {
    const s = await serve(['--flavour', 'gcp'], /agentsec kms listening on http:\/\/(127\.0\.0\.1):(\d+) \(flavour gcp\)\n/);
    const [, host, port] = s.match;
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: 'cli-token', expiry_date: Number.MAX_SAFE_INTEGER });
    const admin = new KeyManagementServiceClient({ fallback: true, apiEndpoint: host, port: Number(port), protocol: 'http', authClient: auth } as ConstructorParameters<typeof KeyManagementServiceClient>[0]);
    const [ring] = await admin.createKeyRing({ parent: 'projects/cli/locations/global', keyRingId: 'r' });
    const [key] = await admin.createCryptoKey({ parent: ring.name!, cryptoKeyId: 'k', cryptoKey: { purpose: 'ENCRYPT_DECRYPT' } });
    const kek = await GcpKmsKek.connect({ keyName: key.name!, apiEndpoint: host, port: Number(port), protocol: 'http', accessToken: 'cli-token' });
    const env = await seal(kek, utf8('through cloud kms'), { t: '1' });
    expect(await open(kek, env, { t: '1' })).toEqual(utf8('through cloud kms'));
    await kek.close();
    await admin.close();
    expect(await s.stop()).toBe(0);
  });

  it('KMS-065 KMS-041: flags of another flavour exit 2 with a one-line reason', async () => {
    const a = await run(['--flavour', 'azure', '--mode', 'aws']);
    expect(a.code).toBe(2);
    expect(a.err).toContain('--mode applies to --flavour aws only');
    const b = await run(['--flavour', 'oracle']);
    expect(b.code).toBe(2);
    expect(b.err).toContain('--flavour must be aws, azure or gcp');
    const c = await run(['--ca-out', '/tmp/x.pem']);
    expect(c.code).toBe(2);
    expect(c.err).toContain('--ca-out applies to --flavour azure or gcp only');
  });
});
