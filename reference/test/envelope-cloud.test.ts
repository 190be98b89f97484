/**
 * Azure Key Vault and GCP Cloud KMS KEKs through their official SDKs against the project's
 * wire-compatible loopback endpoints (`agentsec kms serve --flavour azure|gcp`): the shared KEK
 * suite, the random model with injected service faults, and each service's own semantics.
 */
import { KeyClient } from '@azure/keyvault-keys';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import fc from 'fast-check';
import { OAuth2Client } from 'google-auth-library';
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureVault, type AzureVault } from '../../harness/services/kms/azure.js';
import { startGcpKms, type GcpKms } from '../../harness/services/kms/gcp.js';
import { utf8 } from '../bytes.js';
import { AzureKeyVaultKek, AZURE_VERSION_TAG, decodeEnvelope, encodeEnvelope, GcpKmsKek, type KekProvider } from '../envelope/index.js';
import { open, rewrap, seal } from '../envelope/envelope.js';
import { crc32c } from '../envelope/kek/crc32c.js';
import { loadOptionalSdk } from '../envelope/kek/optional-sdk.js';
import { actionArb, kekProviderSuite, runModel } from './envelope-kek-suite.js';

const ctx = { bucket: 'b1', object: 'o1' };
/** A static credential, as tests of Azure SDK clients use; the loopback vault accepts any bearer token. */
const credential = { getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

/** The shared model's fault names (AWS operations) mapped to each service's operation. */
const AZURE_OPS: Record<string, string> = { Encrypt: 'wrapKey', Decrypt: 'unwrapKey', ReEncrypt: 'wrapKey', RotateKeyOnDemand: 'rotateKey', ListKeyRotations: 'getKeyVersions', DescribeKey: 'getKeyVersions' };
const GCP_OPS: Record<string, string> = { Encrypt: 'Encrypt', Decrypt: 'Decrypt', ReEncrypt: 'Encrypt', RotateKeyOnDemand: 'CreateCryptoKeyVersion', ListKeyRotations: 'ListCryptoKeyVersions', DescribeKey: 'GetCryptoKey' };

describe('Azure Key Vault KEK through @azure/keyvault-keys against the loopback vault', () => {
  let vault: AzureVault;
  let admin: KeyClient;
  let n = 0;
  beforeAll(async () => {
    vault = await startAzureVault();
    // The SDK's only settings for the local vault: its URL, a CA for its certificate, and no
    // resource-domain check of the challenge (the vault is addressed by IP).
    admin = new KeyClient(vault.vaultUrl, credential, { agent: new Agent({ ca: vault.cert }), disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await vault.close();
  });
  const newKek = async (algorithm: 'RSA-OAEP-256' | 'A256KW' = 'RSA-OAEP-256', extra: Partial<Parameters<typeof AzureKeyVaultKek.connect>[0]> = {}): Promise<{ kek: AzureKeyVaultKek; name: string }> => {
    const name = `kek-${++n}`;
    if (algorithm === 'A256KW') await admin.createKey(name, 'oct-HSM', { keySize: 256 });
    else await admin.createKey(name, 'RSA', { keySize: 2048 });
    const kek = await AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl, keyName: name, credential, algorithm, ca: vault.cert, disableChallengeResourceVerification: true, maxRetries: 0, ...extra });
    return { kek, name };
  };

  for (const alg of ['RSA-OAEP-256', 'A256KW'] as const) {
    kekProviderSuite(`azure-key-vault ${alg} [ENV-002 ENV-007 ENV-020 ENV-021 ENV-023 ENV-025 ENV-026 ENV-060 ENV-061 ENV-064]`, async () => (await newKek(alg)).kek);
  }

  it('ENV-060 ENV-061 KMS-061: versions are numbered by a tag on the vault version; the binding digest is inside the wrapped key', async () => {
    const { kek, name } = await newKek();
    const challengesBefore = vault.calls.challenge ?? 0;
    const env = decodeEnvelope(await seal(kek, utf8('x'), ctx));
    expect(env.kekId).toBe(`${vault.vaultUrl}/keys/${name}`);
    expect(env.kekVersion).toBe(1);
    await kek.rotate();
    const tags: Record<string, string> = {};
    for await (const p of admin.listPropertiesOfKeyVersions(name)) tags[p.version!] = p.tags?.[AZURE_VERSION_TAG] ?? '';
    expect(Object.values(tags).sort()).toEqual(['1', '2']);
    // A version made outside the provider is numbered on first sight, in creation order.
    await admin.rotateKey(name);
    const again = await AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl, keyName: name, credential, ca: vault.cert, disableChallengeResourceVerification: true });
    expect(await again.currentVersion()).toBe(3);
    expect(await open(again, encodeEnvelope(env), ctx)).toEqual(utf8('x'));
    // The wrapped bytes unwrap (RSA-OAEP-256) to the data key followed by the 32-byte binding digest.
    const version = Object.entries(tags).find(([, t]) => t === '1')![0];
    const raw = await admin.getCryptographyClient(name, { keyVersion: version }).unwrapKey('RSA-OAEP-256', env.wrapped);
    expect(raw.result.length).toBe(64);
    // The first client of the vault authenticated through the challenge (no token before it).
    expect(challengesBefore).toBeGreaterThan(0);
  });

  it('ENV-064 KMS-060: retirement disables the vault version; the vault then refuses unwrapKey (403 KeyDisabled)', async () => {
    const { kek, name } = await newKek();
    const stale = await seal(kek, utf8('stale'), ctx);
    await kek.rotate();
    await kek.retire(1);
    const props: boolean[] = [];
    for await (const p of admin.listPropertiesOfKeyVersions(name)) props.push(p.enabled!);
    expect(props.sort()).toEqual([false, true]);
    // Another process (fresh provider) reads retirement from the vault.
    const other = await AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl, keyName: name, credential, ca: vault.cert, disableChallengeResourceVerification: true });
    await expect(open(other, stale, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
    // The vault's own refusal: unwrap under the disabled version.
    const e = decodeEnvelope(stale);
    let version = '';
    for await (const p of admin.listPropertiesOfKeyVersions(name)) if (!p.enabled) version = p.version!;
    await expect(admin.getCryptographyClient(name, { keyVersion: version }).unwrapKey('RSA-OAEP-256', e.wrapped)).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
  });

  it('ENV-018 ENV-063: vault faults and refusals surface as AgentsecErrors', async () => {
    const { kek, name } = await newKek();
    const env = await seal(kek, utf8('x'), ctx);
    vault.faults.set('wrapKey', { throttle: 1 });
    await expect(seal(kek, utf8('x'), ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE', message: expect.stringContaining('Throttled') });
    vault.faults.set('unwrapKey', { internal: 1 });
    await expect(open(kek, env, ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE' });
    vault.faults.clear();
    expect(await open(kek, env, ctx)).toEqual(utf8('x'));
    await expect(AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl, keyName: `${name}-absent`, credential, ca: vault.cert, disableChallengeResourceVerification: true })).rejects.toMatchObject({
      kind: 'state_failure',
      reason: 'KMS_KeyNotFound',
    });
    // Without the CA the SDK refuses the self-signed certificate.
    await expect(AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl, keyName: name, credential, disableChallengeResourceVerification: true, maxRetries: 0 })).rejects.toMatchObject({ kind: 'internal' });
    await expect(AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl.replace('https', 'http'), keyName: name, credential })).rejects.toMatchObject({ reason: 'BAD_VAULT_URL' });
  });

  it('ENV-026 ENV-018: random interleavings with vault throttling and internal errors injected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { maxLength: 16 }), async (actions) => {
        vault.faults.clear();
        const { kek } = await newKek('A256KW', { refreshMs: 0 });
        await runModel(kek, actions, (a) => vault.faults.set(AZURE_OPS[a.op]!, { [a.kind]: 1 }), () => vault.faults.clear());
      }),
      { numRuns: 10 },
    );
  });
});

describe('GCP Cloud KMS KEK through @google-cloud/kms (REST fallback) against the loopback endpoint', () => {
  let kms: GcpKms;
  let admin: KeyManagementServiceClient;
  let ring = '';
  let n = 0;
  const authClient = (): OAuth2Client => {
    const c = new OAuth2Client();
    c.setCredentials({ access_token: 'test-token', expiry_date: Number.MAX_SAFE_INTEGER });
    return c;
  };
  beforeAll(async () => {
    kms = await startGcpKms();
    // The SDK's only settings for the local endpoint: REST transport, host, port, plain http, a static token.
    admin = new KeyManagementServiceClient({ fallback: true, apiEndpoint: kms.host, port: kms.port, protocol: 'http', authClient: authClient() } as ConstructorParameters<typeof KeyManagementServiceClient>[0]);
    ring = (await admin.createKeyRing({ parent: 'projects/agentsec-test/locations/global', keyRingId: 'ring' }))[0].name!;
  });
  afterAll(async () => {
    await admin.close();
    await kms.close();
  });
  const connect = (keyName: string, extra: Partial<Parameters<typeof GcpKmsKek.connect>[0]> = {}): Promise<GcpKmsKek> =>
    GcpKmsKek.connect({ keyName, apiEndpoint: kms.host, port: kms.port, protocol: 'http', accessToken: 'test-token', ...extra });
  const newKek = async (extra: Partial<Parameters<typeof GcpKmsKek.connect>[0]> = {}): Promise<{ kek: GcpKmsKek; name: string }> => {
    const [key] = await admin.createCryptoKey({ parent: ring, cryptoKeyId: `k${++n}`, cryptoKey: { purpose: 'ENCRYPT_DECRYPT' } });
    return { kek: await connect(key.name!, extra), name: key.name! };
  };

  kekProviderSuite('gcp-cloud-kms [ENV-002 ENV-007 ENV-020 ENV-021 ENV-023 ENV-025 ENV-026 ENV-061 ENV-064 ENV-065]', async () => (await newKek()).kek);

  it('ENV-061 ENV-065 KMS-064: encrypt names the version, authenticates the binding as AAD, and carries CRC32C both ways', async () => {
    const { kek, name } = await newKek();
    const env = decodeEnvelope(await seal(kek, utf8('x'), ctx));
    expect(env.kekId).toBe(name);
    expect(env.kekVersion).toBe(1);
    // Decrypting without the binding AAD fails in KMS itself.
    await expect(admin.decrypt({ name, ciphertext: env.wrapped })).rejects.toMatchObject({ message: expect.stringContaining('INVALID_ARGUMENT') });
    // A wrong request checksum is refused by the service.
    const pt = utf8('data key');
    await expect(admin.encrypt({ name, plaintext: pt, plaintextCrc32c: { value: crc32c(pt) ^ 1 } })).rejects.toMatchObject({ message: expect.stringContaining('plaintext_crc32c') });
    const [ok] = await admin.encrypt({ name, plaintext: pt, plaintextCrc32c: { value: crc32c(pt) } });
    expect(ok.verifiedPlaintextCrc32c).toBe(true);
    expect(Number(String((ok.ciphertextCrc32c as { value: unknown }).value))).toBe(crc32c(ok.ciphertext as Uint8Array));
    expect(ok.name).toBe(`${name}/cryptoKeyVersions/1`);
  });

  it('ENV-065: data keys and wrapped keys that are views into larger buffers are sent as exactly their bytes', async () => {
    const { kek } = await newKek();
    const pool = new Uint8Array(96).map((_, i) => i);
    const dek = pool.subarray(32, 64);
    const w = await kek.wrap(dek, ctx);
    const framed = new Uint8Array(w.wrapped.length + 20);
    framed.set(w.wrapped, 10);
    expect(await kek.unwrap({ ...w, wrapped: framed.subarray(10, 10 + w.wrapped.length) }, ctx)).toEqual(pool.slice(32, 64));
  });

  it('ENV-064 KMS-062 KMS-063: rotation is a new primary version; retirement disables it in KMS; destroyed versions do not decrypt', async () => {
    const { kek, name } = await newKek();
    const stale = await seal(kek, utf8('stale'), ctx);
    const kept = await seal(kek, utf8('kept'), ctx);
    expect(await kek.rotate()).toBe(2);
    const [key] = await admin.getCryptoKey({ name });
    expect(key.primary?.name).toBe(`${name}/cryptoKeyVersions/2`);
    // KMS refuses to disable the primary.
    await expect(admin.updateCryptoKeyVersion({ cryptoKeyVersion: { name: `${name}/cryptoKeyVersions/2`, state: 'DISABLED' }, updateMask: { paths: ['state'] } })).rejects.toMatchObject({ message: expect.stringContaining('FAILED_PRECONDITION') });
    const moved = await rewrap(kek, kept);
    await kek.retire(1);
    const [v1] = await admin.getCryptoKeyVersion({ name: `${name}/cryptoKeyVersions/1` });
    expect(v1.state).toBe('DISABLED');
    // A fresh provider learns it from KMS; KMS refuses with FAILED_PRECONDITION too.
    const other = await connect(name);
    await expect(open(other, stale, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED', message: expect.stringContaining('version 1') });
    expect(await open(other, moved, ctx)).toEqual(utf8('kept'));
    // Destroy (scheduled): still refused, and restore brings it back only as DISABLED.
    await admin.destroyCryptoKeyVersion({ name: `${name}/cryptoKeyVersions/1` });
    const [d] = await admin.getCryptoKeyVersion({ name: `${name}/cryptoKeyVersions/1` });
    expect(d.state).toBe('DESTROY_SCHEDULED');
    await expect(open(kek, stale, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
  });

  it('ENV-018 ENV-063: KMS faults and refusals surface as AgentsecErrors', async () => {
    const { kek, name } = await newKek();
    const env = await seal(kek, utf8('x'), ctx);
    kms.faults.set('Encrypt', { throttle: 1 });
    await expect(seal(kek, utf8('x'), ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE', message: expect.stringContaining('RESOURCE_EXHAUSTED') });
    kms.faults.set('Decrypt', { internal: 1 });
    await expect(open(kek, env, ctx)).rejects.toMatchObject({ kind: 'internal', reason: 'KMS_UNAVAILABLE' });
    kms.faults.clear();
    expect(await open(kek, env, ctx)).toEqual(utf8('x'));
    await expect(connect(`${name}x`)).rejects.toMatchObject({ kind: 'state_failure', reason: 'KMS_NOT_FOUND' });
    await expect(connect(name, { accessToken: '' })).rejects.toMatchObject({ reason: 'BAD_CREDENTIAL' });
    await expect(connect('projects/p/keyRings/r')).rejects.toMatchObject({ reason: 'BAD_KEY_ID' });
  });

  it('ENV-026 ENV-018: random interleavings with KMS throttling and internal errors injected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { maxLength: 16 }), async (actions) => {
        kms.faults.clear();
        const { kek } = await newKek({ refreshMs: 0 });
        await runModel(kek, actions, (a) => kms.faults.set(GCP_OPS[a.op]!, { [a.kind]: 1 }), () => kms.faults.clear());
        await kek.close();
      }),
      { numRuns: 10 },
    );
  });
});

it('ENV-062: a missing optional SDK is a typed error naming the package', async () => {
  const missing = Object.assign(new Error("Cannot find package '@google-cloud/kms'"), { code: 'ERR_MODULE_NOT_FOUND' });
  await expect(loadOptionalSdk('@google-cloud/kms', () => Promise.reject(missing), 'a GCP Cloud KMS KEK')).rejects.toMatchObject({
    kind: 'unsupported',
    reason: 'KMS_SDK_MISSING',
    message: expect.stringContaining('npm install @google-cloud/kms'),
  });
  const other = new Error('boom');
  await expect(loadOptionalSdk('x', () => Promise.reject(other), 'y')).rejects.toBe(other);
});

// Type-level check that both providers are KekProviders.
const _providers: ((k: AzureKeyVaultKek | GcpKmsKek) => KekProvider)[] = [(k) => k];
void _providers;

it('ENV-065 KMS-064: the client and the endpoint compute CRC32C alike (check value 0xE3069283)', async () => {
  const { crc32c: endpointCrc } = await import('../../harness/services/kms/crc32c.js');
  expect(crc32c(utf8('123456789'))).toBe(0xe3069283);
  expect(endpointCrc(utf8('123456789'))).toBe(0xe3069283);
  const data = new Uint8Array(1000).map((_, i) => (i * 131 + 7) & 0xff);
  for (let i = 0; i <= data.length; i += 37) expect(endpointCrc(data.subarray(0, i))).toBe(crc32c(data.subarray(0, i)));
});
