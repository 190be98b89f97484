/**
 * `--otlp URL` on the servers: the processes export their request spans (and the library's) through
 * the scrubbing processor to an OTLP/HTTP receiver that this test runs on loopback and decodes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../vectors/external.js';

const CLI = join(REPO_ROOT, 'bin/agentsec.mjs');

interface OtlpSpan {
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** Starts `agentsec <args>`, resolves with its first stdout line matching `ready`, and a stop that waits for exit. */
function start(args: string[], ready: RegExp): Promise<{ match: RegExpExecArray; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, err }));
  });
}

describe('servers export scrubbed spans with --otlp', () => {
  const bodies: { path: string; type: string; body: string }[] = [];
  let receiver: Server;
  let url = '';
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ path: req.url ?? '', type: String(req.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const spansOf = (from: number): OtlpSpan[] =>
    bodies
      .slice(from)
      .map((b) => JSON.parse(b.body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] })
      .flatMap((d) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  const attr = (s: OtlpSpan, key: string): unknown => {
    const v = s.attributes.find((a) => a.key === key)?.value;
    return v ? Object.values(v)[0] : undefined;
  };

  it('OBS-041 OBS-022: kms serve sends one SERVER span per request; no context, plaintext or ciphertext reaches the receiver', async () => {
    const from = bodies.length;
    const s = await start(['kms', 'serve', '--otlp', url], /agentsec kms listening on (http:\/\/127\.0\.0\.1:\d+) \(mode aws\)\n/);
    const client = new KMSClient({ endpoint: s.match[1]!, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' }, maxAttempts: 1 });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const secrets: string[] = ['acme-routing-secret'];
    const context = { tenant: 'acme-routing-secret' };
    for (let i = 0; i < 12; i++) {
      const pt = randomBytes(32);
      const enc = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: pt, EncryptionContext: context }));
      await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
      const ct = Buffer.from(enc.CiphertextBlob!);
      secrets.push(pt.toString('hex'), pt.toString('base64'), ct.toString('base64'), ct.toString('hex'));
    }
    await expect(client.send(new DecryptCommand({ CiphertextBlob: randomBytes(80), EncryptionContext: context }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    // Exit flushes the batch: every span is at the receiver once the process is gone.
    expect(await s.stop()).toBe(0);
    expect(bodies.length).toBeGreaterThan(from);
    expect(bodies.slice(from).every((b) => b.path === '/v1/traces' && b.type.startsWith('application/json'))).toBe(true);
    const spans = spansOf(from).filter((x) => x.name === 'kms.request');
    const ops = spans.map((x) => attr(x, 'operation'));
    // Not sampled: CreateKey (info) and the failed Decrypt (warn); Encrypt/Decrypt successes are thinned by the sampler.
    expect(ops).toContain('CreateKey');
    expect(spans.some((x) => attr(x, 'operation') === 'Decrypt' && attr(x, 'outcome') === 'InvalidCiphertextException')).toBe(true);
    expect(spans.length).toBeLessThan(2 + 24);
    expect(spans.every((x) => x.kind === 2)).toBe(true); // SERVER
    // OBS-022: the encryption context is a metadata field: stripped; no recorded secret anywhere in what was exported.
    expect(spans.some((x) => x.attributes.some((a) => a.key === 'encryption_context'))).toBe(false);
    const raw = bodies.slice(from).map((b) => b.body).join('\n');
    expect(secrets.filter((x) => raw.includes(x))).toEqual([]);
    console.log(`[otlp kms] ${bodies.length - from} OTLP requests, ${spans.length} request spans (${ops.join(', ')}), 0 of ${secrets.length} recorded secrets`);
  });

  it('OBS-041 OBS-022: directory serve sends its request spans without the agent name (a routing field)', async () => {
    const from = bodies.length;
    const s = await start(['directory', 'serve', '--otlp', url], /agentsec directory listening on (http:\/\/127\.0\.0\.1:\d+)/);
    for (const name of ['alice-routing-name', 'bob-routing-name']) {
      const res = await fetch(`${s.match[1]!}/v1/agents/${name}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    expect(await s.stop()).toBe(0);
    const spans = spansOf(from).filter((x) => x.name === 'directory.request');
    expect(spans.length).toBe(2);
    expect(spans.every((x) => x.attributes.every((a) => a.key !== 'peer_id'))).toBe(true);
    const raw = bodies.slice(from).map((b) => b.body).join('\n');
    expect(raw).not.toMatch(/routing-name/);
    expect(spans.map((x) => attr(x, 'status'))).toEqual([expect.any(Number), expect.any(Number)]);
  });

  it('OBS-040: --otlp accepts loopback receivers only', async () => {
    const r = await run(['kms', 'serve', '--otlp', 'http://10.0.0.1:4318/v1/traces']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--otlp must be an http(s) URL on loopback');
    const d = await run(['directory', 'serve', '--otlp', 'not a url']);
    expect(d.code).toBe(2);
    expect(d.err).toContain('--otlp must be a URL');
  });
});
