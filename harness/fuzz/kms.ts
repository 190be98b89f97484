/**
 * The KMS endpoint a fuzz lane's envelope steps run against (harness/services/kms): one server and
 * one key per lane, so two implementations under --against never share KEK state. The steps
 * rotate the key, retire old key material and inject faults here, behind the adapter's back.
 */
import { CreateKeyCommand, KMSClient, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import type { Services } from '../conform/types.js';
import { Hold, startKmsServer, type KmsServer } from '../services/kms/index.js';
import { OPS } from '../services/kms/ops.js';

/** The fuzzer's own administration call, never held (it runs while the implementation's calls wait). */
const ADMIN_OP = 'RotateKeyOnDemand';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDAGENTSECHARNESS', secretAccessKey: 'agentsec-harness' };

export interface FuzzKms {
  readonly services: Services;
  /** Key materials of the key so far (the current one is the last). */
  versions(): number;
  rotate(): Promise<void>;
  /** Destroys every non-current key material: old KEK versions are retired. */
  retireOld(): void;
  /** The next calls of every operation fail (throttling or internal error) until `clearFaults`. */
  fail(how: 'throttle' | 'internal'): void;
  /** Every call is answered only after `ms` milliseconds, until `clearFaults`. */
  delay(ms: number): void;
  /**
   * Every call of the implementation waits at the returned gate until `clearFaults` (the fuzzer's
   * own rotation still goes through): the fuzzer acts while a call is provably in flight.
   */
  hold(): Hold;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function startFuzzKms(): Promise<FuzzKms> {
  const server: KmsServer = await startKmsServer({ mode: 'aws', onDemandRotationLimit: 1_000_000 });
  const client = new KMSClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  try {
    const keyId = (await client.send(new CreateKeyCommand({ Description: 'agentsec fuzz envelope KEK' }))).KeyMetadata?.KeyId;
    if (!keyId) throw new Error('the KMS endpoint created no key');
    const key = () => server.state.keys.get(keyId)!;
    return {
      services: { kms: { endpoint: server.endpoint, region: REGION, key_id: keyId } },
      versions: () => key().materials.length,
      async rotate() {
        await client.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      },
      retireOld() {
        for (const m of key().materials.slice(0, -1)) if (!m.destroyed) server.destroyKeyMaterial(keyId, m.id);
      },
      fail(how) {
        server.faults.set('*', how === 'throttle' ? { throttle: 1_000 } : { internal: 1_000 });
      },
      delay(ms) {
        server.faults.set('*', { delayMs: ms });
      },
      hold() {
        const gate = new Hold();
        for (const op of Object.keys(OPS)) if (op !== ADMIN_OP) server.faults.set(op, { hold: gate });
        return gate;
      },
      clearFaults() {
        server.faults.clear();
      },
      async close() {
        client.destroy();
        await server.close();
      },
    };
  } catch (e) {
    client.destroy();
    await server.close();
    throw e;
  }
}
