/**
 * Envelope encryption on the reference with the local KEK ring: seal + open of one payload, per
 * provider, with a fresh data key per payload (the default) and with the data key cache on.
 * The ring lives in memory here: seal and open never touch its file, so the file changes nothing.
 * Peers: the AWS Encryption SDK (@aws-crypto/client-node, Apache-2.0) with a raw AES keyring and
 * the committing unsigned suite (a fresh data key per message, like the reference's default), and
 * node:crypto AES-256-GCM on the payload alone (no key management: the floor).
 */
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentsecError, DataKeyCache, type EncryptionContext, type EnvelopeOptions, LocalKekRing, openEnvelope, sealEnvelope } from '../reference/index.js';
import { benchBytes } from './_fixtures.js';
import { expectBytes, expectTrue, sizeLabel, type BenchCase, type GroupInfo, type Suite, type Unavailable } from './case.js';
import { availableProviders, type NamedProvider } from './providers.js';

export const ENVELOPE_SIZES = [1024, 65536, 1 << 20] as const;
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

/** The payload AEAD alone on node:crypto: what an envelope costs at least. */
function rawAeadCases(): BenchCase[] {
  const key = benchBytes('envelope-raw-key', 32);
  const ad = benchBytes('envelope-raw-ad', 32);
  return ENVELOPE_SIZES.map((size) => {
    const pt = benchBytes(`envelope-${size}`, size);
    const nonce = new Uint8Array(12);
    const run = (): Buffer => {
      nodeCrypto.randomFillSync(nonce);
      const c = nodeCrypto.createCipheriv('aes-256-gcm', key, nonce);
      c.setAAD(ad);
      const ct = Buffer.concat([c.update(pt), c.final()]);
      const tag = c.getAuthTag();
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(ad);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ct), d.final()]);
    };
    return {
      group: `envelope-seal-open-${sizeLabel(size)}`,
      name: 'node:crypto AES-256-GCM, payload only (no key management)',
      kind: 'peer' as const,
      bytes: size,
      verify() {
        expectBytes(run(), pt, 'round trip');
        return ['round-trip'];
      },
      fn: run,
    };
  });
}

interface AwsEsdk {
  buildClient(policy: unknown): { encrypt: (k: unknown, pt: Uint8Array, o: unknown) => Promise<{ result: Buffer }>; decrypt: (k: unknown, ct: Uint8Array) => Promise<{ plaintext: Buffer; messageHeader: { encryptionContext: Record<string, string> } }> };
  CommitmentPolicy: { REQUIRE_ENCRYPT_REQUIRE_DECRYPT: unknown };
  RawAesKeyringNode: new (o: { keyName: string; keyNamespace: string; unencryptedMasterKey: Uint8Array; wrappingSuite: unknown }) => unknown;
  RawAesWrappingSuiteIdentifier: { AES256_GCM_IV12_TAG16_NO_PADDING: unknown };
  AlgorithmSuiteIdentifier: { ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY: unknown };
}

/** The AWS Encryption SDK with a raw AES keyring, when installed (a devDependency). */
async function awsEsdkCases(unavailable: Unavailable[]): Promise<BenchCase[]> {
  let esdk: AwsEsdk;
  try {
    esdk = (await import('@aws-crypto/client-node' as string)) as AwsEsdk;
  } catch (e) {
    unavailable.push({ implementation: '@aws-crypto/client-node', groups: ['envelope-'], reason: `not installed (${(e as Error).message.split('\n')[0]})` });
    return [];
  }
  const { encrypt, decrypt } = esdk.buildClient(esdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new esdk.RawAesKeyringNode({
    keyName: 'bench-kek',
    keyNamespace: 'agentsec-bench',
    unencryptedMasterKey: benchBytes('envelope-aws-kek', 32),
    wrappingSuite: esdk.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const opts = { encryptionContext: { ...CONTEXT }, suiteId: esdk.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY };
  return ENVELOPE_SIZES.map((size) => {
    const pt = benchBytes(`envelope-${size}`, size);
    return {
      group: `envelope-seal-open-${sizeLabel(size)}`,
      name: '@aws-crypto/client-node, raw AES keyring (committing unsigned suite)',
      kind: 'peer' as const,
      bytes: size,
      async: true,
      async verify() {
        const { result } = await encrypt(keyring, pt, opts);
        const { plaintext, messageHeader } = await decrypt(keyring, result);
        expectBytes(plaintext, pt, 'round trip');
        expectTrue(messageHeader.encryptionContext.tenant === CONTEXT.tenant, 'encryption context carried');
        const bad = Buffer.from(result);
        bad[bad.length - 40]! ^= 1;
        let refused = false;
        try {
          await decrypt(keyring, bad);
        } catch {
          refused = true;
        }
        expectTrue(refused, 'tampered message refused');
        return ['round-trip', 'context-carried', 'tamper-refused'];
      },
      async fn() {
        return (await decrypt(keyring, (await encrypt(keyring, pt, opts)).result)).plaintext;
      },
    };
  });
}

export const ENVELOPE_GROUPS: GroupInfo[] = ENVELOPE_SIZES.map((n) => ({
  id: `envelope-seal-open-${sizeLabel(n)}`,
  title: `Envelope seal + open, ${sizeLabel(n)} payload, local KEK ring (AES-256-GCM wrap and payload)`,
  op: 'one seal and one open',
}));

export async function envelopeSuite(): Promise<Suite> {
  const { providers, unavailable } = availableProviders(ENVELOPE_GROUPS.map((g) => g.id));
  return { cases: [...envelopeCases(providers), ...rawAeadCases(), ...(await awsEsdkCases(unavailable))], groups: ENVELOPE_GROUPS, unavailable };
}
