import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSwtpmImage, DOCKER_INSTALL, dockerAvailable, startSwtpmContainer, type SwtpmContainer } from '../../harness/services/docker.js';
import { SWTPM_INSTALL, swtpmAvailable } from '../../harness/services/swtpm.js';
import { requireService } from '../../vectors/external.js';
import { createIdentity, createTpmKek, TpmKeyStore } from '../identity/index.js';
import { identityStoreSuite, provider } from './identity-suite.js';

// The image is built from the host's swtpm, so both Docker and swtpm are needed.
const hasDocker = requireService('Docker engine', await dockerAvailable(), DOCKER_INSTALL) && requireService('swtpm (host binary for the image)', swtpmAvailable(), SWTPM_INSTALL);

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

let image: string | undefined;
async function container(): Promise<SwtpmContainer> {
  image ??= await buildSwtpmImage();
  const c = await startSwtpmContainer(image);
  cleanups.push(() => c.stop());
  return c;
}
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'agentsec-tpmc-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

describe.skipIf(!hasDocker)('TPM key store against swtpm in a container (testcontainers, host network, TCP)', () => {
  describe('ID-011 KEY-001 KEY-002: the shared identity suite', () => {
    identityStoreSuite('tpm/container', () => {
      let c: SwtpmContainer | undefined;
      let dir: string | undefined;
      return async () => {
        c ??= await container();
        return TpmKeyStore.open({ address: { host: c.host, port: c.port }, dir: (dir ??= await tempDir()), provider });
      };
    });
  });

  it('KEY-026 KEY-040: the TPM KEK works over TCP, and a non-loopback TPM address is refused', async () => {
    const c = await container();
    const kek = await createTpmKek({ address: { host: c.host, port: c.port }, provider });
    const dek = provider.randomBytes(32);
    expect(await kek.unwrap(await kek.wrap(dek))).toEqual(dek);
    await kek.close();
    const store = await TpmKeyStore.open({ address: { host: c.host, port: c.port }, dir: await tempDir(), provider });
    const id = await createIdentity(store, provider);
    expect(await store.transientHandles()).toEqual([]);
    expect(id.did.startsWith('did:key:z6Mk')).toBe(true);
    await store.close();
    await expect(TpmKeyStore.open({ address: { host: '10.0.0.1', port: c.port }, dir: await tempDir(), provider })).rejects.toMatchObject({ kind: 'policy_reject', reason: 'TPM_ADDRESS' });
  });
});
