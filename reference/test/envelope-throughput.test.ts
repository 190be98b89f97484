import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hold, startKmsServer, type KmsServer } from '../../harness/services/kms/index.js';
import { utf8 } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { AwsKmsKek, DataKeyCache, decodeEnvelope, LocalKekRing, type KekProvider } from '../envelope/index.js';
import { open, seal, sealMany } from '../envelope/envelope.js';

const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** Counts wraps and keeps the data keys it saw, to check reuse and wiping. */
function counting(inner: KekProvider): KekProvider & { wraps: Uint8Array[]; fail: number } {
  const k = {
    kind: inner.kind,
    kekId: inner.kekId,
    wraps: [] as Uint8Array[],
    fail: 0,
    wrap: async (dek: Uint8Array, c: Record<string, string>) => {
      if (k.fail > 0) {
        k.fail--;
        throw new AgentsecError('internal', 'KMS_UNAVAILABLE', 'injected');
      }
      k.wraps.push(dek);
      return inner.wrap(dek, c);
    },
    unwrap: (w: Parameters<KekProvider['unwrap']>[0], c: Record<string, string>) => inner.unwrap(w, c),
    rotate: () => inner.rotate(),
    currentVersion: () => inner.currentVersion(),
    versions: () => inner.versions(),
    retire: (v: number) => inner.retire(v),
  };
  return k;
}

describe('sealMany: bounded in-flight KMS calls', () => {
  let kms: KmsServer;
  let kek: AwsKmsKek;
  beforeAll(async () => {
    kms = await startKmsServer();
    const { CreateKeyCommand, KMSClient } = await import('@aws-sdk/client-kms');
    const client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    kek = await AwsKmsKek.connect({ keyId, endpoint: kms.endpoint, credentials: creds, maxAttempts: 1 });
  });
  afterAll(async () => {
    await kms.close();
  });

  for (const limit of [1, 4]) {
    it(`ENV-040 KMS-052: at most ${limit} Encrypt calls in flight (the endpoint's counter), results in input order`, async () => {
      const items = Array.from({ length: 24 }, (_, i) => ({ plaintext: utf8(`payload ${i}`), context: { i: String(i) } }));
      // KMS-052: a cyclic barrier of `limit` holds calls until `limit` wait together, so the bound is
      // reached in every round whatever the load (24 is a multiple of both limits).
      kms.faults.set('Encrypt', { hold: new Hold({ barrier: limit }) });
      kms.resetCounters();
      const envs = await sealMany(kek, items, { concurrency: limit });
      kms.faults.clear();
      expect(kms.counters.calls.Encrypt).toBe(24);
      expect(kms.counters.maxInFlight).toBe(limit);
      for (const [i, e] of envs.entries()) expect(await open(kek, e, { i: String(i) })).toEqual(utf8(`payload ${i}`));
    });
  }

  it('ENV-040: an out-of-range concurrency is refused', async () => {
    await expect(sealMany(kek, [], { concurrency: 0 })).rejects.toMatchObject({ kind: 'policy_reject', reason: 'BAD_CONCURRENCY' });
    await expect(sealMany(kek, [], { concurrency: 1.5 })).rejects.toMatchObject({ reason: 'BAD_CONCURRENCY' });
  });
});

describe('data key cache', () => {
  const ctx = { tenant: 'a' };

  it('ENV-042: off by default: one wrap per payload', async () => {
    const kek = counting(LocalKekRing.open({ kekId: 'local:c0' }));
    for (let i = 0; i < 3; i++) await seal(kek, utf8('x'), ctx);
    expect(kek.wraps.length).toBe(3);
  });

  it('ENV-041 ENV-043: at most maxMessages payloads per data key, each under its own derived key', async () => {
    const kek = counting(LocalKekRing.open({ kekId: 'local:c1' }));
    const cache = new DataKeyCache({ maxMessages: 3, maxAgeMs: 60_000 });
    const envs: Uint8Array[] = [];
    for (let i = 0; i < 7; i++) envs.push(await seal(kek, utf8(`m${i}`), ctx, { cache }));
    expect(kek.wraps.length).toBe(3);
    expect(cache.stats).toEqual({ created: 3, hits: 4 });
    const d = envs.map((e) => decodeEnvelope(e));
    expect(d[0]!.wrapped).toEqual(d[2]!.wrapped);
    expect(d[3]!.wrapped).not.toEqual(d[2]!.wrapped);
    // Same data key, but a fresh salt, commitment and so payload key per message.
    expect(new Set(d.map((x) => Buffer.from(x.salt).toString('hex'))).size).toBe(7);
    expect(new Set(d.map((x) => Buffer.from(x.commitment).toString('hex'))).size).toBe(7);
    for (const [i, e] of envs.entries()) expect(await open(kek, e, ctx)).toEqual(utf8(`m${i}`));
    // Evicted data keys were wiped.
    expect(kek.wraps.slice(0, 2).every((k) => k.every((b) => b === 0))).toBe(true);
  });

  it('ENV-041: a data key is not used once maxAgeMs has passed (injectable clock)', async () => {
    let now = 0;
    const kek = counting(LocalKekRing.open({ kekId: 'local:c2' }));
    const cache = new DataKeyCache({ maxMessages: 1000, maxAgeMs: 5000, clock: () => now });
    await seal(kek, utf8('a'), ctx, { cache });
    now = 4999;
    await seal(kek, utf8('b'), ctx, { cache });
    expect(kek.wraps.length).toBe(1);
    now = 5000;
    await seal(kek, utf8('c'), ctx, { cache });
    expect(kek.wraps.length).toBe(2);
  });

  it('ENV-042: no data key is shared across contexts; concurrent seals respect maxMessages', async () => {
    const kek = counting(LocalKekRing.open({ kekId: 'local:c3' }));
    const cache = new DataKeyCache({ maxMessages: 2, maxAgeMs: 60_000 });
    const a = await seal(kek, utf8('a'), { t: 'a' }, { cache });
    const b = await seal(kek, utf8('b'), { t: 'b' }, { cache });
    expect(decodeEnvelope(a).wrapped).not.toEqual(decodeEnvelope(b).wrapped);
    expect(kek.wraps.length).toBe(2);
    const kek2 = counting(LocalKekRing.open({ kekId: 'local:c4' }));
    const cache2 = new DataKeyCache({ maxMessages: 2, maxAgeMs: 60_000 });
    await Promise.all(Array.from({ length: 9 }, (_, i) => seal(kek2, utf8(String(i)), ctx, { cache: cache2 })));
    expect(kek2.wraps.length).toBe(5);
  });

  it('ENV-050: at most maxEntries data keys are held; spent ones go first, then the oldest, and dropped keys are wiped (fake clock)', async () => {
    let now = 0;
    const kek = counting(LocalKekRing.open({ kekId: 'local:c6' }));
    const cache = new DataKeyCache({ maxMessages: 2, maxAgeMs: 1000, maxEntries: 2, clock: () => now });
    const sealIn = (t: string) => seal(kek, utf8(t), { t }, { cache });
    await sealIn('a');
    await sealIn('b');
    expect([cache.size, kek.wraps.length]).toEqual([2, 2]);
    // Full, nothing spent: a third context drops the oldest made (a).
    await sealIn('c');
    expect([cache.size, kek.wraps.length]).toEqual([2, 3]);
    expect(kek.wraps[0]!.every((x) => x === 0)).toBe(true);
    await sealIn('c');
    expect(kek.wraps.length).toBe(3);
    // c is spent (2 uses), b is not: making a again drops c although b is older.
    await sealIn('a');
    expect([cache.size, kek.wraps.length]).toEqual([2, 4]);
    expect(kek.wraps[2]!.every((x) => x === 0)).toBe(true);
    expect(kek.wraps[1]!.some((x) => x !== 0)).toBe(true);
    await sealIn('b');
    expect(kek.wraps.length).toBe(4);
    // Past maxAgeMs every entry is spent: a new context drops them both, never more than maxEntries.
    now = 1000;
    await sealIn('e');
    expect(cache.size).toBe(1);
    expect(kek.wraps.slice(0, 4).every((k) => k.every((x) => x === 0))).toBe(true);
    expect(() => new DataKeyCache({ maxMessages: 1, maxAgeMs: 1, maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new DataKeyCache({ maxMessages: 1, maxAgeMs: 1, maxEntries: 1_000_001 })).toThrow(/maxEntries/);
  });

  it('ENV-041: a failed wrap is not cached; bad policies are refused', async () => {
    const kek = counting(LocalKekRing.open({ kekId: 'local:c5' }));
    const cache = new DataKeyCache({ maxMessages: 10, maxAgeMs: 60_000 });
    kek.fail = 1;
    await expect(seal(kek, utf8('a'), ctx, { cache })).rejects.toMatchObject({ kind: 'internal' });
    expect(cache.size).toBe(0);
    const e = await seal(kek, utf8('a'), ctx, { cache });
    expect(await open(kek, e, ctx)).toEqual(utf8('a'));
    expect(() => new DataKeyCache({ maxMessages: 0, maxAgeMs: 1 })).toThrow(/maxMessages/);
    expect(() => new DataKeyCache({ maxMessages: 1, maxAgeMs: 0 })).toThrow(/maxAgeMs/);
    expect(JSON.stringify(cache)).not.toMatch(/[0-9a-f]{64}/);
  });
});
