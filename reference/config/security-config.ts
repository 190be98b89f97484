/**
 * SecurityConfig: the seed's configuration template (identity, handshake, encryption, storage,
 * observability) plus the session limits, as a validated schema with secure defaults
 * (spec/config.md). `parseSecurityConfig` is pure: it returns a new, deeply frozen config or throws
 * AgentsecError naming the field, the value and the fix.
 */
import type { AeadName } from '../crypto/provider.js';
import type { ErrorKind } from '../errors.js';
import { MAX_SKIP, MAX_SKIPPED_KEYS } from '../session/limits.js';
import { configError, deepFreeze, parseObject, type ObjectSpec } from './schema.js';

export type KeyStorage = 'software' | 'tpm' | 'pkcs11';
export type KmsProvider = 'local' | 'aws' | 'azure' | 'gcp' | 'pkcs11' | 'tpm';

export interface Pkcs11Settings {
  /** Path of the PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so). */
  readonly module: string;
  readonly tokenLabel: string;
  /** Name of the environment variable holding the user PIN; the PIN itself is never configured. */
  readonly pinEnv: string;
  /** Label of the KEK object (storage.kms.pkcs11 only). */
  readonly keyLabel?: string;
}

export interface TpmSettings {
  /** A TPM character device (/dev/tpmrm0) or an swtpm socket (`swtpm:/path/to/socket`). */
  readonly device: string;
}

export interface SecurityConfig {
  readonly identity: {
    readonly signingAlgorithm: 'Ed25519';
    readonly exchangeAlgorithm: 'X25519';
    readonly keyStorage: KeyStorage;
    readonly didAnchor: 'did:key';
    readonly tpm?: TpmSettings;
    readonly pkcs11?: Pkcs11Settings;
  };
  readonly handshake: {
    readonly knownPeers: 'Noise_IK' | 'Noise_XX';
    readonly unknownPeers: 'Noise_XX';
    readonly asyncMessaging: 'Signal_PQXDH_Ratchet' | 'Signal_X3DH_Ratchet';
    readonly prekeyBatchSize: number;
  };
  readonly encryption: {
    readonly cipher: AeadName;
    readonly keyDerivation: 'HKDF-SHA256' | 'HKDF-SHA512';
    readonly nonceStrategy: 'random-12-byte' | 'counter';
    readonly ratchetPersistence: 'file' | 'secure-cache' | 'none';
    readonly provider: 'noble' | 'node';
  };
  readonly storage: {
    readonly pattern: 'envelope-encryption';
    readonly dekSize: 256;
    readonly kmsProvider: KmsProvider;
    readonly kms: {
      readonly local?: { readonly ringFile: string };
      readonly aws?: { readonly region: string; readonly keyId: string; readonly endpoint?: string };
      /** Azure Key Vault: credentials come from @azure/identity, never from this file. */
      readonly azure?: { readonly vaultUrl: string; readonly keyName: string; readonly algorithm?: 'RSA-OAEP-256' | 'A256KW'; readonly caFile?: string };
      /** GCP Cloud KMS: credentials come from Application Default Credentials, never from this file. */
      readonly gcp?: { readonly keyName: string; readonly apiEndpoint?: string; readonly port?: number; readonly protocol?: 'https' | 'http' };
      readonly pkcs11?: Pkcs11Settings;
      readonly tpm?: TpmSettings;
    };
    readonly kekRotationDays: number;
    readonly metadataScrubbing: boolean;
  };
  readonly observability: {
    readonly logRetentionDays: number;
    readonly stripRoutingHeaders: boolean;
    readonly sampleHighFrequency: number;
  };
  readonly session: {
    readonly maxSkip: number;
    readonly maxSkippedKeys: number;
  };
}

const policy = (fix: string): { kind: ErrorKind; fix: string } => ({ kind: 'policy_reject', fix });
const decode = (fix: string): { kind: ErrorKind; fix: string } => ({ kind: 'decode_failure', fix });

const PATH = { type: 'string', pattern: /^[^\0]{1,4096}$/, what: 'a non-empty path' } as const;
const LABEL = { type: 'string', pattern: /^[^\0]{1,32}$/, what: 'a label of 1 to 32 characters' } as const;
const ENV_NAME = { type: 'string', pattern: /^[A-Z_][A-Z0-9_]{0,127}$/, what: 'the name of an environment variable (A-Z, 0-9, _)' } as const;
const AZURE_CREDENTIALS = 'credentials never go in this file; use @azure/identity (DefaultAzureCredential)';
const GCP_CREDENTIALS = 'credentials never go in this file; use Application Default Credentials';
const NO_SECRETS = { pin: 'never put a PIN in the configuration; name the environment variable holding it in pinEnv', userPin: 'name the environment variable holding the PIN in pinEnv' };

const PKCS11: ObjectSpec = {
  type: 'object',
  optional: true,
  fields: { module: PATH, tokenLabel: LABEL, pinEnv: ENV_NAME, keyLabel: { ...LABEL, optional: true } },
  keyHints: NO_SECRETS,
};
const TPM: ObjectSpec = {
  type: 'object',
  optional: true,
  fields: { device: { type: 'string', pattern: /^(\/[^\0]{1,4095}|swtpm:\/[^\0]{1,4095})$/, what: "an absolute device path (/dev/tpmrm0) or 'swtpm:<absolute socket path>'" } },
};

/** The schema; `defaultSecurityConfig` below supplies every default. */
export const SECURITY_CONFIG_SCHEMA: ObjectSpec = {
  type: 'object',
  fields: {
    identity: {
      type: 'object',
      fields: {
        signingAlgorithm: { type: 'enum', values: ['Ed25519'] },
        exchangeAlgorithm: { type: 'enum', values: ['X25519'] },
        keyStorage: {
          type: 'enum',
          values: ['software', 'tpm', 'pkcs11'],
          // @req CONFIG-010: 'enclave-bound' names no key store; refusing beats silently picking one.
          refuse: {
            'enclave-bound': policy("it names no concrete key store; use 'tpm' (TPM 2.0, set identity.tpm.device) or 'pkcs11' (an HSM, set identity.pkcs11) for hardware-bound keys, or 'software' for development"),
          },
        },
        didAnchor: {
          type: 'enum',
          values: ['did:key'],
          refuse: { ipns: decode("agentsec publishes identities as did:key (self-certifying, nothing to anchor); use 'did:key'") },
        },
        tpm: TPM,
        pkcs11: PKCS11,
      },
    },
    handshake: {
      type: 'object',
      fields: {
        knownPeers: { type: 'enum', values: ['Noise_IK', 'Noise_XX'] },
        unknownPeers: {
          type: 'enum',
          values: ['Noise_XX'],
          refuse: { Noise_IK: policy("Noise_IK needs the responder's static key in advance, which an unknown peer has not given; use 'Noise_XX'") },
        },
        asyncMessaging: { type: 'enum', values: ['Signal_PQXDH_Ratchet', 'Signal_X3DH_Ratchet'] },
        prekeyBatchSize: { type: 'int', min: 1, max: 1000, what: 'one-time prekeys published per batch' },
      },
    },
    encryption: {
      type: 'object',
      fields: {
        // @req CONFIG-006: only the profile's AEADs, KDFs and providers.
        cipher: { type: 'enum', values: ['AES-256-GCM', 'ChaCha20-Poly1305'] },
        keyDerivation: { type: 'enum', values: ['HKDF-SHA256', 'HKDF-SHA512'] },
        nonceStrategy: { type: 'enum', values: ['random-12-byte', 'counter'] },
        ratchetPersistence: { type: 'enum', values: ['file', 'secure-cache', 'none'] },
        provider: { type: 'enum', values: ['noble', 'node'] },
      },
    },
    storage: {
      type: 'object',
      fields: {
        pattern: { type: 'enum', values: ['envelope-encryption'] },
        // @req CONFIG-004: the DEK is 256 bits, nothing else.
        dekSize: { type: 'int', min: 256, max: 256, must: '256 (a 256-bit DEK)' },
        kmsProvider: {
          type: 'enum',
          values: ['local', 'aws', 'azure', 'gcp', 'pkcs11', 'tpm'],
          refuse: {
            'aws-kms': decode("write 'aws' (and its settings in storage.kms.aws)"),
            'azure-key-vault': decode("write 'azure' (and its settings in storage.kms.azure)"),
            'gcp-kms': decode("write 'gcp' (and its settings in storage.kms.gcp)"),
          },
        },
        kms: {
          type: 'object',
          fields: {
            local: { type: 'object', optional: true, fields: { ringFile: PATH } },
            aws: {
              type: 'object',
              optional: true,
              fields: {
                region: { type: 'string', pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, what: 'an AWS region such as us-east-1' },
                keyId: { type: 'string', pattern: /^[A-Za-z0-9:/_+=,.@-]{1,2048}$/, what: 'a KMS key id, ARN or alias' },
                endpoint: { type: 'string', pattern: /^(https:\/\/[^\s]+|http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d{1,5})?(\/[^\s]*)?)$/, what: 'an https:// URL, or http:// on loopback (127.0.0.1, [::1], localhost) for an emulator', optional: true },
              },
              keyHints: { secretAccessKey: 'credentials never go in this file; use the AWS SDK credential chain', accessKeyId: 'credentials never go in this file; use the AWS SDK credential chain' },
            },
            azure: {
              type: 'object',
              optional: true,
              fields: {
                // @req CONFIG-030
                vaultUrl: { type: 'string', pattern: /^https:\/\/[^\s/]+\/?$/, what: 'the https:// URL of the vault (https://NAME.vault.azure.net), with no path' },
                keyName: { type: 'string', pattern: /^[0-9a-zA-Z-]{1,127}$/, what: 'a Key Vault key name (1 to 127 letters, digits or dashes)' },
                algorithm: { type: 'enum', values: ['RSA-OAEP-256', 'A256KW'], optional: true },
                caFile: { ...PATH, optional: true },
              },
              keyHints: { clientSecret: AZURE_CREDENTIALS, clientId: AZURE_CREDENTIALS, tenantId: AZURE_CREDENTIALS, token: AZURE_CREDENTIALS, accessToken: AZURE_CREDENTIALS },
            },
            gcp: {
              type: 'object',
              optional: true,
              fields: {
                // @req CONFIG-031
                keyName: { type: 'string', pattern: /^projects\/[^/\s]+\/locations\/[^/\s]+\/keyRings\/[a-zA-Z0-9_-]{1,63}\/cryptoKeys\/[a-zA-Z0-9_-]{1,63}$/, what: 'a crypto key name projects/P/locations/L/keyRings/R/cryptoKeys/K' },
                apiEndpoint: { type: 'string', pattern: /^[A-Za-z0-9.-]{1,253}$|^\[::1\]$/, what: 'a host name (cloudkms.googleapis.com, a private endpoint, or 127.0.0.1 for an emulator)', optional: true },
                port: { type: 'int', min: 1, max: 65535, what: 'a TCP port', optional: true },
                protocol: { type: 'enum', values: ['https', 'http'], optional: true },
              },
              keyHints: { credentials: GCP_CREDENTIALS, privateKey: GCP_CREDENTIALS, private_key: GCP_CREDENTIALS, accessToken: GCP_CREDENTIALS, keyFile: GCP_CREDENTIALS },
            },
            pkcs11: PKCS11,
            tpm: TPM,
          },
        },
        kekRotationDays: { type: 'int', min: 90, max: 2560, what: 'days between KEK rotations' },
        metadataScrubbing: { type: 'bool' },
      },
      keyHints: { kecRotationDays: 'did you mean storage.kekRotationDays?' },
    },
    observability: {
      type: 'object',
      fields: {
        logRetentionDays: { type: 'int', min: 1, max: 3650, what: 'days' },
        stripRoutingHeaders: { type: 'bool' },
        sampleHighFrequency: { type: 'number', min: 0, max: 1, what: 'the fraction of high-frequency events kept' },
      },
    },
    session: {
      type: 'object',
      fields: {
        maxSkip: { type: 'int', min: 1, max: 100_000, what: 'message keys one message may skip in a chain' },
        // @req CONFIG-012: 68 record bytes per key; 200000 (13.6 MB) is what a maximal skip on both chains needs.
        maxSkippedKeys: { type: 'int', min: 2, max: 200_000, what: 'skipped message keys kept per session' },
      },
    },
  },
};

/** The secure defaults (CONFIG-001). */
export const defaultSecurityConfig: SecurityConfig = deepFreeze({
  identity: { signingAlgorithm: 'Ed25519', exchangeAlgorithm: 'X25519', keyStorage: 'software', didAnchor: 'did:key' },
  handshake: { knownPeers: 'Noise_IK', unknownPeers: 'Noise_XX', asyncMessaging: 'Signal_PQXDH_Ratchet', prekeyBatchSize: 100 },
  encryption: { cipher: 'AES-256-GCM', keyDerivation: 'HKDF-SHA256', nonceStrategy: 'random-12-byte', ratchetPersistence: 'file', provider: 'noble' },
  storage: {
    pattern: 'envelope-encryption',
    dekSize: 256,
    kmsProvider: 'local',
    kms: { local: { ringFile: 'agentsec-kek-ring.json' } },
    kekRotationDays: 90,
    metadataScrubbing: true,
  },
  observability: { logRetentionDays: 30, stripRoutingHeaders: true, sampleHighFrequency: 0.1 },
  session: { maxSkip: MAX_SKIP, maxSkippedKeys: MAX_SKIPPED_KEYS },
});

/** Rules across fields, after each field is valid on its own. */
function checkCrossFieldRules(c: SecurityConfig): void {
  // @req CONFIG-005: a counter nonce repeats after a restart unless its state persists.
  if (c.encryption.nonceStrategy === 'counter' && c.encryption.ratchetPersistence === 'none') {
    throw configError(
      'policy_reject',
      'CONFIG_POLICY',
      "encryption.nonceStrategy 'counter' needs encryption.ratchetPersistence 'file' or 'secure-cache' (a counter that does not survive a restart reuses nonces); set ratchetPersistence or use nonceStrategy 'random-12-byte'",
    );
  }
  // @req CONFIG-010: the selected key store's settings are present.
  if (c.identity.keyStorage === 'tpm' && !c.identity.tpm) throw configError('decode_failure', 'CONFIG_MISSING', "identity.tpm is required when identity.keyStorage is 'tpm' (set identity.tpm.device)");
  if (c.identity.keyStorage === 'pkcs11' && !c.identity.pkcs11) throw configError('decode_failure', 'CONFIG_MISSING', "identity.pkcs11 is required when identity.keyStorage is 'pkcs11' (set module, tokenLabel, pinEnv)");
  // @req CONFIG-011: the selected KMS provider's settings are present.
  const p = c.storage.kmsProvider;
  const fields: Record<KmsProvider, string> = { local: 'ringFile', aws: 'region, keyId', azure: 'vaultUrl, keyName', gcp: 'keyName', pkcs11: 'module, tokenLabel, pinEnv, keyLabel', tpm: 'device' };
  if (!c.storage.kms[p]) throw configError('decode_failure', 'CONFIG_MISSING', `storage.kms.${p} is required when storage.kmsProvider is '${p}' (set ${fields[p]})`);
  // @req CONFIG-031: plain http only to an emulator on loopback.
  const g = c.storage.kms.gcp;
  if (g?.protocol === 'http' && !['127.0.0.1', '[::1]', '::1', 'localhost'].includes(g.apiEndpoint ?? '')) {
    throw configError('decode_failure', 'CONFIG_VALUE', "storage.kms.gcp.protocol 'http' is allowed only with a loopback apiEndpoint (127.0.0.1, [::1], localhost); use https");
  }
  if (p === 'pkcs11' && !c.storage.kms.pkcs11?.keyLabel) throw configError('decode_failure', 'CONFIG_MISSING', 'storage.kms.pkcs11.keyLabel is required (the label of the KEK object on the token)');
  // @req CONFIG-012: room for a maximal skip in the old chain plus one in the new chain.
  if (c.session.maxSkippedKeys < 2 * c.session.maxSkip) {
    throw configError(
      'policy_reject',
      'CONFIG_POLICY',
      `session.maxSkippedKeys must be at least 2 * session.maxSkip (${2 * c.session.maxSkip}) so a maximal skip on both chains of one DH step fits; got ${c.session.maxSkippedKeys}`,
    );
  }
}

/** Validates an untrusted value (e.g. parsed JSON) into a SecurityConfig; missing settings take the defaults. */
export function parseSecurityConfig(input: unknown): SecurityConfig {
  const c = parseObject(SECURITY_CONFIG_SCHEMA, input, defaultSecurityConfig, '') as unknown as SecurityConfig;
  checkCrossFieldRules(c);
  return deepFreeze(c);
}
