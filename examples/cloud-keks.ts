// Envelopes under an Azure Key Vault key and a GCP Cloud KMS key, through their official SDKs. Here
// both services are the loopback endpoints of `agentsec kms serve --flavour azure|gcp`; for the real
// services drop the endpoint settings marked "loopback" and use DefaultAzureCredential and ADC.
import { KeyClient } from '@azure/keyvault-keys';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { OAuth2Client } from 'google-auth-library';
import { Agent } from 'node:https';
import { startAzureVault, startGcpKms } from '../harness/services/kms/index.js';
import { AzureKeyVaultKek, GcpKmsKek, openEnvelope, sealEnvelope, type KekProvider } from '../reference/envelope/index.js';

export async function runCloudKeks() {
  const vault = await startAzureVault();
  const gcp = await startGcpKms();
  const credential = { getToken: async () => ({ token: 'loopback', expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const tls = { agent: new Agent({ ca: vault.cert }), disableChallengeResourceVerification: true }; // loopback
  await new KeyClient(vault.vaultUrl, credential, tls).createKey('orders-kek', 'RSA', { keySize: 2048 });
  const azure = await AzureKeyVaultKek.connect({ vaultUrl: vault.vaultUrl, keyName: 'orders-kek', credential, ca: vault.cert, disableChallengeResourceVerification: true });

  const auth = new OAuth2Client(); // loopback: a static token instead of Application Default Credentials
  auth.setCredentials({ access_token: 'loopback', expiry_date: Number.MAX_SAFE_INTEGER });
  const endpoint = { apiEndpoint: gcp.host, port: gcp.port, protocol: 'http' as const }; // loopback
  const admin = new KeyManagementServiceClient({ fallback: true, ...endpoint, authClient: auth } as ConstructorParameters<typeof KeyManagementServiceClient>[0]);
  const [ring] = await admin.createKeyRing({ parent: 'projects/demo/locations/global', keyRingId: 'orders' });
  const [key] = await admin.createCryptoKey({ parent: ring.name!, cryptoKeyId: 'kek', cryptoKey: { purpose: 'ENCRYPT_DECRYPT' } });
  const gcpKek = await GcpKmsKek.connect({ keyName: key.name!, ...endpoint, accessToken: 'loopback' });

  const context = { tenant: 'acme', table: 'orders' };
  const results: Record<string, string> = {};
  for (const kek of [azure, gcpKek] as KekProvider[]) {
    const env = await sealEnvelope(kek, new TextEncoder().encode('{"order": 42}'), context);
    await kek.rotate(); // a new Key Vault version / a new primary CryptoKeyVersion
    results[kek.kind] = new TextDecoder().decode(await openEnvelope(kek, env, context));
  }
  await gcpKek.close();
  await admin.close();
  await vault.close();
  await gcp.close();
  return results; // { azure: '{"order": 42}', gcp: '{"order": 42}' }
}

if (process.argv[1]?.endsWith('cloud-keks.ts')) console.log(await runCloudKeks());
