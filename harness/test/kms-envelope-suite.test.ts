import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { resolveImpl } from '../../cli/conform.js';
import { runWithReference } from '../../cli/compose.js';
import { SeededRng } from '../conform/rng.js';
import { TestNotApplicable } from '../conform/assert.js';
import type { Adapter, SuiteServices, TestCase, TestContext } from '../conform/types.js';
import { envelopeSuite, startEnvelopeServices } from '../suites/envelope.js';
import { mutant, startMutantAdapter } from './mutants/index.js';

let svc: SuiteServices;
beforeAll(async () => {
  svc = await envelopeSuite.setup!({ quick: true });
});
afterAll(async () => {
  await svc.teardown();
});

function context(iut: Adapter, id: string, log: string[] = []): TestContext {
  return { iut, reference: iut, seed: 7, rng: new SeededRng(7, id), services: svc.services, quick: true, log: (l) => log.push(l), warn: (w) => log.push(`warning: ${w}`) };
}

/** The reference with one method rewritten. */
function altered(inner: Adapter, method: string, f: (params: Record<string, unknown>, call: (p: Record<string, unknown>) => Promise<unknown>) => Promise<unknown>): Adapter {
  return {
    hello: inner.hello,
    call: (m, p, o) => (m === method ? f(p, (q) => inner.call(m, q, o)) : inner.call(m, p, o)),
    stderr: () => '',
    close: () => inner.close(),
  };
}

async function outcome(t: TestCase, iut: Adapter): Promise<string> {
  try {
    await t.run(context(iut, t.id));
    return 'pass';
  } catch (e) {
    return `fail: ${(e as Error).message}`;
  }
}

describe('envelope suite', () => {
  it('KMS-043: setup starts the KMS endpoint and hands {endpoint, region, key_id} to hello', async () => {
    expect(svc.services.kms?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(svc.services.kms?.region).toBe('us-east-1');
    expect(svc.services.kms?.key_id).toMatch(/^[0-9a-f-]{36}$/);
    const ref = await startReferenceAdapter({ services: svc.services });
    expect(ref.hello.capabilities.envelope).toEqual({ kms: ['aws'], kek_admin: true, cache: true });
  });

  it('ENV-009 ENV-020 ENV-021 ENV-018: the reference passes every test of the suite', async () => {
    const tests = await envelopeSuite.tests({ quick: true });
    expect(tests.length).toBeGreaterThanOrEqual(12);
    for (const t of tests) {
      expect(t.id).toMatch(/^envelope\//);
      expect(t.reqs.length).toBeGreaterThan(0);
      const iut = await startReferenceAdapter({ services: svc.services });
      expect(t.applies?.(iut.hello.capabilities)).toBe(true);
      expect([t.id, await outcome(t, iut)]).toEqual([t.id, 'pass']);
    }
  }, 900_000);

  it('CONF-150 CONF-151: without the kek_admin or cache claim those tests are n/a with the reason, the others still apply', async () => {
    const tests = await envelopeSuite.tests({ quick: true });
    const admin = tests.filter((t) => t.id.startsWith('envelope/kek-admin/'));
    const cache = tests.filter((t) => t.id.startsWith('envelope/cache/'));
    expect([admin.length, cache.length]).toEqual([4, 3]);
    const kmsOnly = { envelope: { kms: ['aws'] } };
    for (const t of [...admin, ...cache]) expect(t.applies?.(kmsOnly), t.id).toMatch(/does not claim envelope\.(kek_admin|cache)/);
    for (const t of cache) expect(t.applies?.({ envelope: { kms: [], kek_admin: true } }), t.id).toMatch(/cache/);
    for (const t of admin) expect(t.applies?.({ envelope: { kms: [], kek_admin: true } }), t.id).toBe(true);
    expect(tests.find((t) => t.id === 'envelope/roundtrip')!.applies?.(kmsOnly)).toBe(true);
  });

  it('CONF-150 CONF-151: the admin tests catch a rewrap that ignores rotation and the cache tests an unbounded cache', async () => {
    const ref = await startReferenceAdapter({ services: svc.services });
    const byId = async (id: string) => (await envelopeSuite.tests({ quick: true })).find((x) => x.id === id)!;
    const noop = altered(ref, 'envelope.rewrap', async (p) => ({ envelope: p.envelope }));
    expect(await outcome(await byId('envelope/kek-admin/rewrap'), noop)).toMatch(/unchanged/);
    const unbounded = altered(ref, 'envelope.kek_new', (p, call) => call(p.cache ? { cache: { max_messages: 4294967296, max_age_ms: 86400000, max_entries: 1000000 } } : p));
    expect(await outcome(await byId('envelope/cache/max-messages'), unbounded)).toMatch(/served 7 seals with max_messages 3/);
    expect(await outcome(await byId('envelope/cache/max-age'), unbounded)).toMatch(/used max_age_ms after/);
    expect(await outcome(await byId('envelope/cache/max-entries'), unbounded)).toMatch(/more keys than its limit/);
    const off = altered(ref, 'envelope.kek_new', (_p, call) => call({}));
    expect(await outcome(await byId('envelope/cache/max-age'), off)).toMatch(/not reused/);
  });

  it('ENV-070 CONF-152: the commitment test fails an open without the commitment check (mutant env-no-key-commitment) and is n/a for another envelope format', async () => {
    const t = (await envelopeSuite.tests({ quick: true })).find((x) => x.id === 'envelope/commitment/two-data-keys')!;
    const blind = await startMutantAdapter(mutant('env-no-key-commitment'), { services: svc.services });
    expect(await outcome(t, blind)).toMatch(/second data key .*accepted/);
    const ref = await startReferenceAdapter({ services: svc.services });
    const otherFormat = altered(ref, 'envelope.seal', async (p, call) => ({ envelope: `02${((await call(p)) as { envelope: string }).envelope}` }));
    const err = await t.run(context(otherFormat, t.id)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TestNotApplicable);
    expect((err as Error).message).toMatch(/not agentsec\/1 format v1 suite 0x01/);
  });

  it('ENV-020: the suite catches a rewrap that returns the envelope unchanged (mutant env-rewrap-noop)', async () => {
    const t = (await envelopeSuite.tests({ quick: true })).find((x) => x.id === 'envelope/rewrap/moves-to-current')!;
    const iut = await startMutantAdapter(mutant('env-rewrap-noop'), { services: svc.services });
    expect(await outcome(t, iut)).toMatch(/unchanged/);
  });

  it('ENV-010: the suite catches an implementation that ignores the context on open', async () => {
    const t = (await envelopeSuite.tests({ quick: true })).find((x) => x.id === 'envelope/context-mismatch')!;
    const ref = await startReferenceAdapter({ services: svc.services });
    // Seals and opens everything under one fixed context.
    const blind = altered(altered(ref, 'envelope.open', (p, call) => call({ ...p, context: {} })), 'envelope.seal', (p, call) => call({ ...p, context: {} }));
    expect(await outcome(t, blind)).toMatch(/accepted/);
  });

  it('ENV-009: the suite catches an implementation that returns plaintext for a tampered envelope', async () => {
    const t = (await envelopeSuite.tests({ quick: true })).find((x) => x.id === 'envelope/tamper/every-byte')!;
    const ref = await startReferenceAdapter({ services: svc.services });
    let last = '';
    // Opens the last envelope it sealed, whatever it is given: a tamper-blind implementation.
    const sloppy = altered(
      altered(ref, 'envelope.seal', async (p, call) => {
        const r = (await call(p)) as { envelope: string };
        last = r.envelope;
        return r;
      }),
      'envelope.open',
      (p, call) => call({ ...p, envelope: last }),
    );
    expect(await outcome(t, sloppy)).toMatch(/were opened/);
  });

  it('ENV-018: the suite catches an implementation that hides KMS failures behind a cached answer', async () => {
    const t = (await envelopeSuite.tests({ quick: true })).find((x) => x.id === 'envelope/kms-faults/throttling')!;
    const ref = await startReferenceAdapter({ services: svc.services });
    const cache = new Map<string, unknown>();
    const caching = altered(ref, 'envelope.seal', async (p, call) => {
      const k = JSON.stringify(p);
      if (!cache.has(k)) cache.set(k, await call(p));
      return cache.get(k);
    });
    expect(await outcome(t, caching)).toMatch(/accepted/);
  });

  it('KMS-043: startEnvelopeServices can run standalone and tears down cleanly', async () => {
    const s = await startEnvelopeServices();
    expect(s.server.state.keys.has(s.keyId)).toBe(true);
    await s.teardown();
  });

  it('KMS-043 CONF-008: through the runner, in process and via `agentsec adapter` in a child process, every test passes', async () => {
    const inProc = await runWithReference({ suites: [envelopeSuite], seed: 3, quick: true });
    expect(inProc.tests.filter((r) => r.outcome !== 'pass').map((r) => `${r.id}: ${r.message}`)).toEqual([]);
    const child = await runWithReference({ suites: [envelopeSuite], seed: 3, quick: true, impl: 'agentsec adapter', resolveCommand: resolveImpl, callTimeoutMs: 30_000 });
    expect(child.tests.map((r) => [r.id, r.outcome])).toEqual(inProc.tests.map((r) => [r.id, 'pass']));
  }, 900_000);

  it('KMS-020 ENV-016: every test also passes with the endpoint in LocalStack-compatible mode', async () => {
    const ls = await startEnvelopeServices('localstack');
    try {
      expect(ls.server.mode).toBe('localstack');
      for (const t of await envelopeSuite.tests({ quick: true })) {
        const iut = await startReferenceAdapter({ services: ls.services });
        const c = { ...context(iut, t.id), services: ls.services };
        let r = 'pass';
        try {
          await t.run(c);
        } catch (e) {
          r = `fail: ${(e as Error).message}`;
        }
        expect([t.id, r]).toEqual([t.id, 'pass']);
      }
    } finally {
      await ls.teardown();
    }
  }, 900_000);
});
