import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSecurityConfig, loadSecurityConfig, parseSecurityConfig } from '../config/index.js';
import { AgentsecError } from '../errors.js';

/** Refusal of `input`: [kind, message]. */
function refusal(input: unknown): [string, string] {
  try {
    parseSecurityConfig(input);
  } catch (e) {
    if (e instanceof AgentsecError) return [e.kind, e.message];
    throw e;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

const section = (name: string, values: Record<string, unknown>) => ({ [name]: values });

describe('SecurityConfig defaults', () => {
  it('CONFIG-001: the defaults validate, and an empty or partial config is completed from them', () => {
    expect(parseSecurityConfig(defaultSecurityConfig)).toEqual(defaultSecurityConfig);
    expect(parseSecurityConfig({})).toEqual(defaultSecurityConfig);
    const c = parseSecurityConfig({ encryption: { cipher: 'ChaCha20-Poly1305' } });
    expect(c.encryption).toEqual({ ...defaultSecurityConfig.encryption, cipher: 'ChaCha20-Poly1305' });
    expect(c.storage).toEqual(defaultSecurityConfig.storage);
  });

  it('CONFIG-001: the defaults are the secure choices', () => {
    const d = defaultSecurityConfig;
    expect(d.storage.dekSize).toBe(256);
    expect(d.storage.kekRotationDays).toBe(90);
    expect(d.storage.metadataScrubbing).toBe(true);
    expect(d.observability.stripRoutingHeaders).toBe(true);
    expect(d.handshake.prekeyBatchSize).toBe(100);
    expect(d.handshake.unknownPeers).toBe('Noise_XX');
    expect(d.handshake.asyncMessaging).toBe('Signal_PQXDH_Ratchet');
    expect(d.encryption.nonceStrategy).toBe('random-12-byte');
    expect(d.session).toEqual({ maxSkip: 1000, maxSkippedKeys: 2000 });
  });

  it('CONFIG-001: a parsed config is deeply frozen and does not alias the input', () => {
    const input = { observability: { logRetentionDays: 7 } };
    const c = parseSecurityConfig(input);
    expect(Object.isFrozen(c) && Object.isFrozen(c.observability) && Object.isFrozen(c.storage.kms)).toBe(true);
    input.observability.logRetentionDays = 9;
    expect(c.observability.logRetentionDays).toBe(7);
  });
});

describe('SecurityConfig refusals name the field and the fix', () => {
  it('CONFIG-002: not an object / wrong types are decode_failure with the field path and the value', () => {
    expect(refusal(null)).toEqual(['decode_failure', 'the configuration must be an object; got null']);
    expect(refusal([])[0]).toBe('decode_failure');
    expect(refusal({ storage: 'x' })).toEqual(['decode_failure', "storage must be an object; got 'x'"]);
    expect(refusal(section('observability', { stripRoutingHeaders: 'yes' }))).toEqual(['decode_failure', "observability.stripRoutingHeaders must be true or false; got 'yes'"]);
    expect(refusal(section('handshake', { prekeyBatchSize: '100' }))[0]).toBe('decode_failure');
    expect(refusal(section('handshake', { prekeyBatchSize: 1.5 }))[1]).toMatch(/^handshake\.prekeyBatchSize must be an integer from 1 to 1000/);
  });

  it('CONFIG-003: unknown keys are refused at every level, with a suggestion', () => {
    expect(refusal({ identiy: {} })).toEqual(['decode_failure', 'identiy is not a known setting; did you mean identity?']);
    expect(refusal(section('storage', { dekSzie: 256 }))[1]).toBe('storage.dekSzie is not a known setting; did you mean storage.dekSize?');
    expect(refusal(section('storage', { kecRotationDays: 90 }))[1]).toMatch(/did you mean storage\.kekRotationDays/);
    expect(refusal(section('encryption', { zzz: 1 }))[1]).toMatch(/^encryption\.zzz is not a known setting; known settings: cipher, /);
    expect(refusal(section('storage', { kms: { aws: { region: 'us-east-1', keyId: 'k', secretAccessKey: 's' } } }))[1]).toMatch(/storage\.kms\.aws\.secretAccessKey .*credential chain/);
    expect(refusal(section('identity', { pkcs11: { module: '/m.so', tokenLabel: 't', pinEnv: 'PIN', pin: '1234' } }))[1]).toMatch(/identity\.pkcs11\.pin .*pinEnv/);
    expect(refusal(section('identity', { pkcs11: { module: '/m.so', tokenLabel: 't', pinEnv: 'PIN', pin: '1234' } }))[1]).not.toContain('1234');
  });

  it('CONFIG-004: storage.dekSize other than 256 is refused with the fix', () => {
    expect(refusal(section('storage', { dekSize: 128 }))).toEqual(['policy_reject', 'storage.dekSize must be 256 (a 256-bit DEK); got 128']);
    expect(refusal(section('storage', { dekSize: 512 }))[0]).toBe('policy_reject');
    expect(refusal(section('storage', { dekSize: '256' }))[0]).toBe('decode_failure');
    expect(parseSecurityConfig(section('storage', { dekSize: 256 })).storage.dekSize).toBe(256);
  });

  it('CONFIG-005: a counter nonce strategy without ratchet persistence is refused', () => {
    const [kind, msg] = refusal(section('encryption', { nonceStrategy: 'counter', ratchetPersistence: 'none' }));
    expect(kind).toBe('policy_reject');
    expect(msg).toMatch(/^encryption\.nonceStrategy 'counter' needs encryption\.ratchetPersistence/);
    expect(msg).toMatch(/use nonceStrategy 'random-12-byte'/);
    expect(parseSecurityConfig(section('encryption', { nonceStrategy: 'counter', ratchetPersistence: 'secure-cache' })).encryption.nonceStrategy).toBe('counter');
    expect(parseSecurityConfig(section('encryption', { ratchetPersistence: 'none' })).encryption.ratchetPersistence).toBe('none');
  });

  it('CONFIG-006: unknown ciphers, KDFs and providers are refused with the allowed values', () => {
    expect(refusal(section('encryption', { cipher: 'AES-128-GCM' }))).toEqual(['decode_failure', "encryption.cipher must be one of 'AES-256-GCM', 'ChaCha20-Poly1305'; got 'AES-128-GCM'"]);
    expect(refusal(section('encryption', { keyDerivation: 'PBKDF2' }))[1]).toMatch(/^encryption\.keyDerivation must be one of 'HKDF-SHA256', 'HKDF-SHA512'/);
    expect(refusal(section('encryption', { provider: 'openssl' }))[1]).toMatch(/^encryption\.provider must be one of 'noble', 'node'/);
    expect(parseSecurityConfig(section('encryption', { provider: 'node', keyDerivation: 'HKDF-SHA512' })).encryption.provider).toBe('node');
  });

  it('CONFIG-007: storage.kekRotationDays must be 90..2560', () => {
    for (const v of [89, 2561, 0, -90]) expect(refusal(section('storage', { kekRotationDays: v }))).toEqual(['policy_reject', `storage.kekRotationDays must be an integer from 90 to 2560 (days between KEK rotations); got ${v}`]);
    expect(refusal(section('storage', { kekRotationDays: 90.5 }))[0]).toBe('decode_failure');
    for (const v of [90, 365, 2560]) expect(parseSecurityConfig(section('storage', { kekRotationDays: v })).storage.kekRotationDays).toBe(v);
  });

  it('CONFIG-008: handshake.prekeyBatchSize must be 1..1000', () => {
    for (const v of [0, 1001]) expect(refusal(section('handshake', { prekeyBatchSize: v }))[0]).toBe('policy_reject');
    for (const v of [1, 1000]) expect(parseSecurityConfig(section('handshake', { prekeyBatchSize: v })).handshake.prekeyBatchSize).toBe(v);
  });

  it('CONFIG-009: observability sampling must be within 0..1 and retention 1..3650 days', () => {
    for (const v of [-0.1, 1.01, 2]) expect(refusal(section('observability', { sampleHighFrequency: v }))[0]).toBe('policy_reject');
    for (const v of [Number.NaN, Infinity, '0.5']) expect(refusal(section('observability', { sampleHighFrequency: v }))[0]).toBe('decode_failure');
    for (const v of [0, 0.5, 1]) expect(parseSecurityConfig(section('observability', { sampleHighFrequency: v })).observability.sampleHighFrequency).toBe(v);
    expect(refusal(section('observability', { logRetentionDays: 0 }))[1]).toMatch(/^observability\.logRetentionDays must be an integer from 1 to 3650/);
  });

  it("CONFIG-010: keyStorage is software|tpm|pkcs11; the seed's 'enclave-bound' is refused with the fix", () => {
    const [kind, msg] = refusal(section('identity', { keyStorage: 'enclave-bound' }));
    expect(kind).toBe('policy_reject');
    expect(msg).toMatch(/^identity\.keyStorage 'enclave-bound' is refused: it names no concrete key store; use 'tpm'/);
    expect(refusal(section('identity', { keyStorage: 'vault' }))[1]).toBe("identity.keyStorage must be one of 'software', 'tpm', 'pkcs11'; got 'vault'");
    expect(refusal(section('identity', { keyStorage: 'tpm' }))).toEqual(['decode_failure', "identity.tpm is required when identity.keyStorage is 'tpm' (set identity.tpm.device)"]);
    expect(refusal(section('identity', { keyStorage: 'pkcs11' }))[1]).toMatch(/^identity\.pkcs11 is required/);
    expect(refusal(section('identity', { keyStorage: 'tpm', tpm: { device: 'tpm0' } }))[1]).toMatch(/^identity\.tpm\.device must be an absolute device path/);
    expect(parseSecurityConfig(section('identity', { keyStorage: 'tpm', tpm: { device: 'swtpm:/tmp/s.sock' } })).identity.tpm).toEqual({ device: 'swtpm:/tmp/s.sock' });
    expect(refusal(section('identity', { pkcs11: { module: '/m.so', tokenLabel: 't', pinEnv: 'my-pin' } }))[1]).toMatch(/^identity\.pkcs11\.pinEnv must be the name of an environment variable/);
    expect(refusal(section('identity', { didAnchor: 'ipns' }))[1]).toMatch(/^identity\.didAnchor 'ipns' is refused: agentsec publishes identities as did:key/);
    expect(refusal(section('identity', { signingAlgorithm: 'RSA' }))[1]).toBe("identity.signingAlgorithm must be one of 'Ed25519'; got 'RSA'");
  });

  it('CONFIG-011: the selected KMS provider needs its settings; endpoints are https or loopback', () => {
    expect(refusal(section('storage', { kmsProvider: 'aws' }))).toEqual(['decode_failure', "storage.kms.aws is required when storage.kmsProvider is 'aws' (set region, keyId)"]);
    expect(refusal(section('storage', { kmsProvider: 'aws-kms' }))[1]).toMatch(/^storage\.kmsProvider 'aws-kms' is refused: write 'aws'/);
    expect(refusal(section('storage', { kmsProvider: 'aws', kms: { aws: { keyId: 'alias/k' } } }))[1]).toBe('storage.kms.aws.region is required');
    expect(refusal(section('storage', { kms: { aws: { region: 'Mars', keyId: 'k' } } }))[1]).toMatch(/^storage\.kms\.aws\.region must be an AWS region/);
    expect(refusal(section('storage', { kms: { aws: { region: 'us-east-1', keyId: 'k', endpoint: 'http://kms.example.com' } } }))[1]).toMatch(/^storage\.kms\.aws\.endpoint must be an https:\/\/ URL, or http:\/\/ on loopback/);
    const aws = parseSecurityConfig(section('storage', { kmsProvider: 'aws', kms: { aws: { region: 'eu-west-1', keyId: 'alias/agentsec', endpoint: 'http://127.0.0.1:4566' } } }));
    expect(aws.storage.kms.aws).toEqual({ region: 'eu-west-1', keyId: 'alias/agentsec', endpoint: 'http://127.0.0.1:4566' });
    expect(refusal(section('storage', { kmsProvider: 'pkcs11', kms: { pkcs11: { module: '/m.so', tokenLabel: 't', pinEnv: 'PIN' } } }))[1]).toMatch(/^storage\.kms\.pkcs11\.keyLabel is required/);
    expect(parseSecurityConfig(section('storage', { kmsProvider: 'pkcs11', kms: { pkcs11: { module: '/m.so', tokenLabel: 't', pinEnv: 'PIN', keyLabel: 'kek' } } })).storage.kmsProvider).toBe('pkcs11');
    expect(refusal(section('storage', { kmsProvider: 'tpm' }))[1]).toMatch(/^storage\.kms\.tpm is required .*set device/);
    expect(refusal(section('storage', { kmsProvider: 'gcp' }))[1]).toMatch(/^storage\.kms\.gcp is required when storage\.kmsProvider is 'gcp' \(set keyName\)/);
    expect(refusal(section('storage', { kmsProvider: 'azure' }))[1]).toMatch(/^storage\.kms\.azure is required when storage\.kmsProvider is 'azure' \(set vaultUrl, keyName\)/);
  });

  it('CONFIG-030: Azure Key Vault settings: an https vault URL, a key name, an algorithm; no credentials', () => {
    const azure = { vaultUrl: 'https://agents.vault.azure.net', keyName: 'agentsec-kek' };
    const c = parseSecurityConfig(section('storage', { kmsProvider: 'azure', kms: { azure: { ...azure, algorithm: 'A256KW', caFile: '/etc/agentsec/vault-ca.pem' } } }));
    expect(c.storage.kmsProvider).toBe('azure');
    expect(c.storage.kms.azure).toEqual({ ...azure, algorithm: 'A256KW', caFile: '/etc/agentsec/vault-ca.pem' });
    expect(refusal(section('storage', { kmsProvider: 'azure', kms: { azure: { ...azure, vaultUrl: 'http://agents.vault.azure.net' } } }))[1]).toMatch(/^storage\.kms\.azure\.vaultUrl must be the https:\/\/ URL of the vault/);
    expect(refusal(section('storage', { kmsProvider: 'azure', kms: { azure: { ...azure, keyName: 'bad name' } } }))[1]).toMatch(/^storage\.kms\.azure\.keyName must be a Key Vault key name/);
    expect(refusal(section('storage', { kmsProvider: 'azure', kms: { azure: { ...azure, algorithm: 'RSA1_5' } } }))[1]).toMatch(/^storage\.kms\.azure\.algorithm must be one of 'RSA-OAEP-256', 'A256KW'/);
    expect(refusal(section('storage', { kmsProvider: 'azure', kms: { azure: { ...azure, clientSecret: 'x' } } }))[1]).toMatch(/credentials never go in this file; use @azure\/identity/);
    expect(refusal(section('storage', { kmsProvider: 'azure-key-vault' }))[1]).toMatch(/^storage\.kmsProvider 'azure-key-vault' is refused: write 'azure'/);
  });

  it('CONFIG-031: GCP Cloud KMS settings: a crypto key name, an optional endpoint; plain http only on loopback; no credentials', () => {
    const keyName = 'projects/p1/locations/global/keyRings/agents/cryptoKeys/kek';
    expect(parseSecurityConfig(section('storage', { kmsProvider: 'gcp', kms: { gcp: { keyName } } })).storage.kms.gcp).toEqual({ keyName });
    const local = { keyName, apiEndpoint: '127.0.0.1', port: 8085, protocol: 'http' };
    expect(parseSecurityConfig(section('storage', { kmsProvider: 'gcp', kms: { gcp: local } })).storage.kms.gcp).toEqual(local);
    expect(refusal(section('storage', { kmsProvider: 'gcp', kms: { gcp: { ...local, apiEndpoint: 'kms.example.com' } } }))).toEqual(['decode_failure', "storage.kms.gcp.protocol 'http' is allowed only with a loopback apiEndpoint (127.0.0.1, [::1], localhost); use https"]);
    expect(refusal(section('storage', { kmsProvider: 'gcp', kms: { gcp: { keyName: 'projects/p1/keyRings/r/cryptoKeys/k' } } }))[1]).toMatch(/^storage\.kms\.gcp\.keyName must be a crypto key name/);
    expect(refusal(section('storage', { kmsProvider: 'gcp', kms: { gcp: { keyName, port: 70000 } } }))[1]).toMatch(/^storage\.kms\.gcp\.port must be/);
    expect(refusal(section('storage', { kmsProvider: 'gcp', kms: { gcp: { keyName, privateKey: 'x' } } }))[1]).toMatch(/credentials never go in this file; use Application Default Credentials/);
  });

  it('CONFIG-012: session limits: maxSkip 1..100000, maxSkippedKeys at least twice maxSkip', () => {
    expect(refusal(section('session', { maxSkip: 2000 }))).toEqual(['policy_reject', 'session.maxSkippedKeys must be at least 2 * session.maxSkip (4000) so a maximal skip on both chains of one DH step fits; got 2000']);
    expect(parseSecurityConfig(section('session', { maxSkip: 2000, maxSkippedKeys: 4000 })).session).toEqual({ maxSkip: 2000, maxSkippedKeys: 4000 });
    expect(refusal(section('session', { maxSkip: 0 }))[0]).toBe('policy_reject');
  });

  it('CONFIG-013: Noise_IK for unknown peers is refused (it needs the peer key in advance)', () => {
    const [kind, msg] = refusal(section('handshake', { unknownPeers: 'Noise_IK' }));
    expect(kind).toBe('policy_reject');
    expect(msg).toMatch(/^handshake\.unknownPeers 'Noise_IK' is refused: .*use 'Noise_XX'/);
    expect(parseSecurityConfig(section('handshake', { knownPeers: 'Noise_XX', asyncMessaging: 'Signal_X3DH_Ratchet' })).handshake.knownPeers).toBe('Noise_XX');
  });

  it('CONFIG-015: storage.pattern is envelope-encryption; scrubbing and header stripping are booleans', () => {
    expect(refusal(section('storage', { pattern: 'plaintext' }))[1]).toBe("storage.pattern must be one of 'envelope-encryption'; got 'plaintext'");
    expect(refusal(section('storage', { metadataScrubbing: 1 }))[0]).toBe('decode_failure');
  });

  it("CONFIG-010 CONFIG-011: the seed's template validates once its three unsupported values are replaced", () => {
    const seed = {
      identity: { signingAlgorithm: 'Ed25519', exchangeAlgorithm: 'X25519', keyStorage: 'enclave-bound', didAnchor: 'ipns' },
      handshake: { knownPeers: 'Noise_IK', unknownPeers: 'Noise_XX', asyncMessaging: 'Signal_X3DH_Ratchet', prekeyBatchSize: 100 },
      encryption: { cipher: 'AES-256-GCM', keyDerivation: 'HKDF-SHA256', nonceStrategy: 'random-12-byte', ratchetPersistence: 'secure-cache' },
      storage: { pattern: 'envelope-encryption', dekSize: 256, kmsProvider: 'aws-kms', kekRotationDays: 90, metadataScrubbing: true },
      observability: { logRetentionDays: 30, stripRoutingHeaders: true, sampleHighFrequency: 0.1 },
    };
    expect(refusal(seed)[1]).toMatch(/^identity\.keyStorage 'enclave-bound' is refused/);
    const fixed = {
      ...seed,
      identity: { ...seed.identity, keyStorage: 'tpm', tpm: { device: '/dev/tpmrm0' }, didAnchor: 'did:key' },
      storage: { ...seed.storage, kmsProvider: 'aws', kms: { aws: { region: 'us-east-1', keyId: 'alias/agentsec' } } },
    };
    const c = parseSecurityConfig(fixed);
    expect(c.identity.keyStorage).toBe('tpm');
    expect(c.storage.kmsProvider).toBe('aws');
    expect(c.encryption.provider).toBe('noble');
  });

  it('CONFIG-002: any JSON value either parses to a config that re-parses to itself, or is refused with a typed error', () => {
    const sections = fc.record(
      {
        encryption: fc.record({ cipher: fc.constantFrom('AES-256-GCM', 'ChaCha20-Poly1305', 'DES'), nonceStrategy: fc.constantFrom('counter', 'random-12-byte'), ratchetPersistence: fc.constantFrom('none', 'file') }, { requiredKeys: [] }),
        storage: fc.record({ dekSize: fc.constantFrom(128, 256, '256'), kekRotationDays: fc.integer({ min: 0, max: 3000 }) }, { requiredKeys: [] }),
        session: fc.record({ maxSkip: fc.integer({ min: -1, max: 3000 }), maxSkippedKeys: fc.integer({ min: 0, max: 5000 }) }, { requiredKeys: [] }),
        junk: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(sections, fc.jsonValue()), (input) => {
        let c;
        try {
          c = parseSecurityConfig(input);
        } catch (e) {
          expect(e).toBeInstanceOf(AgentsecError);
          expect(['decode_failure', 'policy_reject']).toContain((e as AgentsecError).kind);
          return;
        }
        expect(parseSecurityConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });
});

describe('loadSecurityConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-config-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const loadRefusal = (p: string): [string, string] => {
    try {
      loadSecurityConfig(p);
    } catch (e) {
      if (e instanceof AgentsecError) return [e.kind, e.message];
      throw e;
    }
    throw new Error('accepted');
  };

  it('CONFIG-014: loads a JSON file and completes it from the defaults', () => {
    const c = loadSecurityConfig(file('ok.json', JSON.stringify({ encryption: { cipher: 'ChaCha20-Poly1305' } })));
    expect(c.encryption.cipher).toBe('ChaCha20-Poly1305');
    expect(c.storage.dekSize).toBe(256);
  });

  it('CONFIG-014: a missing file, invalid JSON and invalid content are decode_failure/policy_reject naming the file', () => {
    const missing = join(dir, 'nope.json');
    expect(loadRefusal(missing)).toEqual(['decode_failure', `${missing}: cannot read the configuration file (ENOENT)`]);
    const bad = file('bad.json', '{"storage": ');
    const [k1, m1] = loadRefusal(bad);
    expect(k1).toBe('decode_failure');
    expect(m1).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    const weak = file('weak.json', JSON.stringify({ storage: { dekSize: 128 } }));
    expect(loadRefusal(weak)).toEqual(['policy_reject', `${weak}: storage.dekSize must be 256 (a 256-bit DEK); got 128`]);
  });
});
