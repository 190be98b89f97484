/**
 * The envelope record (spec/envelope.md "Format"): a version byte, the wrapped data key with the KEK
 * id and version beside it, a per-payload salt, a key commitment, the nonce and the AEAD payload.
 * Pure encoding and decoding; no cryptography here.
 */
import { concatBytes, u16be, u32be, utf8 } from '../bytes.js';
import { AgentsecError } from '../errors.js';

export const ENVELOPE_VERSION = 0x01;
/** Suite 0x01: AES-256-GCM payload, HKDF-SHA-256 key derivation and commitment. */
export const SUITE_AES256GCM_HKDF_SHA256 = 0x01;
export const SALT_LENGTH = 32;
export const CONTEXT_DIGEST_LENGTH = 32;
export const COMMIT_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
export const MAX_KEK_ID_LENGTH = 255;
export const MAX_WRAPPED_LENGTH = 4096;
/** Context keys starting with this prefix are reserved for the KEK providers' own bindings. */
export const RESERVED_CONTEXT_PREFIX = 'agentsec:';

export interface Envelope {
  readonly version: number;
  readonly suite: number;
  readonly kekId: string;
  /** SHA-256 digest of the canonical encryption context (what the KEK wrap is bound to). */
  readonly contextDigest: Uint8Array;
  readonly kekVersion: number;
  readonly wrapped: Uint8Array;
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
  readonly nonce: Uint8Array;
  /** AEAD ciphertext || 16-byte tag. */
  readonly payload: Uint8Array;
}

export type EncryptionContext = Readonly<Record<string, string>>;

const decodeErr = (reason: string, message: string): AgentsecError => new AgentsecError('decode_failure', reason, message);

function isWellFormedUtf16(s: string): boolean {
  // A lone surrogate has no UTF-8 encoding: two distinct strings would encode to the same bytes.
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * Canonical, length-prefixed encoding of an encryption context: u32(count), then for each pair in
 * ascending byte order of the UTF-8 key, lp(key) || lp(value). Unlike a plain concatenation,
 * {a: "bc"} and {ab: "c"} encode differently.
 */
export function canonicalContext(context: EncryptionContext, allowReserved = false): Uint8Array {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw decodeErr('BAD_CONTEXT', '"context" expected an object of string values');
  }
  const pairs: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of Object.entries(context)) {
    if (typeof v !== 'string') throw decodeErr('BAD_CONTEXT', `"context.${k}" expected a string`);
    if (k.length === 0) throw decodeErr('BAD_CONTEXT', 'context keys must be non-empty');
    if (!isWellFormedUtf16(k) || !isWellFormedUtf16(v)) throw decodeErr('BAD_CONTEXT', 'context keys and values must be well-formed Unicode');
    // @req ENV-012
    if (!allowReserved && k.startsWith(RESERVED_CONTEXT_PREFIX)) {
      throw new AgentsecError('policy_reject', 'RESERVED_CONTEXT_KEY', `context key "${k}" uses the reserved prefix "${RESERVED_CONTEXT_PREFIX}"`);
    }
    pairs.push([utf8(k), utf8(v)]);
  }
  pairs.sort((a, b) => compareBytes(a[0], b[0]));
  const parts: Uint8Array[] = [u32be(pairs.length)];
  for (const [k, v] of pairs) parts.push(u32be(k.length), k, u32be(v.length), v);
  return concatBytes(...parts);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The authenticated data of the payload AEAD: every header field that a rewrap keeps (version,
 * suite, context digest, salt, commitment, nonce) and the canonical context. The wrapped key and KEK version are
 * left out so a rewrap leaves the payload bytes untouched; they are authenticated by the KEK
 * provider's wrap instead (ENV-007), and a wrong data key fails the commitment.
 */
const PAYLOAD_AAD_LABEL = utf8('agentsec/envelope/v1 payload');

export function payloadAad(e: Pick<Envelope, 'version' | 'suite' | 'contextDigest' | 'salt' | 'commitment' | 'nonce'>, canonicalCtx: Uint8Array): Uint8Array {
  return concatBytes(PAYLOAD_AAD_LABEL, new Uint8Array([e.version, e.suite]), e.contextDigest, e.salt, e.commitment, e.nonce, canonicalCtx);
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  const kekId = utf8(e.kekId);
  if (kekId.length === 0 || kekId.length > MAX_KEK_ID_LENGTH) throw decodeErr('BAD_KEK_ID', `KEK id must be 1..${MAX_KEK_ID_LENGTH} bytes, got ${kekId.length}`);
  if (!Number.isSafeInteger(e.kekVersion) || e.kekVersion < 1 || e.kekVersion > 0xffffffff) throw decodeErr('BAD_KEK_VERSION', `KEK version must be 1..2^32-1, got ${e.kekVersion}`);
  if (e.wrapped.length === 0 || e.wrapped.length > MAX_WRAPPED_LENGTH) throw decodeErr('BAD_WRAPPED', `wrapped key must be 1..${MAX_WRAPPED_LENGTH} bytes, got ${e.wrapped.length}`);
  return concatBytes(
    new Uint8Array([e.version, e.suite, kekId.length]),
    kekId,
    e.contextDigest,
    u32be(e.kekVersion),
    u16be(e.wrapped.length),
    e.wrapped,
    e.salt,
    e.commitment,
    e.nonce,
    e.payload,
  );
}

/** Parses the record; every field is bounds-checked, so truncation is a decode_failure, never a crash. */
/** Like decodeEnvelope, but the byte fields are views into `bytes` (for a caller that only reads them). */
export function decodeEnvelopeView(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw decodeErr('NOT_BYTES', '"envelope" expected bytes');
  if (bytes.length < 1) throw decodeErr('ENV_TRUNCATED', 'envelope is empty');
  const version = bytes[0]!;
  // @req ENV-003
  if (version < ENVELOPE_VERSION) throw decodeErr('ENV_VERSION_TOO_OLD', `envelope version ${version} is older than any this implementation reads (1)`);
  if (version > ENVELOPE_VERSION) throw new AgentsecError('unsupported', 'ENV_VERSION_TOO_NEW', `envelope version ${version} is newer than this implementation reads (1)`);
  let off = 1;
  const take = (n: number, what: string): Uint8Array => {
    if (off + n > bytes.length) throw decodeErr('ENV_TRUNCATED', `envelope truncated in ${what} (need ${off + n} bytes, have ${bytes.length})`);
    const out = bytes.subarray(off, off + n);
    off += n;
    return out;
  };
  const suite = take(1, 'suite')[0]!;
  if (suite !== SUITE_AES256GCM_HKDF_SHA256) throw new AgentsecError('unsupported', 'ENV_UNKNOWN_SUITE', `envelope suite ${suite} is not supported`);
  const idLen = take(1, 'KEK id length')[0]!;
  if (idLen === 0) throw decodeErr('BAD_KEK_ID', 'KEK id is empty');
  const idBytes = take(idLen, 'KEK id');
  let kekId: string;
  try {
    kekId = new TextDecoder('utf-8', { fatal: true }).decode(idBytes);
  } catch {
    throw decodeErr('BAD_KEK_ID', 'KEK id is not UTF-8');
  }
  const contextDigest = take(CONTEXT_DIGEST_LENGTH, 'context digest');
  const vb = take(4, 'KEK version');
  const kekVersion = new DataView(vb.buffer, vb.byteOffset, 4).getUint32(0, false);
  if (kekVersion === 0) throw decodeErr('BAD_KEK_VERSION', 'KEK version 0 is not valid');
  const wl = take(2, 'wrapped key length');
  const wrappedLen = (wl[0]! << 8) | wl[1]!;
  if (wrappedLen === 0 || wrappedLen > MAX_WRAPPED_LENGTH) throw decodeErr('BAD_WRAPPED', `wrapped key length ${wrappedLen} out of range`);
  const wrapped = take(wrappedLen, 'wrapped key');
  const salt = take(SALT_LENGTH, 'salt');
  const commitment = take(COMMIT_LENGTH, 'commitment');
  const nonce = take(NONCE_LENGTH, 'nonce');
  const payload = bytes.subarray(off);
  if (payload.length < TAG_LENGTH) throw decodeErr('ENV_TRUNCATED', `envelope payload shorter than the ${TAG_LENGTH}-byte tag`);
  return { version, suite, kekId, contextDigest, kekVersion, wrapped, salt, commitment, nonce, payload };
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const e = decodeEnvelopeView(bytes);
  return { ...e, contextDigest: e.contextDigest.slice(), wrapped: e.wrapped.slice(), salt: e.salt.slice(), commitment: e.commitment.slice(), nonce: e.nonce.slice(), payload: e.payload.slice() };
}
