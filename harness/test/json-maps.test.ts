/**
 * Parsed JSON becoming a map (spec/conventions.md CONV-020, spec/kms.md KMS-050/051): keys that
 * name Object.prototype members bind like any other key, everywhere the project builds such a map.
 */
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextParam } from '../../adapter/params.js';
import { parseSecurityConfig } from '../../reference/config/security-config.js';
import { scrubValue } from '../../reference/observability/scrub.js';
import { shortenValue } from '../conform/transcript.js';
import { startKmsServer, type KmsServer } from '../services/kms/index.js';
import { decodeValue } from '../trace/itf.js';
import { errorName, kmsClient } from './kms-suite.js';

const SPECIAL = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const parsed = (k: string, v = 'a'): Record<string, string> => JSON.parse(`{${JSON.stringify(k)}:${JSON.stringify(v)}}`) as Record<string, string>;
const keysOf = (o: unknown): string[] => Object.keys(o as object);

let kms: KmsServer;
beforeAll(async () => {
  kms = await startKmsServer({ mode: 'aws' });
});
afterAll(async () => {
  await kms.close();
});

describe('maps from parsed JSON', () => {
  for (const k of SPECIAL) {
    it(`KMS-050: an encryption context key "${k}" binds the ciphertext like any other key`, async () => {
      const c = kmsClient(kms.endpoint);
      const KeyId = (await c.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
      const blob = (await c.send(new EncryptCommand({ KeyId, Plaintext: new Uint8Array([1, 2, 3]), EncryptionContext: parsed(k) }))).CiphertextBlob!;
      expect((await c.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: parsed(k) }))).Plaintext).toEqual(new Uint8Array([1, 2, 3]));
      for (const wrong of [{}, parsed(k, 'b'), parsed(`${k}x`)]) {
        expect(await errorName(c.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: wrong })))).toBe('InvalidCiphertextException');
      }
    });

    it(`CONV-020: "${k}" survives the adapter's context param, the trace decoder, the transcript and the scrubber`, () => {
      expect(keysOf(contextParam({ context: parsed(k) }, 'context'))).toEqual([k]);
      expect(contextParam({ context: parsed(k) }, 'context')[k]).toBe('a');
      expect(keysOf(decodeValue(parsed(k)))).toEqual([k]);
      expect(keysOf(shortenValue(parsed(k)))).toEqual([k]);
      expect(keysOf(scrubValue(parsed(k)))).toEqual([k]);
    });

    it(`CONV-020 CONFIG-003: a configuration key "${k}" is refused as unknown, not ignored`, () => {
      expect(() => parseSecurityConfig(parsed(k))).toThrow(expect.objectContaining({ reason: 'CONFIG_UNKNOWN_KEY' }));
    });
  }

  it('KMS-051: a key or alias ARN of another account or region is NotFoundException; the endpoint\'s own resolve', async () => {
    const c = kmsClient(kms.endpoint);
    const meta = (await c.send(new CreateKeyCommand({}))).KeyMetadata!;
    await c.send(new CreateAliasCommand({ AliasName: 'alias/arn-test', TargetKeyId: meta.KeyId! }));
    const own = meta.Arn!;
    expect(own).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\//);
    const ownAlias = own.replace(/key\/.*$/, 'alias/arn-test');
    const enc = (KeyId: string) => c.send(new EncryptCommand({ KeyId, Plaintext: new Uint8Array([7]) }));
    for (const ok of [own, ownAlias, meta.KeyId!, 'alias/arn-test']) expect((await enc(ok)).KeyId).toBe(own);
    for (const foreign of [own.replace(':000000000000:', ':111122223333:'), own.replace(':us-east-1:', ':eu-west-1:'), ownAlias.replace(':000000000000:', ':111122223333:'), ownAlias.replace(':us-east-1:', ':eu-west-1:')]) {
      expect([foreign, await errorName(enc(foreign))]).toEqual([foreign, 'NotFoundException']);
    }
  });
});
