/**
 * Envelope encryption on the reference with the local KEK ring: seal + open of one payload, per
 * provider, with a fresh data key per payload (the default) and with the data key cache on.
 * The ring lives in memory here: seal and open never touch its file, so the file changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentsecError, DataKeyCache, type EncryptionContext, type EnvelopeOptions, LocalKekRing, openEnvelope, sealEnvelope } from '../reference/index.js';
import { benchBytes } from './_fixtures.js';
import { expectBytes, expectTrue, sizeLabel, type BenchCase, type GroupInfo, type Suite } from './case.js';
import { availableProviders, type NamedProvider } from './providers.js';

export const ENVELOPE_SIZES = [1024, 65536] as const;
const CONTEXT: EncryptionContext = { tenant: 'bench', purpose: 'agent-state' };

async function refusedWith(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return e instanceof AgentsecError ? e.kind : 'other';
  }
}

function envelopeCases(providers: NamedProvider[]): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const size of ENVELOPE_SIZES) {
    const pt = benchBytes(`envelope-${size}`, size);
    for (const { name, provider } of providers) {
      for (const cached of [false, true]) {
        const ring = LocalKekRing.open({ kekId: 'bench-kek', crypto: provider });
        // Cache policy: one data key for up to 1000 payloads or one minute, whichever comes first.
        const opts: EnvelopeOptions = { crypto: provider, ...(cached ? { cache: new DataKeyCache({ maxMessages: 1000, maxAgeMs: 60_000 }) } : {}) };
        cases.push({
          group: `envelope-seal-open-${sizeLabel(size)}`,
          name: `provider:${name}${cached ? ' + data key cache' : ''}`,
          kind: 'provider',
          bytes: size,
          async: true,
          async verify() {
            const env = await sealEnvelope(ring, pt, CONTEXT, opts);
            expectBytes(await openEnvelope(ring, env, CONTEXT, opts), pt, 'round trip openEnvelope(sealEnvelope(x)) == x');
            expectTrue((await refusedWith(openEnvelope(ring, env, { ...CONTEXT, tenant: 'other' }, opts))) === 'auth_failure', 'another context is refused with auth_failure');
            const bad = env.slice();
            bad[bad.length - 5]! ^= 1;
            expectTrue((await refusedWith(openEnvelope(ring, bad, CONTEXT, opts))) === 'auth_failure', 'tampered payload refused with auth_failure');
            const checks = ['round-trip', 'context-bound', 'tamper-refused'];
            // Interop: a ring file written under this provider, reopened under each other one.
            const dir = mkdtempSync(join(tmpdir(), 'agentsec-bench-ring-'));
            try {
              const path = join(dir, 'ring.json');
              const mine = LocalKekRing.open({ path, crypto: provider });
              const sealed = await sealEnvelope(mine, pt, CONTEXT, { crypto: provider });
              for (const other of providers.filter((o) => o.provider !== provider)) {
                const theirs = LocalKekRing.open({ path, crypto: other.provider });
                expectBytes(await openEnvelope(theirs, sealed, CONTEXT, { crypto: other.provider }), pt, `opens under provider:${other.name}`);
                checks.push(`interop with provider:${other.name}`);
              }
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
            return checks;
          },
          async fn() {
            return openEnvelope(ring, await sealEnvelope(ring, pt, CONTEXT, opts), CONTEXT, opts);
          },
        });
      }
    }
  }
  return cases;
}

export const ENVELOPE_GROUPS: GroupInfo[] = ENVELOPE_SIZES.map((n) => ({
  id: `envelope-seal-open-${sizeLabel(n)}`,
  title: `Envelope seal + open, ${sizeLabel(n)} payload, local KEK ring (AES-256-GCM wrap and payload)`,
  op: 'one seal and one open',
}));

export function envelopeSuite(): Suite {
  const { providers, unavailable } = availableProviders(ENVELOPE_GROUPS.map((g) => g.id));
  return { cases: envelopeCases(providers), groups: ENVELOPE_GROUPS, unavailable };
}
