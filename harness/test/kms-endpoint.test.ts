import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EnableKeyRotationCommand, EncryptCommand, ListKeyRotationsCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hold, startKmsServer, type KmsServer } from '../services/kms/index.js';
import { defineKmsSuite, errorName, kmsClient } from './kms-suite.js';

let aws: KmsServer;
let ls: KmsServer;
beforeAll(async () => {
  aws = await startKmsServer({ mode: 'aws', onDemandRotationLimit: 3 });
  ls = await startKmsServer({ mode: 'localstack' });
});
afterAll(async () => {
  await aws.close();
  await ls.close();
});

/** What the shared suite (kms-suite.ts) checks, named here so the traceability check sees it. */
const SUITE_REQS = 'KMS-001 KMS-002 KMS-003 KMS-004 KMS-005 KMS-006 KMS-007 KMS-008 KMS-009 KMS-010 KMS-011 KMS-012 KMS-013 KMS-014 KMS-015 KMS-022';

defineKmsSuite(`endpoint, mode aws [${SUITE_REQS}]`, () => aws, { strictContext: true, listKeyRotations: true, validatesRotationPeriod: true, onDemandLimit: 3 });
defineKmsSuite(`endpoint, mode localstack [${SUITE_REQS}]`, () => ls, { strictContext: false, listKeyRotations: false, validatesRotationPeriod: false, onDemandLimit: 10 });

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('KMS endpoint specifics', () => {
  it('KMS-020: LocalStack mode blob = 36-byte NUL-padded KeyId || 16-byte IV || tag || AES-256-GCM(PKCS#7 plaintext), concatenated-context AAD', async () => {
    const c = kmsClient(ls.endpoint);
    const material = Buffer.alloc(32, 0x42);
    const created = await c.send(new CreateKeyCommand({ Tags: [{ TagKey: '_custom_id_', TagValue: 'seeded-key' }, { TagKey: '_custom_key_material_', TagValue: material.toString('base64') }] }));
    expect(created.KeyMetadata!.KeyId).toBe('seeded-key');
    const enc = await c.send(new EncryptCommand({ KeyId: 'seeded-key', Plaintext: new Uint8Array(32).fill(9), EncryptionContext: { b: '2', a: '1' } }));
    const blob = Buffer.from(enc.CiphertextBlob!);
    expect(blob.length).toBe(116);
    expect(blob.subarray(0, 36).toString('ascii')).toBe('seeded-key'.padEnd(36, '\0'));
    // Decrypt independently with LocalStack's layout.
    const d = createDecipheriv('aes-256-gcm', material, blob.subarray(36, 52));
    d.setAAD(Buffer.from('a1b2'));
    d.setAuthTag(blob.subarray(52, 68));
    const padded = Buffer.concat([d.update(blob.subarray(68)), d.final()]);
    expect(padded.length).toBe(48);
    expect(padded.subarray(32)).toEqual(Buffer.alloc(16, 16));
    expect(padded.subarray(0, 32)).toEqual(Buffer.alloc(32, 9));
  });

  it('KMS-021: strict mode blobs name the key material: after rotation Decrypt reports the old material id', async () => {
    const c = kmsClient(aws.endpoint);
    const id = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const m1 = (await c.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.CurrentKeyMaterialId;
    const enc = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }));
    await c.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    const dec = await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(dec.KeyMaterialId).toBe(m1);
  });

  it('KMS-030 KMS-022 KMS-052: injected throttling, internal errors and delays reach the SDK as AWS errors; the SDK retries throttling', async () => {
    const c = kmsClient(aws.endpoint);
    const id = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    aws.faults.set('Encrypt', { throttle: 1 });
    expect(await errorName(c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') })))).toBe('ThrottlingException');
    aws.faults.set('Encrypt', { internal: 1 });
    expect(await errorName(c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') })))).toBe('KMSInternalException');
    // With retries on, one throttled attempt is retried and succeeds.
    aws.faults.set('Encrypt', { throttle: 1 });
    const before = aws.counters.calls.Encrypt ?? 0;
    const retrying = kmsClient(aws.endpoint, { maxAttempts: 2 });
    await retrying.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }));
    expect((aws.counters.calls.Encrypt ?? 0) - before).toBe(2);
    // A held call never answers: the client's own abort is the only thing that can end it.
    const hold = new Hold();
    aws.faults.set('Encrypt', { hold });
    const ac = new AbortController();
    const abandoned = errorName(c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }), { abortSignal: ac.signal }));
    await hold.whenArrived(1);
    ac.abort();
    expect(await abandoned).toMatch(/Abort|Timeout/i);
    // The abandoned request is still held by the endpoint until released.
    expect(aws.counters.inFlight).toBe(1);
    aws.faults.clear();
    while (aws.counters.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }));
  });

  it('KMS-031 KMS-022: a request without an Authorization header or with an unknown target is refused', async () => {
    const post = (headers: Record<string, string>): Promise<{ status: number; type: string | undefined; body: string }> =>
      new Promise((resolve, reject) => {
        const r = request(`${aws.endpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['x-amzn-errortype'] as string | undefined, body }));
        });
        r.on('error', reject);
        r.end('{}');
      });
    const noAuth = await post({ 'x-amz-target': 'TrentService.ListAliases' });
    expect([noAuth.status, noAuth.type]).toEqual([400, 'MissingAuthenticationTokenException']);
    expect(JSON.parse(noAuth.body).__type).toBe('MissingAuthenticationTokenException');
    const unknown = await post({ 'x-amz-target': 'TrentService.Nope', authorization: 'x' });
    expect([unknown.status, unknown.type]).toEqual([400, 'UnknownOperationException']);
  });

  it('KMS-032: --state persists keys and material (mode 0600); a restarted endpoint decrypts old ciphertexts', async () => {
    const statePath = join(mkdtempSync(join(tmpdir(), 'agentsec-kms-')), 'state.json');
    const s1 = await startKmsServer({ statePath });
    const c1 = kmsClient(s1.endpoint);
    const id = (await c1.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const enc = await c1.send(new EncryptCommand({ KeyId: id, Plaintext: b('kept'), EncryptionContext: { k: 'v' } }));
    await c1.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    await s1.close();
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    const s2 = await startKmsServer({ statePath });
    try {
      const c2 = kmsClient(s2.endpoint);
      const dec = await c2.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { k: 'v' } }));
      expect(Buffer.from(dec.Plaintext!).toString()).toBe('kept');
      expect((await c2.send(new ListKeyRotationsCommand({ KeyId: id }))).Rotations?.length).toBe(1);
    } finally {
      await s2.close();
    }
    await expect(startKmsServer({ statePath, mode: 'localstack' })).rejects.toThrow(/mode aws/);
  });

  it('KMS-033: strict mode rotates automatically when the (fake) clock passes NextRotationDate', async () => {
    let now = Date.UTC(2026, 0, 1);
    const s = await startKmsServer({ now: () => now });
    try {
      const c = kmsClient(s.endpoint);
      const id = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      await c.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: 90 }));
      now += 91 * 86400_000;
      const rots = await c.send(new ListKeyRotationsCommand({ KeyId: id }));
      expect(rots.Rotations?.map((r) => r.RotationType)).toEqual(['AUTOMATIC']);
    } finally {
      await s.close();
    }
  });

  it('KMS-034 KMS-052: the endpoint counts requests and the most in flight at once', async () => {
    const c = kmsClient(aws.endpoint);
    const id = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    aws.resetCounters();
    // KMS-052: a barrier of 5 holds every call until all five are in flight together.
    const hold = new Hold({ barrier: 5 });
    aws.faults.set('Encrypt', { hold });
    await Promise.all(Array.from({ length: 5 }, () => c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }))));
    expect(hold.arrived).toBe(5);
    aws.faults.clear();
    expect(aws.counters.calls.Encrypt).toBe(5);
    expect(aws.counters.maxInFlight).toBe(5);
    expect(aws.counters.inFlight).toBe(0);
  });

  it('KMS-035: the endpoint listens on loopback only', async () => {
    await expect(startKmsServer({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback/);
    expect(aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe('KMS endpoint robustness', () => {
  it('KMS-036: malformed requests to any operation get a 400 with an AWS error type, never a 500 or a crash', async () => {
    const fc = (await import('fast-check')).default;
    const ops = ['CreateKey', 'DescribeKey', 'CreateAlias', 'ListAliases', 'Encrypt', 'Decrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncrypt', 'EnableKey', 'DisableKey', 'EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ListKeyRotations', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'GenerateRandom'];
    const fields = ['KeyId', 'Plaintext', 'CiphertextBlob', 'EncryptionContext', 'KeySpec', 'NumberOfBytes', 'AliasName', 'TargetKeyId', 'Tags', 'RotationPeriodInDays', 'PendingWindowInDays', 'DestinationKeyId', 'SourceEncryptionContext', 'Marker', 'Limit', 'KeyUsage'];
    const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.oneof(fc.string(), fc.constant(null), fc.dictionary(fc.string(), fc.string()))), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), fc.constant('AAAA'), fc.constant('alias/x'));
    const send = async (op: string, body: string, server = aws): Promise<{ status: number; type: string | undefined }> => {
      const r = await fetch(server.endpoint, { method: 'POST', headers: { 'x-amz-target': `TrentService.${op}`, authorization: 'x', 'content-type': 'application/x-amz-json-1.1' }, body });
      await r.text();
      return { status: r.status, type: r.headers.get('x-amzn-errortype') ?? undefined };
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ops), fc.dictionary(fc.constantFrom(...fields), value), fc.boolean(), async (op, body, strict) => {
        const r = await send(op, JSON.stringify(body), strict ? aws : ls);
        // LocalStack's own answer for ListKeyRotations is 501 (not implemented).
        const notImplemented = !strict && op === 'ListKeyRotations' && r.status === 501;
        expect(notImplemented || r.status === 200 || (r.status === 400 && r.type !== undefined), `${op} ${JSON.stringify(body)} -> ${r.status} ${r.type}`).toBe(true);
      }),
      { numRuns: 300 },
    );
    for (const server of [aws, ls]) {
      for (const tags of ['[null]', '[{"TagKey":1}]', '"x"']) expect(await send('CreateKey', `{"Tags":${tags}}`, server)).toEqual({ status: 400, type: 'SerializationException' });
    }
    expect(await send('CreateKey', '{"Tags":[{"TagKey":"_custom_key_material_","TagValue":"AAAA"}]}', ls)).toEqual({ status: 400, type: 'ValidationException' });
    for (const raw of ['', 'null', '[]', '{', '"x"']) {
      const r = await send('Encrypt', raw);
      expect([r.status, r.type]).toEqual([400, raw === '' ? 'ValidationException' : 'SerializationException']);
    }
  });
});
