/**
 * Known-answer vectors for the agentsec/1 session profile: X3DH and PQXDH key agreement
 * (spec/x3dh.md) with the bundle and initial message bytes, and the Double Ratchet derivations and
 * a short transcript (spec/double-ratchet.md). Every expected byte is computed here from the spec's
 * formulas on @noble primitives, not by the reference; the inputs are fixed labels hashed to bytes.
 * Invalid cases are byte edits of a valid bundle or initial message, with the error kind the spec
 * assigns.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { cat, enc, hex, u16, u32 } from '../kit.js';

export const SESSION_FORMAT = 'agentsec-session-vectors/1';
export const SESSION_VECTOR_FILE = 'agentsec-x3dh.json';
export const SESSION_SCHEMA_FILE = 'agentsec-x3dh.schema.json';

export type Aead = 'AES-256-GCM' | 'ChaCha20-Poly1305';

export interface RatchetMessageVector {
  /** Index in sending order; `message` is header || AEAD ciphertext. */
  n: number;
  plaintext: string;
  mk: string;
  ck_next: string;
  key: string;
  nonce: string;
  header: string;
  message: string;
}

export interface SessionTest {
  tcId: number;
  comment: string;
  reqs: string[];
  result: 'valid' | 'invalid';
  type: 'key_agreement' | 'kdf_rk' | 'kdf_ck';
  expected_error?: string;
  [field: string]: unknown;
}

export interface SessionVectorFile {
  schema: string;
  format: string;
  generator: Record<string, unknown>;
  notes: string[];
  numberOfTests: number;
  tests: SessionTest[];
}

/** Fixed input bytes: SHA-256 blocks of a label, cut to n bytes. */
const fixed = (label: string, n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i * 32 < n; i++) out.set(sha256(enc.encode(`agentsec-session-vectors/1 ${label} ${i}`)).subarray(0, Math.min(32, n - i * 32)), i * 32);
  return out;
};

const EC = (k: Uint8Array): Uint8Array => cat(new Uint8Array([0x01]), k);
const SIG = (k: Uint8Array): Uint8Array => cat(new Uint8Array([0x02]), k);
const KEM = (k: Uint8Array): Uint8Array => cat(new Uint8Array([0x03]), k);
const field = (tag: number, v: Uint8Array): Uint8Array => cat(new Uint8Array([tag]), u16(v.length), v);
const lp = (...parts: Uint8Array[]): Uint8Array => cat(...parts.flatMap((x) => [u32(x.length), x]));

const X3DH_INFO = 'agentsec/1 X3DH CURVE25519 SHA-256';
const PQXDH_INFO = 'agentsec/1 PQXDH CURVE25519 SHA-256 ML-KEM-1024';
const AEAD_BYTE: Record<Aead, number> = { 'AES-256-GCM': 1, 'ChaCha20-Poly1305': 2 };

export const kdfRk = (rk: Uint8Array, dhOut: Uint8Array): { rk: Uint8Array; ck: Uint8Array } => {
  const okm = hkdf(sha256, dhOut, rk, enc.encode('agentsec/1 DR root'), 64);
  return { rk: okm.slice(0, 32), ck: okm.slice(32) };
};
export const kdfCk = (ck: Uint8Array): { ck: Uint8Array; mk: Uint8Array } => ({ ck: hmac(sha256, ck, new Uint8Array([2])), mk: hmac(sha256, ck, new Uint8Array([1])) });
export const msgKeys = (mk: Uint8Array, aead: Aead): { key: Uint8Array; nonce: Uint8Array } => {
  const okm = hkdf(sha256, mk, new Uint8Array(32), enc.encode(`agentsec/1 DR message ${aead}`), 44);
  return { key: okm.slice(0, 32), nonce: okm.slice(32) };
};
const seal = (aead: Aead, key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array =>
  aead === 'AES-256-GCM' ? gcm(key, nonce, ad).encrypt(pt) : chacha20poly1305(key, nonce, ad).encrypt(pt);

interface KaInput {
  comment: string;
  reqs: string[];
  pq: boolean;
  opk: boolean;
  aead: Aead;
  plaintexts: string[];
  /** Delivery order of the ratchet messages (indexes into plaintexts); the first is always 0, inside the initial message. */
  delivery: number[];
  /** Bob's replies after he has received every message, in sending order, delivered in order. */
  replies: string[];
}

function keyAgreement(i: KaInput, label: string): Record<string, unknown> {
  const f = (what: string, n = 32): Uint8Array => fixed(`${label} ${what}`, n);
  const ikASig = f('ik_a_sig_seed');
  const ikADh = f('ik_a_dh_private');
  const ekA = f('ek_a_private');
  const ikBSig = f('ik_b_sig_seed');
  const ikBDh = f('ik_b_dh_private');
  const spkB = f('spk_b_private');
  const opkB = f('opk_b_private');
  const ratchetA = f('alice_ratchet_private');
  const ratchetB = f('bob_ratchet_private');
  const spkId = 0x01000000 + (f('spk_id')[0]! << 8);
  const opkId = 0x00000100 + f('opk_id')[0]!;
  const pqId = 0x00020000 + f('pq_id')[0]!;
  const pqSeed = f('pq_b_seed', 64);
  const encapsM = f('pq_encaps_randomness');
  const pub = {
    ikASig: ed25519.getPublicKey(ikASig), ikADh: x25519.getPublicKey(ikADh), ekA: x25519.getPublicKey(ekA),
    ikBSig: ed25519.getPublicKey(ikBSig), ikBDh: x25519.getPublicKey(ikBDh), spkB: x25519.getPublicKey(spkB), opkB: x25519.getPublicKey(opkB),
    ratchetA: x25519.getPublicKey(ratchetA), ratchetB: x25519.getPublicKey(ratchetB),
  };
  const pqKeys = ml_kem1024.keygen(pqSeed);

  // Bundle: every prekey signed over lp(label, role, value, EncodeKey(IK_sig), EncodeKey(IK_dh)).
  const sign = (role: number, value: Uint8Array): Uint8Array => ed25519.sign(lp(enc.encode('agentsec/1 prekey'), new Uint8Array([role]), value, SIG(pub.ikBSig), EC(pub.ikBDh)), ikBSig);
  const spkValue = cat(u32(spkId), EC(pub.spkB));
  const opkValue = cat(u32(opkId), EC(pub.opkB));
  const pqValue = cat(new Uint8Array([2]), u32(pqId), KEM(pqKeys.publicKey));
  const bundle = cat(
    new Uint8Array([1]), field(1, SIG(pub.ikBSig)), field(2, EC(pub.ikBDh)), field(3, spkValue), field(4, sign(1, spkValue)),
    ...(i.opk ? [field(5, opkValue), field(6, sign(2, opkValue))] : []),
    ...(i.pq ? [field(7, pqValue), field(8, sign(3, pqValue))] : []),
  );

  const dh = [x25519.getSharedSecret(ikADh, pub.spkB), x25519.getSharedSecret(ekA, pub.ikBDh), x25519.getSharedSecret(ekA, pub.spkB)];
  if (i.opk) dh.push(x25519.getSharedSecret(ekA, pub.opkB));
  const kem = i.pq ? ml_kem1024.encapsulate(pqKeys.publicKey, encapsM) : undefined;
  const ikm = cat(new Uint8Array(32).fill(0xff), ...dh, ...(kem ? [kem.sharedSecret] : []));
  const sk = hkdf(sha256, ikm, new Uint8Array(32), enc.encode(i.pq ? PQXDH_INFO : X3DH_INFO), 32);
  const ad = cat(SIG(pub.ikASig), EC(pub.ikADh), SIG(pub.ikBSig), EC(pub.ikBDh));

  const prefix = cat(
    new Uint8Array([1, 1]), field(1, new Uint8Array([i.pq ? 2 : 1])), field(2, new Uint8Array([AEAD_BYTE[i.aead]])),
    field(3, SIG(pub.ikASig)), field(4, EC(pub.ikADh)), field(5, EC(pub.ekA)), field(6, u32(spkId)),
    ...(i.opk ? [field(7, u32(opkId))] : []),
    ...(kem ? [field(8, cat(u32(pqId), kem.cipherText))] : []),
  );

  // Alice's first sending chain (RatchetInitAlice with a fixed ratchet key), then one message per plaintext.
  const root = kdfRk(sk, x25519.getSharedSecret(ratchetA, pub.spkB));
  let ck = root.ck;
  const messages: RatchetMessageVector[] = i.plaintexts.map((text, n) => {
    const step = kdfCk(ck);
    const { key, nonce } = msgKeys(step.mk, i.aead);
    const header = cat(new Uint8Array([1, 2]), EC(pub.ratchetA), u32(0), u32(n));
    const pt = enc.encode(text);
    const msgAd = cat(lp(ad), header, ...(n === 0 ? [prefix] : []));
    const out = { n, plaintext: hex(pt), mk: hex(step.mk), ck_next: hex(step.ck), key: hex(key), nonce: hex(nonce), header: hex(header), message: hex(cat(header, seal(i.aead, key, nonce, pt, msgAd))) };
    ck = step.ck;
    return out;
  });
  const initial = cat(prefix, field(9, Buffer.from(messages[0]!.message, 'hex')));

  // Bob's DH ratchet step on Alice's first message (his new ratchet key fixed), then his replies.
  const bobRoot = kdfRk(root.rk, x25519.getSharedSecret(ratchetB, pub.ratchetA));
  let bck = bobRoot.ck;
  const replies: RatchetMessageVector[] = i.replies.map((text, n) => {
    const step = kdfCk(bck);
    const { key, nonce } = msgKeys(step.mk, i.aead);
    const header = cat(new Uint8Array([1, 2]), EC(pub.ratchetB), u32(0), u32(n));
    const pt = enc.encode(text);
    bck = step.ck;
    return { n, plaintext: hex(pt), mk: hex(step.mk), ck_next: hex(step.ck), key: hex(key), nonce: hex(nonce), header: hex(header), message: hex(cat(header, seal(i.aead, key, nonce, pt, cat(lp(ad), header)))) };
  });

  return {
    protocol: i.pq ? 'pqxdh' : 'x3dh',
    aead: i.aead,
    ik_a_sig_seed: hex(ikASig), ik_a_sig_public: hex(pub.ikASig), ik_a_dh_private: hex(ikADh), ik_a_dh_public: hex(pub.ikADh),
    ek_a_private: hex(ekA), ek_a_public: hex(pub.ekA),
    ik_b_sig_seed: hex(ikBSig), ik_b_sig_public: hex(pub.ikBSig), ik_b_dh_private: hex(ikBDh), ik_b_dh_public: hex(pub.ikBDh),
    spk_b_id: spkId, spk_b_private: hex(spkB), spk_b_public: hex(pub.spkB),
    ...(i.opk ? { opk_b_id: opkId, opk_b_private: hex(opkB), opk_b_public: hex(pub.opkB) } : {}),
    ...(i.pq ? { pq_b_id: pqId, pq_b_kind: 'last_resort', pq_b_seed: hex(pqSeed), pq_b_public: hex(pqKeys.publicKey), pq_encaps_randomness: hex(encapsM), kem_ciphertext: hex(kem!.cipherText), kem_shared_secret: hex(kem!.sharedSecret) } : {}),
    bundle: hex(bundle),
    dh: dh.map(hex),
    sk: hex(sk),
    ad: hex(ad),
    alice_ratchet_private: hex(ratchetA), alice_ratchet_public: hex(pub.ratchetA),
    rk_1: hex(root.rk), cks_1: hex(root.ck),
    initial_prefix: hex(prefix),
    initial_message: hex(initial),
    messages,
    delivery: i.delivery,
    bob_ratchet_private: hex(ratchetB), bob_ratchet_public: hex(pub.ratchetB),
    rk_2: hex(bobRoot.rk), bob_cks_1: hex(bobRoot.ck),
    replies,
  };
}

const KA: KaInput[] = [
  { comment: 'X3DH with a one-time prekey, AES-256-GCM, three messages delivered in order', reqs: ['X3DH-002', 'X3DH-004', 'X3DH-005', 'X3DH-006', 'X3DH-015', 'DR-001', 'DR-002', 'DR-003', 'DR-004', 'DR-005', 'DR-006', 'DR-015'], pq: false, opk: true, aead: 'AES-256-GCM', plaintexts: ['hello bob', 'second', ''], delivery: [0, 1, 2], replies: ['hello alice', 'and again'] },
  { comment: 'X3DH without a one-time prekey, ChaCha20-Poly1305, messages 2 and 1 delivered out of order', reqs: ['X3DH-004', 'X3DH-006', 'X3DH-015', 'DR-003', 'DR-004', 'DR-006'], pq: false, opk: false, aead: 'ChaCha20-Poly1305', plaintexts: ['first', 'second', 'third'], delivery: [0, 2, 1], replies: ['reply'] },
  { comment: 'PQXDH (ML-KEM-1024 last-resort PQ prekey) with a one-time prekey, AES-256-GCM', reqs: ['X3DH-002', 'X3DH-004', 'X3DH-005', 'X3DH-006', 'PQXDH-001', 'PQXDH-002', 'X3DH-015', 'DR-004'], pq: true, opk: true, aead: 'AES-256-GCM', plaintexts: ['post-quantum hello', 'next'], delivery: [0, 1], replies: ['pq reply'] },
  { comment: 'PQXDH without a one-time prekey, ChaCha20-Poly1305', reqs: ['X3DH-004', 'PQXDH-002', 'X3DH-015'], pq: true, opk: false, aead: 'ChaCha20-Poly1305', plaintexts: ['pq only'], delivery: [0], replies: [''] },
];

interface Edit {
  comment: string;
  reqs: string[];
  kind: string;
  base: number;
  /** Which bytes are edited; the responder refuses at decodeBundle (bundle) or when processing the initial message. */
  target: 'bundle' | 'initial_message';
  /** Byte offset to change, computed on the valid bytes, and the new value (default: xor 0x01). */
  at: (b: Uint8Array, t: Record<string, unknown>) => number;
  value?: number;
}

/** Offset of the value of the first field carrying `tag` (fields start after `start` header bytes). */
function fieldValue(b: Uint8Array, start: number, tag: number): number {
  let off = start;
  while (off < b.length) {
    const len = (b[off + 1]! << 8) | b[off + 2]!;
    if (b[off] === tag) return off + 3;
    off += 3 + len;
  }
  throw new Error(`generator: field ${tag} not found`);
}

const EDITS: Edit[] = [
  { comment: 'bundle: flipped byte in the signed prekey signature', reqs: ['X3DH-003', 'X3DH-013'], kind: 'auth_failure', base: 0, target: 'bundle', at: (b) => fieldValue(b, 1, 4) + 10 },
  { comment: 'bundle: flipped byte in the one-time prekey signature', reqs: ['X3DH-002', 'X3DH-003'], kind: 'auth_failure', base: 0, target: 'bundle', at: (b) => fieldValue(b, 1, 6) + 63 },
  { comment: 'bundle: flipped byte in the PQ prekey (its signature no longer verifies)', reqs: ['X3DH-003', 'PQXDH-001'], kind: 'auth_failure', base: 2, target: 'bundle', at: (b) => fieldValue(b, 1, 7) + 100 },
  { comment: 'bundle: PQ prekey kind byte 2 (last resort) changed to 1 (one-time): signed', reqs: ['X3DH-003', 'PQXDH-001'], kind: 'auth_failure', base: 2, target: 'bundle', at: (b) => fieldValue(b, 1, 7), value: 1 },
  { comment: 'bundle: unknown key type byte 0x04 on the identity agreement key', reqs: ['X3DH-001'], kind: 'decode_failure', base: 0, target: 'bundle', at: (b) => fieldValue(b, 1, 2), value: 0x04 },
  { comment: 'bundle: key type byte of the signed prekey changed to Ed25519 (0x02)', reqs: ['X3DH-001'], kind: 'decode_failure', base: 0, target: 'bundle', at: (b) => fieldValue(b, 1, 3) + 4, value: 0x02 },
  { comment: 'bundle: version byte 2', reqs: ['X3DH-001'], kind: 'unsupported', base: 0, target: 'bundle', at: () => 0, value: 2 },
  { comment: 'initial message: unknown key type byte on the base key', reqs: ['X3DH-015'], kind: 'decode_failure', base: 0, target: 'initial_message', at: (b) => fieldValue(b, 2, 5), value: 0x04 },
  { comment: 'initial message: unknown protocol byte 3', reqs: ['X3DH-015'], kind: 'unsupported', base: 0, target: 'initial_message', at: (b) => fieldValue(b, 2, 1), value: 3 },
  { comment: 'initial message: flipped bit in the base key (another SK)', reqs: ['X3DH-015'], kind: 'auth_failure', base: 0, target: 'initial_message', at: (b) => fieldValue(b, 2, 5) + 5 },
  { comment: 'initial message: AEAD byte changed (the prefix is in the AD)', reqs: ['X3DH-015', 'DR-003'], kind: 'auth_failure', base: 0, target: 'initial_message', at: (b) => fieldValue(b, 2, 2), value: 2 },
  { comment: 'initial message: flipped bit in the KEM ciphertext (implicit rejection: another SS)', reqs: ['X3DH-015', 'PQXDH-002'], kind: 'auth_failure', base: 2, target: 'initial_message', at: (b) => fieldValue(b, 2, 8) + 700 },
  { comment: 'initial message: flipped bit in the ratchet message tag', reqs: ['X3DH-015', 'DR-004'], kind: 'auth_failure', base: 1, target: 'initial_message', at: (b) => b.length - 1 },
];

export function generateSessionVectors(): SessionVectorFile {
  const tests: SessionTest[] = [];
  const push = (t: Omit<SessionTest, 'tcId'>): void => void tests.push({ tcId: tests.length + 1, ...t } as SessionTest);
  const built = KA.map((k, j) => keyAgreement(k, `ka-${j}`));
  KA.forEach((k, j) => push({ comment: k.comment, reqs: k.reqs, result: 'valid', type: 'key_agreement', ...built[j]! }));
  for (const e of EDITS) {
    const b = built[e.base]!;
    const bytes = Buffer.from(b[e.target] as string, 'hex');
    const at = e.at(bytes, b);
    bytes[at] = e.value ?? bytes[at]! ^ 0x01;
    push({ comment: e.comment, reqs: e.reqs, result: 'invalid', type: 'key_agreement', expected_error: e.kind, ...b, [e.target]: hex(bytes) });
  }
  for (let j = 0; j < 3; j++) {
    const rk = fixed(`kdf_rk ${j} rk`, 32);
    const dhOut = x25519.getSharedSecret(fixed(`kdf_rk ${j} a`, 32), x25519.getPublicKey(fixed(`kdf_rk ${j} b`, 32)));
    const r = kdfRk(rk, dhOut);
    push({ comment: `KDF_RK step ${j}`, reqs: ['DR-001'], result: 'valid', type: 'kdf_rk', rk: hex(rk), dh_out: hex(dhOut), rk_next: hex(r.rk), ck: hex(r.ck) });
  }
  for (const aead of ['AES-256-GCM', 'ChaCha20-Poly1305'] as const) {
    let ck = fixed(`kdf_ck ${aead}`, 32);
    const steps = [];
    for (let n = 0; n < 3; n++) {
      const s = kdfCk(ck);
      const k = msgKeys(s.mk, aead);
      steps.push({ ck: hex(ck), mk: hex(s.mk), ck_next: hex(s.ck), key: hex(k.key), nonce: hex(k.nonce) });
      ck = s.ck;
    }
    push({ comment: `KDF_CK chain of three steps and the ${aead} message keys`, reqs: ['DR-002', 'DR-003'], result: 'valid', type: 'kdf_ck', aead, steps });
  }
  return {
    schema: SESSION_SCHEMA_FILE,
    format: SESSION_FORMAT,
    generator: { command: 'agentsec vectors generate', implementation: 'vectors/session/generate.ts (spec formulas on @noble primitives; the reference is not called)' },
    notes: [
      'agentsec/1 profile: spec/x3dh.md (bundle, key agreement, initial message) and spec/double-ratchet.md (KDF_RK, KDF_CK, message keys, message format).',
      'key_agreement: Alice (initiator) holds ik_a_*, ek_a_* and alice_ratchet_private (her first ratchet key, the one RatchetInitAlice would generate); Bob (responder) holds ik_b_*, spk_b_*, opk_b_* and, for PQXDH, the ML-KEM-1024 keygen seed pq_b_seed (d || z, FIPS 203); Alice encapsulates with the 32-byte message pq_encaps_randomness.',
      'dh lists DH1..DH3[, DH4]; sk = HKDF-SHA-256(0xFF*32 || DH1 || .. [|| kem_shared_secret], 0^32, info, 32); rk_1, cks_1 = KDF_RK(sk, DH(alice_ratchet, SPK_B)).',
      'messages are Alice\'s first sending chain in sending order: message 0 travels inside initial_message (its AD is lp(ad) || header || initial_prefix), the others alone (AD lp(ad) || header); Bob receives them in the order `delivery` and must obtain each plaintext.',
      'replies are Bob\'s first sending chain after his DH ratchet step on Alice\'s first message with his new ratchet key bob_ratchet_private: rk_2, bob_cks_1 = KDF_RK(rk_1, DH(bob_ratchet, alice_ratchet)); header (bob_ratchet_public, PN 0, N); AD lp(ad) || header. Alice receives them in order after sending all her messages.',
      'Invalid key_agreement tests carry the fields of the valid test they were derived from with `bundle` or `initial_message` edited: the initiator must refuse the bundle (decode and verify) or the responder the initial message with expected_error.',
      'Byte strings are lowercase hex; ids are integers.',
    ],
    numberOfTests: tests.length,
    tests,
  };
}

export function renderSessionFile(f: SessionVectorFile): string {
  return `${JSON.stringify(f, null, 2)}\n`;
}
