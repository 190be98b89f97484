/**
 * The KMS behaviour suite, driven with the real @aws-sdk/client-kms over HTTP. The same suite runs
 * against the project's endpoint in both modes and against LocalStack where an image is available;
 * `features` says which parts the target has.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  type KMSClientConfig,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';

export interface KmsTarget {
  endpoint: string;
}

export interface KmsFeatures {
  /** Length-prefixed context AAD (AWS); false where a plain concatenation is used (LocalStack). */
  strictContext: boolean;
  listKeyRotations: boolean;
  validatesRotationPeriod: boolean;
  /** On-demand rotation limit of the target, when the suite may exhaust it. */
  onDemandLimit?: number;
}

export function kmsClient(endpoint: string, extra: Partial<KMSClientConfig> = {}): KMSClient {
  return new KMSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
    ...extra,
  });
}

export async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).name;
  }
  return 'no error';
}

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

export function defineKmsSuite(label: string, target: () => KmsTarget, f: KmsFeatures): void {
  describe(`KMS suite: ${label}`, () => {
    const client = (): KMSClient => kmsClient(target().endpoint);
    const newKey = async (c: KMSClient): Promise<string> => (await c.send(new CreateKeyCommand({ Description: 'suite' }))).KeyMetadata!.KeyId!;

    it('KMS-001 KMS-002: CreateKey, DescribeKey and aliases resolve to the same key', async () => {
      const c = client();
      const created = await c.send(new CreateKeyCommand({ Description: 'first' }));
      const id = created.KeyMetadata!.KeyId!;
      expect(created.KeyMetadata!.KeyState).toBe('Enabled');
      expect(created.KeyMetadata!.Arn).toContain(`:key/${id}`);
      const alias = `alias/suite-${id.slice(0, 8)}`;
      await c.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
      expect((await c.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.KeyId).toBe(id);
      const aliases = (await c.send(new ListAliasesCommand({}))).Aliases ?? [];
      expect(aliases.find((a) => a.AliasName === alias)?.TargetKeyId).toBe(id);
      expect(await errorName(c.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id })))).toBe('AlreadyExistsException');
      expect(await errorName(c.send(new DescribeKeyCommand({ KeyId: 'alias/none-such' })))).toBe('NotFoundException');
      const enc = await c.send(new EncryptCommand({ KeyId: alias, Plaintext: b('via alias') }));
      expect(enc.KeyId).toContain(id);
    });

    it('KMS-003 KMS-004: Encrypt/Decrypt round trip; the context must match exactly', async () => {
      const c = client();
      const id = await newKey(c);
      const ctx = { tenant: 'acme', purpose: 'dek' };
      const enc = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('secret'), EncryptionContext: ctx }));
      const dec = await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx }));
      expect(Buffer.from(dec.Plaintext!).toString()).toBe('secret');
      expect(dec.KeyId).toContain(id);
      for (const bad of [{}, { tenant: 'acme' }, { ...ctx, x: 'y' }, { tenant: 'ACME', purpose: 'dek' }] as Record<string, string>[]) {
        expect(await errorName(c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bad })))).toBe('InvalidCiphertextException');
      }
      const flipped = Uint8Array.from(enc.CiphertextBlob!);
      flipped[flipped.length - 1]! ^= 1;
      expect(await errorName(c.send(new DecryptCommand({ CiphertextBlob: flipped, EncryptionContext: ctx })))).toBe('InvalidCiphertextException');
    });

    it('KMS-005: Decrypt naming another key is IncorrectKeyException', async () => {
      const c = client();
      const a = await newKey(c);
      const other = await newKey(c);
      const enc = await c.send(new EncryptCommand({ KeyId: a, Plaintext: b('x') }));
      expect(await errorName(c.send(new DecryptCommand({ KeyId: other, CiphertextBlob: enc.CiphertextBlob })))).toBe('IncorrectKeyException');
      expect(Buffer.from((await c.send(new DecryptCommand({ KeyId: a, CiphertextBlob: enc.CiphertextBlob }))).Plaintext!).toString()).toBe('x');
    });

    it(`KMS-006: context {a:"bc"} vs {ab:"c"} is ${f.strictContext ? 'refused (length-prefixed AAD)' : 'accepted (LocalStack concatenated AAD: a parity gap)'}`, async () => {
      const c = client();
      const id = await newKey(c);
      const enc = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x'), EncryptionContext: { a: 'bc' } }));
      const r = await errorName(c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { ab: 'c' } })));
      expect(r).toBe(f.strictContext ? 'InvalidCiphertextException' : 'no error');
    });

    it('KMS-007: GenerateDataKey(WithoutPlaintext) with exactly one of KeySpec / NumberOfBytes', async () => {
      const c = client();
      const id = await newKey(c);
      const dk = await c.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256', EncryptionContext: { k: 'v' } }));
      expect(dk.Plaintext!.length).toBe(32);
      const dec = await c.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { k: 'v' } }));
      expect(Buffer.from(dec.Plaintext!)).toEqual(Buffer.from(dk.Plaintext!));
      const np = await c.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: id, NumberOfBytes: 24 }));
      expect((np as { Plaintext?: unknown }).Plaintext).toBeUndefined();
      expect((await c.send(new DecryptCommand({ CiphertextBlob: np.CiphertextBlob }))).Plaintext!.length).toBe(24);
      expect(await errorName(c.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256', NumberOfBytes: 32 })))).toBe('ValidationException');
      expect(await errorName(c.send(new GenerateDataKeyCommand({ KeyId: id })))).toBe('ValidationException');
    });

    it('KMS-008: ReEncrypt moves a ciphertext to another key and context without returning the plaintext', async () => {
      const c = client();
      const a = await newKey(c);
      const d = await newKey(c);
      const enc = await c.send(new EncryptCommand({ KeyId: a, Plaintext: b('moved'), EncryptionContext: { v: '1' } }));
      const re = await c.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceKeyId: a, SourceEncryptionContext: { v: '1' }, DestinationKeyId: d, DestinationEncryptionContext: { v: '2' } }));
      expect((re as { Plaintext?: unknown }).Plaintext).toBeUndefined();
      expect(re.KeyId).toContain(d);
      const dec = await c.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { v: '2' } }));
      expect(Buffer.from(dec.Plaintext!).toString()).toBe('moved');
      expect(await errorName(c.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceKeyId: a, SourceEncryptionContext: { v: 'x' }, DestinationKeyId: d })))).toBe('InvalidCiphertextException');
    });

    it('KMS-009: a disabled key refuses Encrypt and Decrypt (DisabledException) until enabled', async () => {
      const c = client();
      const id = await newKey(c);
      const enc = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }));
      await c.send(new DisableKeyCommand({ KeyId: id }));
      expect((await c.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.KeyState).toBe('Disabled');
      expect(await errorName(c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') })))).toBe('DisabledException');
      expect(await errorName(c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })))).toBe('DisabledException');
      await c.send(new EnableKeyCommand({ KeyId: id }));
      expect((await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext!.length).toBe(1);
    });

    it('KMS-010 KMS-011: rotation keeps old ciphertexts decryptable; new ones use new material', async () => {
      const c = client();
      const id = await newKey(c);
      const before = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('old'), EncryptionContext: { r: '1' } }));
      const m1 = (await c.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.CurrentKeyMaterialId;
      await c.send(new RotateKeyOnDemandCommand({ KeyId: id }));
      const m2 = (await c.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.CurrentKeyMaterialId;
      if (m1 !== undefined) expect(m2).not.toBe(m1);
      const after = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('new'), EncryptionContext: { r: '1' } }));
      expect(Buffer.from((await c.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { r: '1' } }))).Plaintext!).toString()).toBe('old');
      expect(Buffer.from((await c.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob, EncryptionContext: { r: '1' } }))).Plaintext!).toString()).toBe('new');
      const re = await c.send(new ReEncryptCommand({ CiphertextBlob: before.CiphertextBlob, SourceKeyId: id, SourceEncryptionContext: { r: '1' }, DestinationKeyId: id, DestinationEncryptionContext: { r: '1' } }));
      expect(Buffer.from((await c.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { r: '1' } }))).Plaintext!).toString()).toBe('old');
      if (f.listKeyRotations) {
        const rots = await c.send(new ListKeyRotationsCommand({ KeyId: id }));
        expect(rots.Rotations?.length).toBe(1);
        expect(rots.Rotations![0]!.RotationType).toBe('ON_DEMAND');
        expect(rots.Rotations![0]!.KeyMaterialId).toBe(m2);
      } else {
        expect(await errorName(c.send(new ListKeyRotationsCommand({ KeyId: id })))).not.toBe('no error');
      }
    });

    it(`KMS-012: EnableKeyRotation ${f.validatesRotationPeriod ? 'validates RotationPeriodInDays 90..2560' : 'stores any period (LocalStack)'}; GetKeyRotationStatus reports it`, async () => {
      const c = client();
      const id = await newKey(c);
      await c.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: 90 }));
      const st = await c.send(new GetKeyRotationStatusCommand({ KeyId: id }));
      expect(st.KeyRotationEnabled).toBe(true);
      expect(st.RotationPeriodInDays).toBe(90);
      expect(st.NextRotationDate).toBeInstanceOf(Date);
      for (const bad of [89, 2561]) {
        const r = await errorName(c.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: bad })));
        expect(r).toBe(f.validatesRotationPeriod ? 'ValidationException' : 'no error');
      }
      await c.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: 2560 }));
      expect((await c.send(new GetKeyRotationStatusCommand({ KeyId: id }))).RotationPeriodInDays).toBe(2560);
    });

    if (f.onDemandLimit !== undefined) {
      const limit = f.onDemandLimit;
      it(`KMS-013: RotateKeyOnDemand beyond the limit (${limit}) is LimitExceededException`, async () => {
        const c = client();
        const id = await newKey(c);
        for (let i = 0; i < limit; i++) await c.send(new RotateKeyOnDemandCommand({ KeyId: id }));
        expect(await errorName(c.send(new RotateKeyOnDemandCommand({ KeyId: id })))).toBe('LimitExceededException');
      });
    }

    it('KMS-014: ScheduleKeyDeletion takes 7..30 days and leaves the key PendingDeletion (KMSInvalidStateException)', async () => {
      const c = client();
      const id = await newKey(c);
      const enc = await c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') }));
      expect(await errorName(c.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 6 })))).toBe('ValidationException');
      expect(await errorName(c.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 31 })))).toBe('ValidationException');
      const del = await c.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
      expect(del.KeyState).toBe('PendingDeletion');
      expect(del.DeletionDate).toBeInstanceOf(Date);
      expect(await errorName(c.send(new EncryptCommand({ KeyId: id, Plaintext: b('x') })))).toBe('KMSInvalidStateException');
      expect(await errorName(c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })))).toBe('KMSInvalidStateException');
    });

    it('KMS-015: Encrypt refuses plaintexts outside 1..4096 bytes', async () => {
      const c = client();
      const id = await newKey(c);
      expect(await errorName(c.send(new EncryptCommand({ KeyId: id, Plaintext: new Uint8Array(4097) })))).toBe('ValidationException');
      await c.send(new EncryptCommand({ KeyId: id, Plaintext: new Uint8Array(4096) }));
    });
  });
}
