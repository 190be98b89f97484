/**
 * Noise protocol names (rev 34 section 8): `Noise_<pattern><modifiers>_<DH>_<cipher>_<hash>`.
 * Parsed strictly: a name that does not follow section 8 is a decode_failure; a well-formed name
 * naming something this implementation does not support (448, an unknown algorithm, ...) is `unsupported`.
 */
import { AgentsecError } from '../errors.js';
import { buildPattern, type HandshakePattern } from './patterns.js';

export type DhName = '25519';
export type KemAlgName = 'MLKEM768';
export type CipherName = 'ChaChaPoly' | 'AESGCM';
export type NoiseHashName = 'SHA256' | 'SHA512' | 'BLAKE2s' | 'BLAKE2b';

export const DH_NAMES: readonly DhName[] = ['25519'];
export const CIPHER_NAMES: readonly CipherName[] = ['ChaChaPoly', 'AESGCM'];
export const NOISE_HASH_NAMES: readonly NoiseHashName[] = ['SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b'];
export const KEM_ALG_NAMES: readonly KemAlgName[] = ['MLKEM768'];

export interface NoiseProtocol {
  readonly name: string;
  readonly pattern: HandshakePattern;
  readonly dh: DhName;
  /** Present exactly when the pattern carries the hfs modifier. */
  readonly kem?: KemAlgName;
  readonly cipher: CipherName;
  readonly hash: NoiseHashName;
}

/** Section 8: every name section holds only A-Z a-z 0-9 + and /. */
const SECTION = /^[A-Za-z0-9+/]+$/;
/** Section 8.2: an algorithm name is alphanumeric or '/'. */
const ALGORITHM = /^[A-Za-z0-9/]+$/;
/** Section 8.1: base pattern uppercase alphanumeric; modifiers lowercase alphanumeric starting with a letter. */
const PATTERN_SECTION = /^([A-Z0-9]+)((?:[a-z][a-z0-9]*)(?:\+[a-z][a-z0-9]*)*)?$/;

const bad = (reason: string, msg: string): never => {
  throw new AgentsecError('decode_failure', reason, msg);
};

export function parseProtocolName(name: unknown): NoiseProtocol {
  if (typeof name !== 'string') return bad('BAD_PROTOCOL_NAME', 'protocol name must be a string');
  // @req NOISE-001: at most 255 bytes.
  if (Buffer.byteLength(name, 'utf8') > 255) bad('BAD_PROTOCOL_NAME', 'protocol name longer than 255 bytes');
  const parts = name.split('_');
  if (parts.length !== 5 || parts[0] !== 'Noise') {
    bad('BAD_PROTOCOL_NAME', `"${name}" is not Noise_<pattern>_<DH>_<cipher>_<hash>`);
  }
  const [, patternSec, dhSec, cipherSec, hashSec] = parts as [string, string, string, string, string];
  for (const sec of [patternSec, dhSec, cipherSec, hashSec]) {
    // @req NOISE-002: name sections only [A-Za-z0-9+/] -- e.g. "ML-KEM-768" is refused.
    if (!SECTION.test(sec)) bad('BAD_PROTOCOL_NAME', `name section "${sec}" may hold only A-Z, a-z, 0-9, "+" and "/"`);
  }
  for (const sec of [dhSec, cipherSec, hashSec]) {
    for (const alg of sec.split('+')) if (!ALGORITHM.test(alg)) bad('BAD_PROTOCOL_NAME', `empty or malformed algorithm name in "${sec}"`);
  }
  const m = PATTERN_SECTION.exec(patternSec);
  if (!m) return bad('BAD_PROTOCOL_NAME', `pattern section "${patternSec}": uppercase pattern name, then lowercase modifiers joined by "+"`);
  const base = m[1]!;
  const modifiers = m[2] ? m[2].split('+') : [];
  // @req NOISE-003: modifiers (fallback, hfs, psk) are sorted alphabetically, without repeats.
  for (let i = 1; i < modifiers.length; i++) {
    if (modifiers[i - 1]! >= modifiers[i]!) bad('BAD_PROTOCOL_NAME', `modifiers must be sorted alphabetically without repeats: "${m[2]}"`);
  }

  const dhParts = dhSec.split('+');
  const dh = dhParts[0]!;
  // @req NOISE-004
  if (dh === '448') throw new AgentsecError('unsupported', 'UNSUPPORTED_DH', 'the 448 DH functions are not supported');
  if (dh !== '25519') throw new AgentsecError('unsupported', 'UNSUPPORTED_DH', `unknown DH functions "${dh}"`);
  const hfs = modifiers.includes('hfs');
  // @req NOISE-043: hfs names its KEM after the DH name ("25519+MLKEM768"), and only hfs may.
  let kem: KemAlgName | undefined;
  if (hfs) {
    if (dhParts.length !== 2) bad('BAD_PROTOCOL_NAME', 'hfs needs a KEM name after the DH name: "25519+MLKEM768"');
    const k = dhParts[1]!;
    if (k !== 'MLKEM768') throw new AgentsecError('unsupported', 'UNSUPPORTED_KEM', `unknown KEM "${k}" (supported: MLKEM768)`);
    kem = k;
  } else if (dhParts.length !== 1) {
    bad('BAD_PROTOCOL_NAME', `DH section "${dhSec}" names several algorithms without a modifier that calls for them`);
  }
  if (!(CIPHER_NAMES as readonly string[]).includes(cipherSec)) {
    throw new AgentsecError('unsupported', 'UNSUPPORTED_CIPHER', `unknown cipher functions "${cipherSec}"`);
  }
  if (!(NOISE_HASH_NAMES as readonly string[]).includes(hashSec)) {
    throw new AgentsecError('unsupported', 'UNSUPPORTED_HASH', `unknown hash functions "${hashSec}"`);
  }
  const pattern = buildPattern(base, modifiers);
  return {
    name,
    pattern,
    dh: '25519',
    ...(kem ? { kem } : {}),
    cipher: cipherSec as CipherName,
    hash: hashSec as NoiseHashName,
  };
}
