/**
 * Wire format of a Double Ratchet message (spec/double-ratchet.md "Message"):
 * u8 version = 1 || u8 type = 2 || EncodeEC(DHs) (33) || u32 PN || u32 N || AEAD ciphertext.
 * The header is fixed-length, so CONCAT(AD, header) = lp(AD) || header parses uniquely (R-DR-4).
 */
import { concatBytes, u32be } from '../../bytes.js';
import { AgentsecError } from '../../errors.js';
import { decodeKey, encodeKey, lp } from '../../records/encoding.js';

export const WIRE_VERSION = 1;
export const TYPE_INITIAL = 1;
export const TYPE_RATCHET = 2;
export const HEADER_LENGTH = 2 + 33 + 4 + 4;
const TAG_LENGTH = 16;

export interface Header {
  readonly dh: Uint8Array;
  readonly pn: number;
  readonly n: number;
}

export function encodeHeader(h: Header): Uint8Array {
  return concatBytes(new Uint8Array([WIRE_VERSION, TYPE_RATCHET]), encodeKey('X25519', h.dh), u32be(h.pn), u32be(h.n));
}

export function decodeMessage(msg: Uint8Array): { header: Header; headerBytes: Uint8Array; ciphertext: Uint8Array } {
  if (msg.length < HEADER_LENGTH + TAG_LENGTH) throw new AgentsecError('decode_failure', 'TRUNCATED', `ratchet message expected at least ${HEADER_LENGTH + TAG_LENGTH} bytes, got ${msg.length}`);
  if (msg[0] !== WIRE_VERSION) throw new AgentsecError('unsupported', 'WIRE_VERSION', `ratchet message version ${msg[0]} is not supported (expected ${WIRE_VERSION})`);
  if (msg[1] !== TYPE_RATCHET) throw new AgentsecError('decode_failure', 'MESSAGE_TYPE', `expected a ratchet message (type ${TYPE_RATCHET}), got type ${msg[1]}`);
  const dh = decodeKey('X25519', msg.subarray(2, 35), 'header.dh');
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  return {
    header: { dh, pn: view.getUint32(35, false), n: view.getUint32(39, false) },
    headerBytes: msg.slice(0, HEADER_LENGTH),
    ciphertext: msg.subarray(HEADER_LENGTH),
  };
}

/**
 * The AEAD associated data: lp(session AD) || header [|| prefix]. `prefix` is the initial-message
 * prefix when the ratchet message travels inside an initial message, so every prefix byte is
 * authenticated by the message it carries (X3DH-015).
 */
export function messageAd(ad: Uint8Array, headerBytes: Uint8Array, prefix?: Uint8Array): Uint8Array {
  // @req DR-004
  return prefix ? concatBytes(lp(ad), headerBytes, prefix) : concatBytes(lp(ad), headerBytes);
}
