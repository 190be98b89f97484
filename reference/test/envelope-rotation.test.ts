import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../../harness/services/kms/index.js';
import { utf8 } from '../bytes.js';
import { AwsKmsKek, LocalKekRing, retireDue, scanForRewrap } from '../envelope/index.js';
import { open, payloadBytes, rewrap, seal } from '../envelope/envelope.js';
import { actionArb, flakyLocal, kekProviderSuite, runModel } from './envelope-kek-suite.js';

const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

describe('rotation lifecycle (local ring, fake clock)', () => {
  it('ENV-024: the scan lists envelopes under versions whose grace ends before the horizon', async () => {
    let now = 0;
    const day = 86_400_000;
    const kek = LocalKekRing.open({ kekId: 'local:scan', graceMs: 10 * day, clock: () => now });
    const v1 = await seal(kek, utf8('1'), {});
    now = 1 * day;
    await kek.rotate(); // v1 grace ends at day 11
    const v2 = await seal(kek, utf8('2'), {});
    now = 5 * day;
    await kek.rotate(); // v2 grace ends at day 15
    const v3 = await seal(kek, utf8('3'), {});
    const store = [
      { ref: 'v1', envelope: v1 },
      { ref: 'v2', envelope: v2 },
      { ref: 'v3', envelope: v3 },
    ];
    expect(await scanForRewrap(kek, store, { now, horizonMs: 1 * day })).toEqual([]);
    expect(await scanForRewrap(kek, store, { now, horizonMs: 7 * day })).toEqual([{ ref: 'v1', kekVersion: 1, status: 'expiring', graceEndsAt: 11 * day }]);
    now = 12 * day;
    expect((await scanForRewrap(kek, store, { now, horizonMs: 5 * day })).map((f) => [f.ref, f.status])).toEqual([
      ['v1', 'expired'],
      ['v2', 'expiring'],
    ]);
    // ENV-027: retireDue retires exactly v1.
    expect(await retireDue(kek, now)).toEqual([1]);
    expect((await scanForRewrap(kek, store, { now, horizonMs: 0 })).map((f) => [f.ref, f.status])).toEqual([['v1', 'retired']]);
  });

  it('ENV-027 ENV-021: rewrap what the scan finds, retire what is due: rewrapped envelopes open, a stale one names its version', async () => {
    let now = 0;
    const kek = LocalKekRing.open({ kekId: 'local:life', graceMs: 100, clock: () => now });
    const envs = new Map<string, Uint8Array>();
    for (const r of ['a', 'b', 'c']) envs.set(r, await seal(kek, utf8(r), { r }));
    now = 10;
    await kek.rotate();
    const stale = envs.get('c')!;
    for (const f of await scanForRewrap(kek, [...envs].filter(([r]) => r !== 'c').map(([ref, envelope]) => ({ ref, envelope })), { now, horizonMs: 1000 })) {
      const moved = await rewrap(kek, envs.get(f.ref)!);
      expect(payloadBytes(moved)).toEqual(payloadBytes(envs.get(f.ref)!));
      envs.set(f.ref, moved);
    }
    now = 200;
    expect(await retireDue(kek, now)).toEqual([1]);
    expect(await open(kek, envs.get('a')!, { r: 'a' })).toEqual(utf8('a'));
    expect(await open(kek, envs.get('b')!, { r: 'b' })).toEqual(utf8('b'));
    await expect(open(kek, stale, { r: 'c' })).rejects.toThrow(/version 1 is retired/);
  });
});

describe('ENV-026: random interleavings of seal / rotate / rewrap / retire / open with faults', () => {
  it('ENV-026 ENV-020 ENV-023: local ring with injected failures', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { maxLength: 30 }), async (actions) => {
        const f = flakyLocal();
        await runModel(f.kek, actions, (a) => f.arm(a.op), f.clear);
      }),
      { numRuns: 60 },
    );
  });

  for (const mode of ['aws', 'localstack'] as const) {
    describe(`AWS KMS KEK, endpoint mode ${mode}`, () => {
      let kms: KmsServer;
      beforeAll(async () => {
        kms = await startKmsServer({ mode, onDemandRotationLimit: 1000 });
      });
      afterAll(async () => {
        await kms.close();
      });
      it(`ENV-026 ENV-018: KMS throttling and internal errors injected (mode ${mode})`, async () => {
        const { CreateKeyCommand, KMSClient } = await import('@aws-sdk/client-kms');
        const client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
        await fc.assert(
          fc.asyncProperty(fc.array(actionArb, { maxLength: 25 }), async (actions) => {
            kms.faults.clear();
            const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
            // refreshMs 0: every wrap re-reads the version, so injected ListKeyRotations/DescribeKey faults are exercised.
            const kek = await AwsKmsKek.connect({ keyId, endpoint: kms.endpoint, credentials: creds, maxAttempts: 1, refreshMs: 0 });
            await runModel(kek, actions, (a) => kms.faults.set(a.op, { [a.kind]: 1 }), () => kms.faults.clear());
          }),
          { numRuns: 25 },
        );
      });
    });
  }
});

kekProviderSuite('local ring [ENV-002 ENV-007 ENV-015 ENV-020 ENV-021 ENV-023 ENV-025 ENV-026]', async () => LocalKekRing.open({ kekId: 'local:suite' }));
