import { describe, expect, it } from 'vitest';
import { getProvider } from '../../reference/index.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { runWithReference } from '../../cli/compose.js';
import type { Adapter } from '../conform/types.js';
import { identitySuite } from '../suites/identity.js';
import { wrapAdapter } from './fixtures/wrap.js';

const run = (start?: () => Promise<Adapter>) => runWithReference({ suites: [identitySuite], seed: 3, ...(start ? { startIut: start } : {}) });

describe('identity suite', () => {
  it('ID-031 ID-001 ID-002: the reference passes every identity test', async () => {
    const r = await run();
    expect(r.tests.map((t) => [t.id, t.outcome, t.message])).toEqual([
      ['identity/sign-verify/cross', 'pass', undefined],
      ['identity/did-key/decode-refusals', 'pass', undefined],
    ]);
  });

  it('ID-002: a DID decoder that does not check the curve point fails (it only looks at the codec and length)', async () => {
    const lax = async (): Promise<Adapter> => {
      const inner = await startReferenceAdapter({ provider: getProvider('node') });
      return wrapAdapter(inner, inner.hello.capabilities, async (method, params, a) => {
        if (method === 'identity.verify' && typeof params.did === 'string') {
          try {
            return await a.call(method, params);
          } catch (e) {
            // Accepts any key the point check refused, as "not valid".
            if ((e as { reason?: string }).reason === 'DID_KEY_POINT') return { valid: false };
            throw e;
          }
        }
        return a.call(method, params);
      });
    };
    const r = await run(lax);
    const t = r.tests.find((x) => x.id === 'identity/did-key/decode-refusals')!;
    expect(t.outcome).toBe('fail');
    expect(t.message).toMatch(/not a curve point: accepted/);
  });

  it('ID-031: signatures that do not verify elsewhere fail; no identity claim is n/a', async () => {
    const wrongSig = async (): Promise<Adapter> => {
      const inner = await startReferenceAdapter();
      return wrapAdapter(inner, inner.hello.capabilities, async (method, params, a) => {
        const r = (await a.call(method, params)) as Record<string, string>;
        // Signs a different message than asked (e.g. a hash of it, or with a prefix).
        return method === 'identity.sign' ? a.call(method, { ...params, message: `00${String(params.message)}` }) : r;
      });
    };
    expect((await run(wrongSig)).tests[0]!.outcome).toBe('fail');
    const none = await run(async () => wrapAdapter(await startReferenceAdapter(), {}));
    expect(none.tests.map((t) => t.outcome)).toEqual(['n/a', 'n/a']);
  });
});
