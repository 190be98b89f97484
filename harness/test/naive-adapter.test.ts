import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type TestResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import { SUITES } from '../suites/index.js';
import { sharedVectorsDir } from '../../vectors/external.js';

const NAIVE = `"${process.execPath}" "${fileURLToPath(new URL('../../examples/naive-adapter/adapter.mjs', import.meta.url))}"`;

/**
 * What the suites must find in the naive example, per suite, as categories of findings: a test id
 * family and (optionally) words its message must contain. Only suites that are registered are
 * checked, so the expectations hold while suites are added.
 */
const FINDINGS: Record<string, Array<{ what: string; id: RegExp; message?: RegExp }>> = {
  noise: [
    { what: 'handshake bytes differ from the Noise vectors (no real handshake)', id: /^noise\/vectors\// },
    { what: 'no interop with the reference in either role (one DH through HKDF is not Noise)', id: /^noise\/interop\// },
    { what: 'a tampered handshake message is accepted (payloads travel in clear)', id: /^noise\/negative\/(tamper|truncate|prologue)/, message: /accepted/ },
  ],
  session: [
    { what: 'sessions do not survive export/import (ratchet state not serialized)', id: /^session\/restart\//, message: /no session|refused/ },
    { what: 'a duplicate or replayed message is accepted (no ratchet, no replay check)', id: /^session\/(state-unchanged\/duplicate|x3dh\/initial-replayed)/, message: /accepted/ },
    { what: 'a corrupted bundle is accepted into a session the genuine peer cannot use (nothing is signed)', id: /^session\/x3dh\/bundle-corruption/ },
  ],
  trace: [{ what: 'Double Ratchet model traces diverge (duplicates accepted, sessions lost on restart)', id: /^trace\/double_ratchet\//, message: /the model/ }],
  envelope: [{ what: 'an envelope it sealed does not open (the payload nonce is not stored)', id: /^envelope\/(roundtrip|rotation|rewrap)/, message: /envelope\.open.*auth_failure/ }],
};

describe('the naive example adapter (examples/naive-adapter)', async () => {
  const vectors = sharedVectorsDir();
  const r = await runWithReference({ suites: [...SUITES], impl: NAIVE, seed: 7, quick: true, callTimeoutMs: 8_000, ...(vectors ? { sharedVectorsDir: vectors } : {}) });
  // Quick runs sample the vector files; the naive adapter's own protocols are asked for in full.
  const vectorRun = SUITES.some((s) => s.name === 'noise')
    ? await runWithReference({ suites: SUITES.filter((s) => s.name === 'noise'), impl: NAIVE, seed: 7, only: ['noise/vectors/Noise_IK_25519_*_SHA256', 'noise/vectors/Noise_XX_25519_*_SHA256'], callTimeoutMs: 30_000, ...(vectors ? { sharedVectorsDir: vectors } : {}) })
    : undefined;
  const all = [...r.tests, ...(vectorRun?.tests ?? [])];
  const failed = (t: TestResult) => t.outcome === 'fail';

  it('CONF-008 CONF-012: is failed by the suites, as a well-behaved process (findings, not faults)', () => {
    const lines = r.tests.filter(failed).map((t) => `${t.id}: ${t.message ?? ''}`);
    console.log(`naive adapter findings (${lines.length}):\n${lines.slice(0, 60).join('\n')}`);
    expect(r.run.impl_name).toBe('naive-agent-node');
    // Its one fault is a real finding: with the KMS hanging, it hangs too (no KMS call timeout).
    const faults = r.tests.filter((t) => t.fault !== undefined && !(t.fault === 'timeout' && t.id.startsWith('envelope/kms-faults/')));
    expect(faults.map((t) => `${t.id}: ${t.message ?? ''}`)).toEqual([]);
    const claimed = SUITES.some((s) => s.name in FINDINGS);
    if (claimed) expect(r.exit_code).toBe(1);
  });

  it('CONF-010: suites for capabilities it does not claim are n/a, not failures', () => {
    const prims = r.tests.filter((t) => t.suite === 'primitives' && t.id !== 'primitives/unavailable');
    for (const t of prims) expect(t.outcome, t.id).toBe('n/a');
  });

  for (const [suite, findings] of Object.entries(FINDINGS)) {
    const registered = SUITES.some((s) => s.name === suite);
    for (const f of findings) {
      it.skipIf(!registered)(`CONF-011: ${suite} suite finds: ${f.what}`, () => {
        const hits = all.filter((t) => failed(t) && f.id.test(t.id) && (!f.message || f.message.test(t.message ?? '')));
        expect(hits.length, `no failing ${f.id} test${f.message ? ` with ${f.message}` : ''}`).toBeGreaterThan(0);
        for (const t of hits) expect(t.reproduction).toMatch(new RegExp(`--only ${t.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --seed 7( --quick)?$`));
      });
    }
  }
});
