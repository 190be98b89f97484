/**
 * The initial (prekey) message of X3DH / PQXDH (R-X3DH-10, R-PQXDH-10), unambiguous:
 * u8 version = 1 || u8 type = 1 || fields (tag, u16 length, value) in order:
 *   0x01 u8 protocol (1 X3DH, 2 PQXDH)   0x02 u8 aead (1 AES-256-GCM, 2 ChaCha20-Poly1305)
 *   0x03 EncodeKey(IK_A sig)  0x04 EncodeKey(IK_A dh)  0x05 EncodeKey(EK_A)  0x06 u32 SPK id
 *   0x07 u32 OPK id (optional)   0x08 u32 PQPK id || KEM ciphertext (PQXDH only)
 *   0x09 the first Double Ratchet message
 * The prefix (fields 0x01-0x08) is appended to the AD of the ratchet message it carries, so any
 * change to any byte fails decryption, also when the session already exists (a repeated prefix).
 */
import { concatBytes, u32be } from '../bytes.js';
import type { AeadName } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { decodeKey, encodeKey, field, FieldReader, u32, u8 } from '../records/encoding.js';
import { TYPE_INITIAL, WIRE_VERSION } from './ratchet/header.js';
import type { HandshakeKind } from './x3dh.js';

export interface InitialPrefix {
  readonly kind: HandshakeKind;
  readonly aead: AeadName;
  readonly identitySigning: Uint8Array;
  readonly identityAgreement: Uint8Array;
  readonly baseKey: Uint8Array;
  readonly signedPrekeyId: number;
  readonly oneTimePrekeyId?: number;
  readonly pq?: { readonly id: number; readonly ciphertext: Uint8Array };
}

export interface InitialMessage extends InitialPrefix {
  readonly ratchetMessage: Uint8Array;
}

const KIND_BYTE: Record<HandshakeKind, number> = { x3dh: 1, pqxdh: 2 };
export const AEAD_BYTE: Record<AeadName, number> = { 'AES-256-GCM': 1, 'ChaCha20-Poly1305': 2 };
const KEM_CT_LENGTH = 1568;

export function aeadFromByte(b: number): AeadName {
  const name = (Object.keys(AEAD_BYTE) as AeadName[]).find((n) => AEAD_BYTE[n] === b);
  if (!name) throw new AgentsecError('unsupported', 'UNKNOWN_AEAD', `AEAD id ${b} is unknown`);
  return name;
}

/** The prefix bytes: everything of the initial message before field 0x09 (also the AD suffix of the ratchet message it carries). */
export function encodeInitialPrefix(m: InitialPrefix): Uint8Array {
  const parts = [
    new Uint8Array([WIRE_VERSION, TYPE_INITIAL]),
    field(0x01, new Uint8Array([KIND_BYTE[m.kind]])),
    field(0x02, new Uint8Array([AEAD_BYTE[m.aead]])),
    field(0x03, encodeKey('Ed25519', m.identitySigning)),
    field(0x04, encodeKey('X25519', m.identityAgreement)),
    field(0x05, encodeKey('X25519', m.baseKey)),
    field(0x06, u32be(m.signedPrekeyId)),
  ];
  if (m.oneTimePrekeyId !== undefined) parts.push(field(0x07, u32be(m.oneTimePrekeyId)));
  if (m.pq) parts.push(field(0x08, concatBytes(u32be(m.pq.id), m.pq.ciphertext)));
  return concatBytes(...parts);
}

export function encodeInitial(m: InitialMessage): Uint8Array {
  return concatBytes(encodeInitialPrefix(m), field(0x09, m.ratchetMessage));
}

export function isInitial(msg: Uint8Array): boolean {
  return msg.length >= 2 && msg[0] === WIRE_VERSION && msg[1] === TYPE_INITIAL;
}

export function decodeInitial(msg: Uint8Array): InitialMessage {
  if (msg.length < 2 || msg[0] !== WIRE_VERSION || msg[1] !== TYPE_INITIAL) throw new AgentsecError('decode_failure', 'MESSAGE_TYPE', 'not an initial message');
  const r = new FieldReader(msg, 'initial message', 2);
  const kindByte = u8(r.read(0x01, 'protocol'), 'protocol');
  const kind: HandshakeKind | undefined = kindByte === 1 ? 'x3dh' : kindByte === 2 ? 'pqxdh' : undefined;
  if (!kind) throw new AgentsecError('unsupported', 'UNKNOWN_PROTOCOL', `initial message protocol ${kindByte} is unknown`);
  const aead = aeadFromByte(u8(r.read(0x02, 'aead'), 'aead'));
  const identitySigning = decodeKey('Ed25519', r.read(0x03, 'identity signing key'), 'identity signing key');
  const identityAgreement = decodeKey('X25519', r.read(0x04, 'identity agreement key'), 'identity agreement key');
  const baseKey = decodeKey('X25519', r.read(0x05, 'base key'), 'base key');
  const signedPrekeyId = u32(r.read(0x06, 'signed prekey id'), 'signed prekey id');
  const opk = r.optional(0x07, 'one-time prekey id');
  const pqv = r.optional(0x08, 'pq prekey');
  if (kind === 'pqxdh' && !pqv) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'a PQXDH initial message must carry a KEM ciphertext');
  if (kind === 'x3dh' && pqv) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'an X3DH initial message carries no KEM ciphertext');
  if (pqv && pqv.length !== 4 + KEM_CT_LENGTH) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"pq prekey" expected ${4 + KEM_CT_LENGTH} bytes, got ${pqv.length}`);
  const ratchetMessage = r.read(0x09, 'ratchet message').slice();
  r.end();
  return {
    kind,
    aead,
    identitySigning,
    identityAgreement,
    baseKey,
    signedPrekeyId,
    ...(opk ? { oneTimePrekeyId: u32(opk, 'one-time prekey id') } : {}),
    ...(pqv ? { pq: { id: u32(pqv.subarray(0, 4), 'pq prekey id'), ciphertext: pqv.slice(4) } } : {}),
    ratchetMessage,
  };
}
