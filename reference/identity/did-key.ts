/**
 * did:key for the two identity keys (W3C CCG did:key method): "did:key:" + multibase base58btc
 * ('z') of varint(multicodec) || raw public key. ed25519-pub is 0xed (varint ed 01), x25519-pub
 * is 0xec (varint ec 01), so Ed25519 DIDs start with z6Mk and X25519 DIDs with z6LS.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { abytes, concatBytes } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { decodeMultibaseBase58btc, multibaseBase58btc, varintDecode, varintEncode } from './multibase.js';

export type DidKeyType = 'Ed25519' | 'X25519';

export const MULTICODEC = { Ed25519: 0xed, X25519: 0xec } as const;

export interface DecodedDidKey {
  readonly did: string;
  readonly type: DidKeyType;
  readonly publicKey: Uint8Array;
  /** The multibase string after "did:key:", also the fragment of its verification method. */
  readonly multibase: string;
}

const DID_KEY_PREFIX = 'did:key:';
// did:key identifiers are short; a bound stops pathological input before any decoding work.
const MAX_DID_LENGTH = 128;

/** The multibase (Multikey) form of a public key: 'z' + base58btc(varint(codec) || key). */
export function publicKeyMultibase(type: DidKeyType, publicKey: Uint8Array): string {
  abytes(publicKey, `${type} public key`, 32);
  return multibaseBase58btc(concatBytes(varintEncode(MULTICODEC[type]), publicKey)); // @req ID-001
}

export function encodeDidKey(type: DidKeyType, publicKey: Uint8Array): string {
  if (type === 'Ed25519') checkEd25519Point(publicKey);
  return DID_KEY_PREFIX + publicKeyMultibase(type, publicKey);
}

/** Decodes a Multikey string ('z6Mk...' / 'z6LS...') into its key type and raw key. */
export function decodePublicKeyMultibase(mb: string, what = 'publicKeyMultibase'): { type: DidKeyType; publicKey: Uint8Array } {
  const raw = decodeMultibaseBase58btc(mb, what);
  const [codec, n] = varintDecode(raw, 0, what);
  const type: DidKeyType | undefined = codec === MULTICODEC.Ed25519 ? 'Ed25519' : codec === MULTICODEC.X25519 ? 'X25519' : undefined;
  if (!type) {
    // @req ID-002
    throw new AgentsecError('unsupported', 'DID_KEY_CODEC', `${what}: multicodec 0x${codec.toString(16)} is not ed25519-pub (0xed) or x25519-pub (0xec)`);
  }
  const publicKey = raw.subarray(n);
  if (publicKey.length !== 32) {
    throw new AgentsecError('decode_failure', 'DID_KEY_LENGTH', `${what}: ${type} public key expected 32 bytes, got ${publicKey.length}`);
  }
  if (type === 'Ed25519') checkEd25519Point(publicKey);
  // Re-encoding must give the same string: refuses non-canonical base58 (e.g. extra leading '1's).
  if (publicKeyMultibase(type, publicKey) !== mb) {
    throw new AgentsecError('decode_failure', 'DID_KEY_NONCANONICAL', `${what}: not the canonical encoding of its key`);
  }
  return { type, publicKey: new Uint8Array(publicKey) };
}

/** Parses "did:key:<mb>" (no path, query or fragment). */
export function decodeDidKey(did: unknown): DecodedDidKey {
  if (typeof did !== 'string') throw new AgentsecError('decode_failure', 'DID_NOT_STRING', `DID expected a string, got ${typeof did}`);
  if (did.length > MAX_DID_LENGTH) throw new AgentsecError('decode_failure', 'DID_TOO_LONG', `DID longer than ${MAX_DID_LENGTH} characters`);
  if (!did.startsWith(DID_KEY_PREFIX)) {
    throw new AgentsecError('unsupported', 'DID_METHOD', `only did:key DIDs are supported, got ${JSON.stringify(did.slice(0, 16))}...`);
  }
  const mb = did.slice(DID_KEY_PREFIX.length);
  if (/[#?/:]/.test(mb)) throw new AgentsecError('decode_failure', 'DID_SYNTAX', 'a did:key DID has no version, path, query or fragment');
  const { type, publicKey } = decodePublicKeyMultibase(mb, 'did:key');
  return { did, type, publicKey, multibase: mb };
}

/** Parses a DID URL "did:key:<mb>#<fragment>" into the DID and the fragment. */
export function splitDidUrl(url: unknown, what: string): { did: string; fragment: string } {
  if (typeof url !== 'string') throw new AgentsecError('decode_failure', 'DID_URL', `${what}: expected a DID URL string`);
  const i = url.indexOf('#');
  if (i < 0 || i === url.length - 1) throw new AgentsecError('decode_failure', 'DID_URL', `${what}: expected "<did>#<fragment>", got no fragment`);
  return { did: url.slice(0, i), fragment: url.slice(i + 1) };
}

function checkEd25519Point(publicKey: Uint8Array): void {
  try {
    ed25519.Point.fromBytes(publicKey);
  } catch {
    throw new AgentsecError('decode_failure', 'DID_KEY_POINT', 'Ed25519 public key is not a valid curve point encoding');
  }
}
