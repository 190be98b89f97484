/**
 * Versioned, authenticated records (spec/records.md): session and agent state at rest.
 *
 *   record = u8 version || u8 type || salt (32) || AEAD ciphertext of the body (+16-byte tag)
 *   salt   = HMAC-SHA256(K_storage, "agentsec/1 record salt" || version || type || body)
 *   key    = HKDF-SHA256(ikm = K_storage, salt, info = "agentsec/1 record" || version || type, 32)
 *   AEAD   = AES-256-GCM(key, nonce = 0^12, ad = version || type || salt)
 *
 * The salt is synthetic (SIV-like): one key per distinct body, so the zero nonce never repeats
 * under a key, and the same state always exports to the same bytes (which is how "state
 * unchanged" is checked from outside). The body is encrypted because it holds private keys.
 */
import { concatBytes, equalBytes, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';

/** The current record format. Bump it (never reuse tags) when the body layout changes. */
export const RECORD_VERSION = 1;
/** The oldest version this release still reads. */
export const MIN_RECORD_VERSION = 1;

export const RECORD_TYPE = { agent: 0x01, noise: 0x02, peer: 0x03 } as const;
export type RecordType = keyof typeof RECORD_TYPE;

const SALT_LABEL = utf8('agentsec/1 record salt');
const KEY_LABEL = utf8('agentsec/1 record');
const NONCE = new Uint8Array(12);
const HEADER = 2 + 32;

function keyFor(p: CryptoProvider, storageKey: Uint8Array, head: Uint8Array, salt: Uint8Array): Uint8Array {
  return p.hkdf('SHA-256', storageKey, salt, concatBytes(KEY_LABEL, head), 32);
}

function checkStorageKey(k: Uint8Array): void {
  if (!(k instanceof Uint8Array) || k.length !== 32) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"storageKey" expected 32 bytes, got ${k instanceof Uint8Array ? k.length : typeof k}`);
}

export function sealRecord(p: CryptoProvider, storageKey: Uint8Array, type: RecordType, body: Uint8Array): Uint8Array {
  checkStorageKey(storageKey);
  // @req REC-001
  const head = new Uint8Array([RECORD_VERSION, RECORD_TYPE[type]]);
  const salt = p.hmac('SHA-256', storageKey, concatBytes(SALT_LABEL, head, body));
  const ct = p.aead('AES-256-GCM').seal(keyFor(p, storageKey, head, salt), NONCE, body, concatBytes(head, salt));
  return concatBytes(head, salt, ct);
}

export function openRecord(p: CryptoProvider, storageKey: Uint8Array, type: RecordType, record: Uint8Array): Uint8Array {
  checkStorageKey(storageKey);
  if (!(record instanceof Uint8Array) || record.length < 1) throw new AgentsecError('decode_failure', 'TRUNCATED', 'record is empty');
  const version = record[0]!;
  // @req REC-003
  if (version < MIN_RECORD_VERSION) throw new AgentsecError('state_failure', 'RECORD_VERSION_TOO_OLD', `record version ${version} is older than this release reads (${MIN_RECORD_VERSION}..${RECORD_VERSION}); migrate it with the release that wrote it`);
  // @req REC-004
  if (version > RECORD_VERSION) throw new AgentsecError('unsupported', 'RECORD_VERSION_TOO_NEW', `record version ${version} is newer than this release reads (up to ${RECORD_VERSION}); upgrade agentsec`);
  if (record.length < HEADER + 16) throw new AgentsecError('decode_failure', 'TRUNCATED', `record expected at least ${HEADER + 16} bytes, got ${record.length}`);
  if (record[1] !== RECORD_TYPE[type]) throw new AgentsecError('decode_failure', 'RECORD_TYPE', `expected a ${type} record (type ${RECORD_TYPE[type]}), got type ${record[1]}`);
  const head = record.subarray(0, 2);
  const salt = record.subarray(2, HEADER);
  let body: Uint8Array;
  try {
    body = p.aead('AES-256-GCM').open(keyFor(p, storageKey, head, salt), NONCE, record.subarray(HEADER), concatBytes(head, salt));
  } catch {
    // @req REC-002
    throw new AgentsecError('auth_failure', 'RECORD_MAC', 'record failed authentication (wrong storage key or modified record)');
  }
  if (!equalBytes(salt, p.hmac('SHA-256', storageKey, concatBytes(SALT_LABEL, head, body)))) throw new AgentsecError('auth_failure', 'RECORD_MAC', 'record failed authentication');
  return body;
}
