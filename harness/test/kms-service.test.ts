import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { startKmsService } from '../conform/kms-service.js';
import { runWithReference } from '../../cli/compose.js';
import type { Suite } from '../conform/types.js';

describe('the KMS service for suites', () => {
  it('CONF-022: started once by a suite setup, passed in hello and to tests, closed at the end', async () => {
    const seen: string[] = [];
    let started = 0;
    let endpoint = '';
    const suite: Suite = {
      name: 'kmsuser',
      description: '',
      async setup() {
        started++;
        const s = await startKmsService();
        endpoint = s.services.kms!.endpoint;
        return s;
      },
      tests: () =>
        ['a', 'b'].map((n) => ({
          id: `kmsuser/${n}`,
          reqs: ['CONF-022'],
          async run(ctx) {
            seen.push(ctx.services.kms?.endpoint ?? 'none');
            const k = ctx.services.kms!;
            const client = new KMSClient({ endpoint: k.endpoint, region: k.region, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
            const d = await client.send(new DescribeKeyCommand({ KeyId: k.key_id }));
            client.destroy();
            if (d.KeyMetadata?.KeyId !== k.key_id) throw new Error('DescribeKey returned another key');
          },
        })),
    };
    const r = await runWithReference({ suites: [suite], seed: 1 });
    expect(r.tests.map((t) => t.outcome)).toEqual(['pass', 'pass']);
    expect(started).toBe(1);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(seen).toEqual([endpoint, endpoint]);
    await expect(fetch(endpoint, { method: 'POST' })).rejects.toThrow();
  });
});
