/**
 * Prekey bundles (x3dh.txt §3.2-3.3, pqxdh.txt §3.2-3.3) under the agentsec/1 profile: every
 * prekey, one-time ones included, carries an Ed25519 signature by the identity signing key over
 * its role, id, key and both identity keys, and the bundle is parsed strictly. So every byte of a
 * bundle is authenticated or checked, and any corruption is refused before a session exists.
 *
 * Layout (spec/x3dh.md "Bundle"): u8 version = 1, then fields (tag, u16 length, value) in order:
 *   0x01 EncodeKey(Ed25519 IK_sig)  0x02 EncodeKey(X25519 IK_dh)
 *   0x03 u32 id || EncodeKey(SPK)   0x04 Sig(SPK)
 *   0x05 u32 id || EncodeKey(OPK)   0x06 Sig(OPK)            (optional pair)
 *   0x07 u8 pqkind || u32 id || EncodeKey(ML-KEM-1024 PQPK)   0x08 Sig(PQPK)   (optional pair)
 */
import { concatBytes, u32be, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { decodeKey, encodeKey, field, FieldReader, lp, u32 } from '../records/encoding.js';

export const BUNDLE_VERSION = 1;

/** What a PQ prekey is: the responder needs to know whether to delete it after use (R-PQXDH-13). */
export const PQ_KIND = { oneTime: 1, lastResort: 2 } as const;
export type PqKind = keyof typeof PQ_KIND;

/** Roles in the signed message, so a signature for one role never verifies for another. */
const ROLE = { signedPrekey: 1, oneTimePrekey: 2, pqPrekey: 3 } as const;
const SIGNATURE_LABEL = utf8('agentsec/1 prekey');

export interface Bundle {
  readonly identitySigning: Uint8Array;
  readonly identityAgreement: Uint8Array;
  readonly signedPrekey: { readonly id: number; readonly publicKey: Uint8Array; readonly signature: Uint8Array };
  readonly oneTimePrekey?: { readonly id: number; readonly publicKey: Uint8Array; readonly signature: Uint8Array };
  readonly pqPrekey?: { readonly id: number; readonly kind: PqKind; readonly publicKey: Uint8Array; readonly signature: Uint8Array };
}

function ecValue(id: number, pub: Uint8Array): Uint8Array {
  return concatBytes(u32be(id), encodeKey('X25519', pub));
}

function pqValue(kind: PqKind, id: number, pub: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([PQ_KIND[kind]]), u32be(id), encodeKey('ML-KEM-1024', pub));
}

/** The bytes an identity signs for one prekey: lp(label, u8 role, value, EncodeKey(IK_sig), EncodeKey(IK_dh)). */
export function prekeySignedMessage(role: keyof typeof ROLE, value: Uint8Array, identitySigning: Uint8Array, identityAgreement: Uint8Array): Uint8Array {
  // @req X3DH-002
  return lp(SIGNATURE_LABEL, new Uint8Array([ROLE[role]]), value, encodeKey('Ed25519', identitySigning), encodeKey('X25519', identityAgreement));
}

export interface UnsignedBundle {
  identitySigning: Uint8Array;
  identityAgreement: Uint8Array;
  signedPrekey: { id: number; publicKey: Uint8Array };
  oneTimePrekey?: { id: number; publicKey: Uint8Array };
  pqPrekey?: { id: number; kind: PqKind; publicKey: Uint8Array };
}

/** The messages `signBundle` will ask the identity to sign. */
export function bundleSignedMessages(b: UnsignedBundle): Uint8Array[] {
  const out = [prekeySignedMessage('signedPrekey', ecValue(b.signedPrekey.id, b.signedPrekey.publicKey), b.identitySigning, b.identityAgreement)];
  if (b.oneTimePrekey) out.push(prekeySignedMessage('oneTimePrekey', ecValue(b.oneTimePrekey.id, b.oneTimePrekey.publicKey), b.identitySigning, b.identityAgreement));
  if (b.pqPrekey) out.push(prekeySignedMessage('pqPrekey', pqValue(b.pqPrekey.kind, b.pqPrekey.id, b.pqPrekey.publicKey), b.identitySigning, b.identityAgreement));
  return out;
}

/** Signs every prekey of a bundle with `sign` (the identity's Ed25519 key). */
export function signBundle(b: UnsignedBundle, sign: (m: Uint8Array) => Uint8Array): Bundle {
  const s = (role: keyof typeof ROLE, value: Uint8Array): Uint8Array => sign(prekeySignedMessage(role, value, b.identitySigning, b.identityAgreement));
  return {
    identitySigning: b.identitySigning,
    identityAgreement: b.identityAgreement,
    signedPrekey: { ...b.signedPrekey, signature: s('signedPrekey', ecValue(b.signedPrekey.id, b.signedPrekey.publicKey)) },
    ...(b.oneTimePrekey ? { oneTimePrekey: { ...b.oneTimePrekey, signature: s('oneTimePrekey', ecValue(b.oneTimePrekey.id, b.oneTimePrekey.publicKey)) } } : {}),
    ...(b.pqPrekey ? { pqPrekey: { ...b.pqPrekey, signature: s('pqPrekey', pqValue(b.pqPrekey.kind, b.pqPrekey.id, b.pqPrekey.publicKey)) } } : {}),
  };
}

export function encodeBundle(b: Bundle): Uint8Array {
  const parts = [
    new Uint8Array([BUNDLE_VERSION]),
    field(0x01, encodeKey('Ed25519', b.identitySigning)),
    field(0x02, encodeKey('X25519', b.identityAgreement)),
    field(0x03, ecValue(b.signedPrekey.id, b.signedPrekey.publicKey)),
    field(0x04, b.signedPrekey.signature),
  ];
  if (b.oneTimePrekey) parts.push(field(0x05, ecValue(b.oneTimePrekey.id, b.oneTimePrekey.publicKey)), field(0x06, b.oneTimePrekey.signature));
  if (b.pqPrekey) parts.push(field(0x07, pqValue(b.pqPrekey.kind, b.pqPrekey.id, b.pqPrekey.publicKey)), field(0x08, b.pqPrekey.signature));
  return concatBytes(...parts);
}

function decodeEc(v: Uint8Array, name: string): { id: number; publicKey: Uint8Array } {
  if (v.length !== 37) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected 37 bytes, got ${v.length}`);
  return { id: u32(v.subarray(0, 4), `${name}.id`), publicKey: decodeKey('X25519', v.subarray(4), name) };
}

function signature(v: Uint8Array, name: string): Uint8Array {
  if (v.length !== 64) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected 64 bytes, got ${v.length}`);
  return v.slice();
}

/**
 * Parses and verifies a bundle: strict layout, known key types, every signature valid.
 * Throws decode_failure / unsupported / auth_failure (BAD_SIGNATURE); never returns an unverified bundle.
 */
export function decodeBundle(p: CryptoProvider, bytes: Uint8Array): Bundle {
  // @req X3DH-001
  if (bytes.length === 0) throw new AgentsecError('decode_failure', 'TRUNCATED', 'bundle is empty');
  if (bytes[0] !== BUNDLE_VERSION) throw new AgentsecError('unsupported', 'BUNDLE_VERSION', `bundle version ${bytes[0]} is not supported (expected ${BUNDLE_VERSION})`);
  const r = new FieldReader(bytes, 'bundle', 1);
  const identitySigning = decodeKey('Ed25519', r.read(0x01, 'identity signing key'), 'identity signing key');
  const identityAgreement = decodeKey('X25519', r.read(0x02, 'identity agreement key'), 'identity agreement key');
  const spkValue = r.read(0x03, 'signed prekey');
  const spk = { ...decodeEc(spkValue, 'signed prekey'), signature: signature(r.read(0x04, 'signed prekey signature'), 'signed prekey signature') };
  const checks: [keyof typeof ROLE, Uint8Array, Uint8Array][] = [['signedPrekey', spkValue, spk.signature]];
  let oneTimePrekey: Bundle['oneTimePrekey'];
  const opkValue = r.optional(0x05, 'one-time prekey');
  if (opkValue) {
    oneTimePrekey = { ...decodeEc(opkValue, 'one-time prekey'), signature: signature(r.read(0x06, 'one-time prekey signature'), 'one-time prekey signature') };
    checks.push(['oneTimePrekey', opkValue, oneTimePrekey.signature]);
  }
  let pqPrekey: Bundle['pqPrekey'];
  const pqv = r.optional(0x07, 'pq prekey');
  if (pqv) {
    if (pqv.length !== 1 + 4 + 1569) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"pq prekey" expected 1574 bytes, got ${pqv.length}`);
    const kindByte = pqv[0];
    const kind: PqKind | undefined = kindByte === PQ_KIND.oneTime ? 'oneTime' : kindByte === PQ_KIND.lastResort ? 'lastResort' : undefined;
    if (!kind) throw new AgentsecError('decode_failure', 'UNKNOWN_PREKEY_KIND', `"pq prekey" kind ${kindByte} is unknown`);
    pqPrekey = { kind, id: u32(pqv.subarray(1, 5), 'pq prekey id'), publicKey: decodeKey('ML-KEM-1024', pqv.subarray(5), 'pq prekey'), signature: signature(r.read(0x08, 'pq prekey signature'), 'pq prekey signature') };
    checks.push(['pqPrekey', pqv, pqPrekey.signature]);
  }
  r.end();
  // Largest field first: a corrupted bundle is most likely corrupted there, and fails after one verify.
  for (const [role, value, sig] of checks.reverse()) {
    // @req X3DH-003
    if (!p.ed25519.verify(identitySigning, prekeySignedMessage(role, value, identitySigning, identityAgreement), sig)) {
      throw new AgentsecError('auth_failure', 'BAD_SIGNATURE', `bundle ${role} signature does not verify under the identity signing key`);
    }
  }
  return { identitySigning, identityAgreement, signedPrekey: spk, ...(oneTimePrekey ? { oneTimePrekey } : {}), ...(pqPrekey ? { pqPrekey } : {}) };
}
