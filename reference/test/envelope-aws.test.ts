import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hold, startKmsServer, type KmsServer } from '../../harness/services/kms/index.js';
import { utf8 } from '../bytes.js';
import { AwsKmsKek, decodeEnvelope, VERSION_CONTEXT_KEY } from '../envelope/index.js';
import { open, payloadBytes, rewrap, seal } from '../envelope/envelope.js';
import { kekProviderSuite } from './envelope-kek-suite.js';

const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const ctx = { bucket: 'b1', object: 'o1' };

for (const mode of ['aws', 'localstack'] as const) {
  describe(`AWS KMS KEK provider against the endpoint (mode ${mode})`, () => {
    let kms: KmsServer;
    let client: KMSClient;
    const newKek = async (extra: Partial<Parameters<typeof AwsKmsKek.connect>[0]> = {}): Promise<{ kek: AwsKmsKek; keyId: string }> => {
      const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const alias = `alias/env-${keyId.slice(0, 8)}`;
      await client.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
      const kek = await AwsKmsKek.connect({ keyId: alias, endpoint: kms.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1, ...extra });
      return { kek, keyId };
    };
    beforeAll(async () => {
      kms = await startKmsServer({ mode, onDemandRotationLimit: 25 });
      client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
    });
    afterAll(async () => {
      await kms.close();
    });

    kekProviderSuite(`aws-kms (endpoint mode ${mode}) [ENV-002 ENV-007 ENV-016 ENV-020 ENV-021 ENV-023 ENV-025 ENV-026]`, async () => (await newKek()).kek);

    it('ENV-016: seals through KMS Encrypt with the version and binding in the EncryptionContext; the envelope stores the key ARN', async () => {
      const { kek, keyId } = await newKek();
      expect(kek.kekId).toBe(`arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
      const env = await seal(kek, utf8('through kms'), ctx);
      expect(await open(kek, env, ctx)).toEqual(utf8('through kms'));
      const e = decodeEnvelope(env);
      expect(e.kekVersion).toBe(1);
      // The wrapped key is a KMS blob; decrypting it needs the binding context including the version.
      const binding = { 'agentsec:context': Buffer.from(e.contextDigest).toString('hex') };
      await expect(client.send(new DecryptCommand({ CiphertextBlob: e.wrapped, EncryptionContext: binding }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
      const dk = await client.send(new DecryptCommand({ CiphertextBlob: e.wrapped, EncryptionContext: { ...binding, [VERSION_CONTEXT_KEY]: '1' } }));
      expect(dk.Plaintext!.length).toBe(32);
    });

    it('ENV-007 ENV-009: a changed KEK version field is refused (KMS authenticates it)', async () => {
      const { kek } = await newKek();
      await kek.rotate();
      const env = decodeEnvelope(await seal(kek, utf8('x'), ctx));
      const { encodeEnvelope } = await import('../envelope/index.js');
      const forged = encodeEnvelope({ ...env, kekVersion: 1 });
      await expect(open(kek, forged, ctx)).rejects.toMatchObject({ kind: 'auth_failure', reason: 'ENV_AUTH' });
    });

    it('ENV-017 ENV-023 ENV-020: rotation -> old envelopes open; rewrap (ReEncrypt) moves to the new version with identical payload bytes', async () => {
      const { kek } = await newKek();
      const old = await seal(kek, utf8('old'), ctx);
      expect(await kek.rotate()).toBe(2);
      expect(await kek.currentVersion()).toBe(2);
      expect(await open(kek, old, ctx)).toEqual(utf8('old'));
      const before = kms.counters.calls.ReEncrypt ?? 0;
      const moved = await rewrap(kek, old);
      expect((kms.counters.calls.ReEncrypt ?? 0) - before).toBe(1);
      expect(decodeEnvelope(moved).kekVersion).toBe(2);
      expect(payloadBytes(moved)).toEqual(payloadBytes(old));
      expect(await open(kek, moved, ctx)).toEqual(utf8('old'));
      const vs = await kek.versions();
      expect(vs.map((v) => v.state)).toEqual(['previous', 'current']);
    });

    it('ENV-021 ENV-025: after retirement stale envelopes fail naming the version; rewrapped ones open', async () => {
      const { kek } = await newKek();
      const stale = await seal(kek, utf8('stale'), ctx);
      const kept = await seal(kek, utf8('kept'), ctx);
      await kek.rotate();
      const moved = await rewrap(kek, kept);
      await expect(kek.retire(2)).rejects.toMatchObject({ reason: 'RETIRE_CURRENT' });
      await kek.retire(1);
      await expect(open(kek, stale, ctx)).rejects.toMatchObject({ kind: 'state_failure', reason: 'KEK_VERSION_RETIRED', message: expect.stringContaining('version 1') });
      await expect(rewrap(kek, stale)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
      expect(await open(kek, moved, ctx)).toEqual(utf8('kept'));
      // The bookkeeping survives a reconnect through exportState.
      const again = await AwsKmsKek.connect({ keyId: kek.kekId, endpoint: kms.endpoint, credentials: creds, maxAttempts: 1, state: kek.exportState() });
      await expect(open(again, stale, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
      expect(await open(again, moved, ctx)).toEqual(utf8('kept'));
    });

    it('ENV-018 KMS-052: KMS faults and key states surface as AgentsecErrors, never as a wrong result', async () => {
      const { kek, keyId } = await newKek();
      const env = await seal(kek, utf8('x'), ctx);
      kms.faults.set('Encrypt', { throttle: 1 });
      await expect(seal(kek, utf8('x'), ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE', message: expect.stringContaining('ThrottlingException') });
      kms.faults.set('Decrypt', { internal: 1 });
      await expect(open(kek, env, ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE' });
      kms.faults.clear();
      await client.send(new DisableKeyCommand({ KeyId: keyId }));
      await expect(open(kek, env, ctx)).rejects.toMatchObject({ kind: 'state_failure', reason: 'KMS_DisabledException' });
      await client.send(new EnableKeyCommand({ KeyId: keyId }));
      expect(await open(kek, env, ctx)).toEqual(utf8('x'));
      // KMS-052: Decrypt never answers until released, so the client's request timeout is the only
      // thing that can end the call; the timeout is generous so connecting never hits it under load.
      const slow = await AwsKmsKek.connect({ keyId, endpoint: kms.endpoint, credentials: creds, maxAttempts: 1, timeoutMs: 2_000 });
      const hold = new Hold();
      kms.faults.set('Decrypt', { hold });
      await expect(open(slow, env, ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE' });
      expect(hold.arrived).toBe(1);
      kms.faults.clear();
      while (kms.counters.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    });

    it('ENV-018: with SDK retries on, a single throttle is absorbed', async () => {
      const { kek } = await newKek({ maxAttempts: 3 });
      kms.faults.set('Encrypt', { throttle: 1 });
      const env = await seal(kek, utf8('retried'), ctx);
      kms.faults.clear();
      expect(await open(kek, env, ctx)).toEqual(utf8('retried'));
    });
  });
}
