/**
 * Shared checks for every KEK provider: a behaviour suite (seal/open, binding, rotation, rewrap,
 * retirement) and the random-interleaving model of ENV-026.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { decodeEnvelope, encodeEnvelope, LocalKekRing, type KekProvider } from '../envelope/index.js';
import { inspect, open, payloadBytes, rewrap, seal } from '../envelope/envelope.js';

export const CONTEXTS: Record<string, string>[] = [{ a: '1' }, { a: '1', b: '2' }, {}];

export type Action =
  | { t: 'seal'; pt: Uint8Array; c: number }
  | { t: 'rotate' }
  | { t: 'rewrap'; i: number }
  | { t: 'retire'; pick: number }
  | { t: 'open'; i: number }
  | { t: 'fault'; op: string; kind: 'throttle' | 'internal' };

export const FAULT_OPS = ['Encrypt', 'Decrypt', 'ReEncrypt', 'RotateKeyOnDemand', 'ListKeyRotations', 'DescribeKey'];

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('seal' as const), pt: fc.uint8Array({ maxLength: 24 }), c: fc.nat(CONTEXTS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rotate' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rewrap' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retire' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('open' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('fault' as const), op: fc.constantFrom(...FAULT_OPS), kind: fc.constantFrom('throttle' as const, 'internal' as const) }) },
);

/** A local ring whose calls fail like a flaky KMS when a fault is armed. */
export function flakyLocal(): { kek: KekProvider; arm: (op: string) => void; clear: () => void } {
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

export async function runModel(kek: KekProvider, actions: Action[], arm: (a: Extract<Action, { t: 'fault' }>) => void, clear: () => void): Promise<void> {
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


/** The behaviour every KEK provider must show through seal / open / rewrap. */
export function kekProviderSuite(name: string, make: () => Promise<KekProvider>): void {
  describe(`KEK provider: ${name}`, () => {
    const ctx = { tenant: 't1' };
    it(`ENV-002 ENV-007 ENV-019 ENV-029: round trip, binding to context, version and wrapped bytes (${name})`, async () => {
      const kek = await make();
      const env = await seal(kek, utf8('device'), ctx);
      expect(await open(kek, env, ctx)).toEqual(utf8('device'));
      await expect(open(kek, env, { tenant: 't2' })).rejects.toMatchObject({ kind: 'auth_failure' });
      const e = decodeEnvelope(env);
      const w = e.wrapped.slice();
      w[w.length - 1]! ^= 1;
      await expect(open(kek, encodeEnvelope({ ...e, wrapped: w }), ctx)).rejects.toMatchObject({ kind: 'auth_failure', reason: 'ENV_AUTH' });
      const w2 = e.wrapped.slice();
      w2[Math.floor(w2.length / 2)]! ^= 0x80;
      await expect(open(kek, encodeEnvelope({ ...e, wrapped: w2 }), ctx)).rejects.toMatchObject({ kind: 'auth_failure' });
      await kek.rotate();
      const e2 = decodeEnvelope(await seal(kek, utf8('v2'), ctx));
      await expect(open(kek, encodeEnvelope({ ...e2, kekVersion: 1 }), ctx)).rejects.toMatchObject({ kind: 'auth_failure' });
    });

    it(`ENV-023 ENV-020 ENV-021 ENV-025: rotation, rewrap with identical payload, retirement (${name})`, async () => {
      const kek = await make();
      const stale = await seal(kek, utf8('stale'), ctx);
      const kept = await seal(kek, utf8('kept'), ctx);
      const v2 = await kek.rotate();
      expect(await open(kek, stale, ctx)).toEqual(utf8('stale'));
      const moved = await rewrap(kek, kept);
      expect(inspect(moved).kekVersion).toBe(v2);
      expect(payloadBytes(moved)).toEqual(payloadBytes(kept));
      await expect(kek.retire(v2)).rejects.toMatchObject({ reason: 'RETIRE_CURRENT' });
      await kek.retire(v2 - 1);
      await expect(open(kek, stale, ctx)).rejects.toMatchObject({ kind: 'state_failure', reason: 'KEK_VERSION_RETIRED', message: expect.stringContaining(`version ${v2 - 1}`) });
      expect(await open(kek, moved, ctx)).toEqual(utf8('kept'));
      expect((await kek.versions()).map((v) => v.state)).toEqual(['retired', 'current']);
    });

    it(`ENV-026: random interleavings of seal / rotate / rewrap / retire / open (${name})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(actionArb.filter((a) => a.t !== 'fault'), { maxLength: 12 }), async (actions) => {
          await runModel(await make(), actions, () => undefined, () => undefined);
        }),
        { numRuns: 8 },
      );
    });
  });
}
