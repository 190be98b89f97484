/**
 * The X3DH key agreement (x3dh.txt §2-3) under the agentsec/1 profile, and the KDF shared with
 * PQXDH. The order of DH outputs is normative (R-X3DH-7); the secret input of the KDF is
 * F || DH1 || DH2 || DH3 [|| DH4] [|| SS] with F = 32 bytes of 0xFF (R-X3DH-3, R-PQXDH-3).
 */
import { concatBytes, utf8, wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { encodeKey } from '../records/encoding.js';

export type HandshakeKind = 'x3dh' | 'pqxdh';

/** Info strings: this project's own, versioned, and distinct per protocol (spec/x3dh.md X3DH-004). */
export const X3DH_INFO = 'agentsec/1 X3DH CURVE25519 SHA-256';
export const PQXDH_INFO = 'agentsec/1 PQXDH CURVE25519 SHA-256 ML-KEM-1024';

const F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);

/** SK = HKDF-SHA256(ikm = F || km, salt = 0^32, info, 32). */
export function handshakeKdf(p: CryptoProvider, kind: HandshakeKind, km: Uint8Array[]): Uint8Array {
  // @req X3DH-004
  const ikm = concatBytes(F, ...km);
  const sk = p.hkdf('SHA-256', ikm, ZERO_SALT, utf8(kind === 'x3dh' ? X3DH_INFO : PQXDH_INFO), 32);
  wipe(ikm);
  return sk;
}

/** AD = EncodeKey(IK_A sig) || EncodeKey(IK_A dh) || EncodeKey(IK_B sig) || EncodeKey(IK_B dh). */
export function associatedData(initiator: { signing: Uint8Array; agreement: Uint8Array }, responder: { signing: Uint8Array; agreement: Uint8Array }): Uint8Array {
  // @req X3DH-005
  return concatBytes(
    encodeKey('Ed25519', initiator.signing),
    encodeKey('X25519', initiator.agreement),
    encodeKey('Ed25519', responder.signing),
    encodeKey('X25519', responder.agreement),
  );
}

export interface InitiatorKeys {
  identityDh(pub: Uint8Array): Uint8Array;
  ephemeralPrivate: Uint8Array;
}

/** Initiator side: DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B). */
export function initiatorDhs(p: CryptoProvider, k: InitiatorKeys, ikB: Uint8Array, spkB: Uint8Array, opkB: Uint8Array | undefined): Uint8Array[] {
  // @req X3DH-006
  const out = [k.identityDh(spkB), p.x25519.dh(k.ephemeralPrivate, ikB), p.x25519.dh(k.ephemeralPrivate, spkB)];
  if (opkB) out.push(p.x25519.dh(k.ephemeralPrivate, opkB));
  return out;
}

/** Responder side, the same four values from the other private keys. */
export function responderDhs(
  p: CryptoProvider,
  k: { identityDh(pub: Uint8Array): Uint8Array; spkPrivate: Uint8Array; opkPrivate: Uint8Array | undefined },
  ikA: Uint8Array,
  ekA: Uint8Array,
): Uint8Array[] {
  const out = [p.x25519.dh(k.spkPrivate, ikA), k.identityDh(ekA), p.x25519.dh(k.spkPrivate, ekA)];
  if (k.opkPrivate) out.push(p.x25519.dh(k.opkPrivate, ekA));
  return out;
}
