/** The directory and the KMS endpoint logging real traffic through the scrubbing logger (spec/observability.md). */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { createScrubbingLogger, defaultSecurityConfig, getProvider, SessionAgent, toHex, type LogRecord } from '../../reference/index.js';
import { agentSigner, DirectoryClient } from '../../services/directory/client.js';
import { DEFAULT_LIMITS } from '../../services/directory/limits.js';
import { verifyBatch } from '../../services/directory/publication.js';
import { openStore } from '../../services/directory/open-store.js';
import { startDirectory, type RunningDirectory } from '../../services/directory/server.js';
import { startKmsServer, type KmsServer } from '../services/kms/index.js';
import { errorName, kmsClient } from './kms-suite.js';

const p = getProvider('node');
const ROOT = join(import.meta.dirname, '../..');
const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of running) await s.close().catch(() => undefined);
});

/** Scrubbing off and every high-frequency event kept: proves the fields reach the logger at all. */
const SCRUB_OFF = { storage: { metadataScrubbing: false }, observability: { stripRoutingHeaders: false, sampleHighFrequency: 1 } };

function memoryLogger(config: unknown): { records: LogRecord[]; logger: ReturnType<typeof createScrubbingLogger>; text: () => string } {
  const records: LogRecord[] = [];
  const logger = createScrubbingLogger(config, (r) => records.push(r));
  return { records, logger, text: () => records.map((r) => JSON.stringify(r)).join('\n') };
}

async function directory(config: unknown): Promise<{ d: RunningDirectory; c: DirectoryClient; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger(config);
  const store = await openStore(undefined);
  // The client fetches as a registered agent, registered in the store directly so that it logs nothing.
  const fetcher = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
  await store.publish('log-fetcher', await verifyBatch(p, { bundles: fetcher.bundleBatch(0).map(toHex) }, DEFAULT_LIMITS), DEFAULT_LIMITS);
  const d = await startDirectory({ store, provider: p, logger: log.logger });
  running.push(d);
  return { d, c: new DirectoryClient(d.url, { signer: agentSigner('log-fetcher', fetcher.identity) }), log };
}

async function kms(config: unknown): Promise<{ s: KmsServer; log: ReturnType<typeof memoryLogger> }> {
  const log = memoryLogger(config);
  const s = await startKmsServer({ mode: 'aws', logger: log.logger });
  running.push(s);
  return { s, log };
}

/** Publishes `n` one-time bundles plus the reusable one; returns the bundles' hex. */
async function publish(c: DirectoryClient, agent: string, n: number): Promise<string[]> {
  const a = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: n });
  const list = Array.from({ length: n + 1 }, () => a.bundle());
  await c.as(agentSigner(agent, a.identity)).publish(agent, list);
  return list.map(toHex);
}

const reqs = (records: LogRecord[], event: string): LogRecord[] => records.filter((r) => r.event === event);

describe('prekey directory request log', () => {
  it('OBS-017 OBS-018 OBS-019: one event per request with outcome and status; peer_id and bundles never logged under the default config; fetches sampled, errors all kept', async () => {
    const agent = 'agent-zeta-417';
    const { c, log } = await directory(defaultSecurityConfig);
    const bundles = await publish(c, agent, 3);
    for (let i = 0; i < 10; i++) await c.fetchBundle(agent);
    await c.info(agent);
    for (let i = 0; i < 4; i++) await expect(c.fetchBundle('agent-missing-88')).rejects.toMatchObject({ kind: 'state_failure' });

    const all = reqs(log.records, 'directory.request');
    const byRoute = (route: string, outcome: string): LogRecord[] => all.filter((r) => r.attrs.route === route && r.attrs.outcome === outcome);
    expect(byRoute('publish', 'ok')).toHaveLength(1);
    expect(byRoute('publish', 'ok')[0]).toMatchObject({ level: 'info', attrs: { status: 200 } });
    expect(byRoute('info', 'ok')).toHaveLength(1);
    // Default rate 0.1: exactly one of the ten successful fetches, marked with its rate.
    const fetched = byRoute('fetch', 'ok');
    expect(fetched).toHaveLength(1);
    expect(fetched[0]!.sample_rate).toBe(0.1);
    const failed = byRoute('fetch', 'state_failure');
    expect(failed).toHaveLength(4);
    for (const r of failed) expect(r).toMatchObject({ level: 'warn', attrs: { status: 404, reason: 'NO_BUNDLE' } });
    for (const r of all) expect(typeof r.attrs.duration_ms).toBe('number');

    const text = log.text();
    expect(text).not.toContain('peer_id');
    expect(text).not.toContain(agent);
    expect(text).not.toContain('agent-missing-88');
    for (const b of bundles) expect(text).not.toContain(b.slice(0, 64));
  });

  it('OBS-017 OBS-019: with stripRoutingHeaders off the agent name is logged as peer_id (the logger is wired); rate 1 keeps every fetch, rate 0 none but every error', async () => {
    const { c, log } = await directory(SCRUB_OFF);
    const bundles = await publish(c, 'agent-eta-5', 2);
    for (let i = 0; i < 5; i++) await c.fetchBundle('agent-eta-5');
    const fetched = reqs(log.records, 'directory.request').filter((r) => r.attrs.route === 'fetch');
    expect(fetched).toHaveLength(5);
    for (const r of fetched) expect(r.attrs.peer_id).toBe('agent-eta-5');
    for (const b of bundles) expect(log.text()).not.toContain(b.slice(0, 64));

    const none = await directory({ observability: { sampleHighFrequency: 0 } });
    await publish(none.c, 'agent-theta-6', 1);
    for (let i = 0; i < 3; i++) await none.c.fetchBundle('agent-theta-6');
    for (let i = 0; i < 3; i++) await expect(none.c.fetchBundle('agent-absent-7')).rejects.toMatchObject({ kind: 'state_failure' });
    const events = reqs(none.log.records, 'directory.request');
    expect(events.filter((r) => r.attrs.route === 'fetch' && r.attrs.outcome === 'ok')).toHaveLength(0);
    expect(events.filter((r) => r.attrs.outcome === 'state_failure')).toHaveLength(3);
    expect(none.log.logger.stats().sampledOut).toBe(3);
  });
});

describe('KMS endpoint request log', () => {
  const plaintext = 'the-known-plaintext: attack at dawn, 8812';
  const forms = (bytes: Uint8Array): string[] => [Buffer.from(bytes).toString('hex'), Buffer.from(bytes).toString('base64'), Buffer.from(bytes).toString('base64url')];
  const pt = new TextEncoder().encode(plaintext);

  async function traffic(s: KmsServer): Promise<{ keyId: string; secrets: string[]; hf: number }> {
    const c = kmsClient(s.endpoint);
    const keyId = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const ctx = { tenant: 'tenant-omega-552' };
    const secrets: string[] = [plaintext, ...forms(pt)];
    for (let i = 0; i < 9; i++) {
      const enc = await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: pt, EncryptionContext: ctx }));
      secrets.push(...forms(enc.CiphertextBlob!));
      const dec = await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx }));
      expect(Buffer.from(dec.Plaintext!).toString()).toBe(plaintext);
    }
    const dk = await c.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: ctx }));
    secrets.push(...forms(dk.Plaintext!), ...forms(dk.CiphertextBlob!));
    for (const m of s.state.keys.get(keyId)!.materials) secrets.push(...forms(m.key));
    // A wrong context: an error, always logged.
    const enc = await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: pt, EncryptionContext: ctx }));
    secrets.push(...forms(enc.CiphertextBlob!));
    expect(await errorName(c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { tenant: 'tenant-other-553' } })))).toBe('InvalidCiphertextException');
    return { keyId, secrets, hf: 9 * 2 + 1 + 1 };
  }

  it('OBS-017 OBS-018 OBS-019: operation, outcome and KeyId logged; the encryption context stripped under the default config; no plaintext, blob or key bytes; Encrypt/Decrypt sampled, errors kept', async () => {
    const { s, log } = await kms(defaultSecurityConfig);
    const { keyId, secrets, hf } = await traffic(s);
    const all = reqs(log.records, 'kms.request');
    expect(all.filter((r) => r.attrs.operation === 'CreateKey')).toMatchObject([{ level: 'info', attrs: { outcome: 'ok', status: 200 } }]);
    const okHf = all.filter((r) => r.attrs.outcome === 'ok' && r.attrs.operation !== 'CreateKey');
    // Default rate 0.1 over the successful Encrypt/Decrypt/GenerateDataKey calls.
    expect(okHf).toHaveLength(Math.floor(hf * 0.1));
    for (const r of okHf) expect(r).toMatchObject({ sample_rate: 0.1, ...(r.attrs.operation === 'Decrypt' ? {} : { attrs: { key_id: keyId } }) });
    const errors = all.filter((r) => r.attrs.outcome !== 'ok');
    expect(errors).toMatchObject([{ level: 'warn', attrs: { operation: 'Decrypt', outcome: 'InvalidCiphertextException', status: 400 } }]);

    const text = log.text();
    expect(text).not.toContain('encryption_context');
    expect(text).not.toContain('tenant-omega-552');
    expect(text).not.toContain('tenant-other-553');
    for (const x of secrets) expect(text).not.toContain(x);
  });

  it('OBS-017 OBS-018: with metadataScrubbing off the context is logged (the logger is wired), payloads still never are', async () => {
    const { s, log } = await kms(SCRUB_OFF);
    const { keyId, secrets, hf } = await traffic(s);
    const all = reqs(log.records, 'kms.request');
    const encrypts = all.filter((r) => r.attrs.operation === 'Encrypt');
    expect(encrypts).toHaveLength(10);
    for (const r of encrypts) expect(r.attrs.key_id).toBe(keyId);
    expect(all.filter((r) => r.attrs.outcome === 'ok' && r.attrs.operation !== 'CreateKey')).toHaveLength(hf);
    const withCtx = all.filter((r) => r.attrs.encryption_context !== undefined);
    expect(withCtx.length).toBe(hf + 1);
    expect(withCtx[0]!.attrs.encryption_context).toEqual({ tenant: 'tenant-omega-552' });
    expect(all.some((r) => r.attrs.outcome === 'InvalidCiphertextException' && (r.attrs.encryption_context as { tenant?: string }).tenant === 'tenant-other-553')).toBe(true);
    const text = log.text();
    for (const x of secrets) expect(text).not.toContain(x);
  });

  it('OBS-019: injected throttling and internal errors are logged every time, at warn and error', async () => {
    const { s, log } = await kms({ observability: { sampleHighFrequency: 0 } });
    const c = kmsClient(s.endpoint);
    const keyId = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    for (let i = 0; i < 3; i++) await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: pt }));
    s.faults.set('Encrypt', { throttle: 2 });
    for (let i = 0; i < 2; i++) expect(await errorName(c.send(new EncryptCommand({ KeyId: keyId, Plaintext: pt })))).toBe('ThrottlingException');
    s.faults.set('Encrypt', { internal: 1 });
    expect(await errorName(c.send(new EncryptCommand({ KeyId: keyId, Plaintext: pt })))).toBe('KMSInternalException');
    const enc = reqs(log.records, 'kms.request').filter((r) => r.attrs.operation === 'Encrypt');
    expect(enc.map((r) => [r.level, r.attrs.outcome, r.attrs.status])).toEqual([
      ['warn', 'ThrottlingException', 400],
      ['warn', 'ThrottlingException', 400],
      ['error', 'KMSInternalException', 500],
    ]);
  });
});

describe('agentsec directory serve --log', () => {
  it('OBS-020 OBS-017: JSON lines in the log file, without the agent name; a bad --config is refused with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-server-log-'));
    const file = join(dir, 'directory.log');
    const child = spawn(process.execPath, [join(ROOT, 'bin/agentsec.mjs'), 'directory', 'serve', '--log', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (ch: Buffer) => {
        out += ch.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`directory exited (${code}) before printing its URL`)));
    });
    const fetcher = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const c = new DirectoryClient(url, { signer: agentSigner('cli-fetcher-902', fetcher.identity) });
    await c.publish('cli-fetcher-902', fetcher.bundleBatch(0));
    const agent = 'agent-cli-kappa-903';
    const bundles = await publish(c, agent, 1);
    await c.fetchBundle(agent);
    await expect(c.fetchBundle('agent-cli-absent-904')).rejects.toMatchObject({ kind: 'state_failure' });
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);

    const text = readFileSync(file, 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    expect(lines.find((r) => r.attrs.route === 'publish')).toMatchObject({ event: 'directory.request', attrs: { outcome: 'ok', status: 200 } });
    expect(lines.find((r) => r.attrs.outcome === 'state_failure')).toMatchObject({ level: 'warn', attrs: { route: 'fetch', status: 404 } });
    expect(text).not.toContain(agent);
    expect(text).not.toContain('agent-cli-absent-904');
    expect(text).not.toContain('peer_id');
    for (const b of bundles) expect(text).not.toContain(b.slice(0, 64));

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ observability: { stripRoutingHeaders: 'yes' } }));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/agentsec.mjs'), 'directory', 'serve', '--log', file, '--config', bad], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('observability.stripRoutingHeaders');
  }, 900_000);
});
