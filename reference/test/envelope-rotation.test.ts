import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../../harness/services/kms/index.js';
import { utf8 } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { AwsKmsKek, inspect, LocalKekRing, open, payloadBytes, retireDue, rewrap, scanForRewrap, seal, type KekProvider } from '../envelope/index.js';

const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const CONTEXTS: Record<string, string>[] = [{ a: '1' }, { a: '1', b: '2' }, {}];

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

type Action =
  | { t: 'seal'; pt: Uint8Array; c: number }
  | { t: 'rotate' }
  | { t: 'rewrap'; i: number }
  | { t: 'retire'; pick: number }
  | { t: 'open'; i: number }
  | { t: 'fault'; op: string; kind: 'throttle' | 'internal' };

const FAULT_OPS = ['Encrypt', 'Decrypt', 'ReEncrypt', 'RotateKeyOnDemand', 'ListKeyRotations', 'DescribeKey'];

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('seal' as const), pt: fc.uint8Array({ maxLength: 24 }), c: fc.nat(CONTEXTS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rotate' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rewrap' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retire' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('open' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('fault' as const), op: fc.constantFrom(...FAULT_OPS), kind: fc.constantFrom('throttle' as const, 'internal' as const) }) },
);

/** A local ring whose calls fail like a flaky KMS when a fault is armed. */
function flakyLocal(): { kek: KekProvider; arm: (op: string) => void; clear: () => void } {
  const inner = LocalKekRing.open({ kekId: 'local:prop' });
  let armed: string | undefined;
  const maybeFail = (op: string): void => {
    if (armed === op) {
      armed = undefined;
      throw new AgentsecError('internal', 'KMS_UNAVAILABLE', `injected ${op} failure`);
    }
  };
  const kek: KekProvider = {
    kind: 'local',
    kekId: inner.kekId,
    wrap: async (d, c) => (maybeFail('Encrypt'), inner.wrap(d, c)),
    unwrap: async (k, c) => (maybeFail('Decrypt'), inner.unwrap(k, c)),
    rotate: async () => (maybeFail('RotateKeyOnDemand'), inner.rotate()),
    currentVersion: () => inner.currentVersion(),
    versions: () => inner.versions(),
    retire: (v) => inner.retire(v),
  };
  return {
    kek,
    arm: (op) => {
      armed = op;
    },
    clear: () => {
      armed = undefined;
    },
  };
}

interface Held {
  envelope: Uint8Array;
  pt: Uint8Array;
  ctx: Record<string, string>;
}

async function runModel(kek: KekProvider, actions: Action[], arm: (a: Extract<Action, { t: 'fault' }>) => void, clear: () => void): Promise<void> {
  const held: Held[] = [];
  const retired = new Set<number>();
  const readable = (h: Held): boolean => !retired.has(inspect(h.envelope).kekVersion);
  const faultOnly = (e: unknown): void => {
    // A failed step is acceptable only as an injected KMS failure.
    expect(e).toBeInstanceOf(AgentsecError);
    expect((e as AgentsecError).kind).toBe('internal');
  };
  for (const a of actions) {
    switch (a.t) {
      case 'fault':
        arm(a);
        break;
      case 'seal':
        try {
          held.push({ envelope: await seal(kek, a.pt, CONTEXTS[a.c]!), pt: a.pt, ctx: CONTEXTS[a.c]! });
        } catch (e) {
          faultOnly(e);
        }
        break;
      case 'rotate':
        try {
          await kek.rotate();
        } catch (e) {
          faultOnly(e);
        }
        break;
      case 'rewrap': {
        const h = held[a.i % Math.max(1, held.length)];
        if (!h) break;
        try {
          const moved = await rewrap(kek, h.envelope);
          expect(payloadBytes(moved)).toEqual(payloadBytes(h.envelope));
          // A successful rewrap lands on the current version.
          expect(inspect(moved).kekVersion).toBe(await kek.currentVersion());
          h.envelope = moved;
        } catch (e) {
          if (e instanceof AgentsecError && e.reason === 'KEK_VERSION_RETIRED') expect(readable(h)).toBe(false);
          else faultOnly(e);
        }
        break;
      }
      case 'retire': {
        const prev = (await kek.versions()).filter((v) => v.state === 'previous');
        const v = prev[a.pick % Math.max(1, prev.length)];
        if (!v) break;
        await kek.retire(v.version);
        retired.add(v.version);
        break;
      }
      case 'open': {
        const h = held[a.i % Math.max(1, held.length)];
        if (!h) break;
        try {
          expect(await open(kek, h.envelope, h.ctx)).toEqual(h.pt);
          expect(readable(h)).toBe(true);
        } catch (e) {
          if (e instanceof AgentsecError && e.reason === 'KEK_VERSION_RETIRED') expect(readable(h)).toBe(false);
          else faultOnly(e);
        }
        break;
      }
    }
  }
  // Nothing readable is lost: with faults cleared, every envelope the model says is readable opens.
  clear();
  for (const h of held) {
    if (readable(h)) expect(await open(kek, h.envelope, h.ctx)).toEqual(h.pt);
    else await expect(open(kek, h.envelope, h.ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
  }
}

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
