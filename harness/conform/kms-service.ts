/**
 * The KMS service for suites that need one (the envelope suite's `setup`): the project's
 * AWS-KMS-compatible endpoint on 127.0.0.1:0 with one fresh symmetric key, started once per run and
 * passed to the implementation in `hello` as `services.kms`.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { startKmsServer, type KmsServer } from '../services/kms/index.js';
import type { SuiteServices } from './types.js';

export interface KmsService extends SuiteServices {
  readonly server: KmsServer;
}

export async function startKmsService(opts: { mode?: 'aws' | 'localstack'; region?: string } = {}): Promise<KmsService> {
  const server = await startKmsServer({ mode: opts.mode ?? 'aws', ...(opts.region ? { region: opts.region } : {}) });
  try {
    const client = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials: { accessKeyId: 'agentsec', secretAccessKey: 'agentsec' }, maxAttempts: 1 });
    const created = await client.send(new CreateKeyCommand({ Description: 'agentsec conform run key' }));
    client.destroy();
    const keyId = created.KeyMetadata?.KeyId;
    if (!keyId) throw new Error('the KMS endpoint created no key');
    return { server, services: { kms: { endpoint: server.endpoint, region: server.region, key_id: keyId } }, teardown: () => server.close() };
  } catch (e) {
    await server.close();
    throw e;
  }
}
