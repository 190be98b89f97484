import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AgentsecError, associatedData, decodeBundle, decodeInitial, encodeHeader, encodeInitial, encodeInitialPrefix, fromHex, getProvider, handshakeKdf, initBob,
  kdfChain, kdfRoot, messageKeys, PROVIDER_NAMES, ratchetDecrypt, ratchetEncrypt, toHex, type CryptoProvider, type RatchetState,
} from '../../reference/index.js';
import { REPO_ROOT } from '../external.js';
import { generateSessionVectors, renderSessionFile, SESSION_SCHEMA_FILE, SESSION_VECTOR_FILE, type RatchetMessageVector, type SessionTest, type SessionVectorFile } from './generate.js';
import { checkSessionFile, SESSION_VECTOR_SCHEMA } from './schema.js';

const DIR = join(REPO_ROOT, 'vectors/session');
const file = JSON.parse(readFileSync(join(DIR, SESSION_VECTOR_FILE), 'utf8')) as SessionVectorFile;
const specIds = new Set((JSON.parse(readFileSync(join(REPO_ROOT, 'spec/requirements.json'), 'utf8')) as { id: string }[]).map((r) => r.id));
const h = (t: SessionTest, k: string): Uint8Array => fromHex(t[k] as string);
const ka = (pred: (t: SessionTest) => boolean): SessionTest[] => file.tests.filter((t) => t.type === 'key_agreement' && pred(t));

/**
 * Bob's side of a key_agreement test from the reference's pieces: decode the initial message, derive
 * SK and AD, RatchetInitBob, and decrypt the messages in delivery order. Throws the reference's error.
 */
function respond(p0: CryptoProvider, t: SessionTest): { sk: Uint8Array; ad: Uint8Array; plaintexts: string[]; bob: RatchetState } {
  const p = withRatchetKey(p0, h(t, 'bob_ratchet_private'), h(t, 'bob_ratchet_public'));
  const m = decodeInitial(h(t, 'initial_message'));
  const prefix = encodeInitialPrefix(m);
  const spk = h(t, 'spk_b_private');
  const dhs = [p.x25519.dh(spk, m.identityAgreement), p.x25519.dh(h(t, 'ik_b_dh_private'), m.baseKey), p.x25519.dh(spk, m.baseKey)];
  if (m.oneTimePrekeyId !== undefined) dhs.push(p.x25519.dh(h(t, 'opk_b_private'), m.baseKey));
  if (m.pq) {
    const kem = p.kem('ML-KEM-1024');
    dhs.push(kem.decapsulate(m.pq.ciphertext, kem.keygen(h(t, 'pq_b_seed')).secretKey));
  }
  const sk = handshakeKdf(p, m.kind, dhs);
  const ad = associatedData({ signing: m.identitySigning, agreement: m.identityAgreement }, { signing: h(t, 'ik_b_sig_public'), agreement: h(t, 'ik_b_dh_public') });
  let s: RatchetState = initBob(sk, ad, { publicKey: h(t, 'spk_b_public'), privateKey: spk }, m.aead);
  const msgs = t.messages as RatchetMessageVector[];
  const plaintexts: string[] = [];
  for (const [k, i] of (t.delivery as number[]).entries()) {
    const r = ratchetDecrypt(p, s, k === 0 ? m.ratchetMessage : fromHex(msgs[i]!.message), k === 0 ? prefix : undefined);
    if (!r.ok) throw r.error;
    s = r.state;
    plaintexts.push(toHex(r.plaintext));
  }
  return { sk, ad, plaintexts, bob: s };
}

/** The provider with generateKeyPair fixed to the vector's ratchet key (what a DH ratchet step generates). */
function withRatchetKey(p: CryptoProvider, privateKey: Uint8Array, publicKey: Uint8Array): CryptoProvider {
  const x = Object.assign(Object.create(p.x25519) as CryptoProvider['x25519'], { generateKeyPair: () => ({ privateKey: privateKey.slice(), publicKey: publicKey.slice() }) });
  return Object.assign(Object.create(p) as CryptoProvider, { x25519: x });
}

describe('X3DH / PQXDH and Double Ratchet known-answer vectors (vectors/session)', () => {
  it('X3DH-004 DR-001: regenerating gives the committed files byte for byte', () => {
    expect(renderSessionFile(generateSessionVectors())).toBe(readFileSync(join(DIR, SESSION_VECTOR_FILE), 'utf8'));
    expect(readFileSync(join(DIR, SESSION_SCHEMA_FILE), 'utf8')).toBe(`${JSON.stringify(SESSION_VECTOR_SCHEMA, null, 2)}\n`);
  });

  it('X3DH-015: the file matches its schema structurally and every reqs id exists in spec/requirements.json', () => {
    expect(checkSessionFile(file)).toEqual([]);
    expect(ka((t) => t.result === 'valid' && t.protocol === 'pqxdh').length).toBeGreaterThanOrEqual(2);
    expect(ka((t) => t.result === 'invalid').length).toBeGreaterThanOrEqual(10);
    for (const t of file.tests) for (const r of t.reqs) expect(specIds.has(r), `${t.tcId}: ${r}`).toBe(true);
    const bad = structuredClone(file);
    bad.tests[0]!.sk = 'XY';
    bad.tests[1]!.extra = 1;
    (bad.tests[2]!.messages as RatchetMessageVector[])[0]!.key = '0';
    const problems = checkSessionFile(bad);
    // Each corrupted test is named (the oneOf reports every branch it tried), and nothing else is.
    for (const at of ['/tests/0', '/tests/1', '/tests/2/messages/0/key']) expect(problems.some((m) => m.startsWith(at)), at).toBe(true);
    expect(problems.filter((m) => !/^\/tests\/[012](\/|:)/.test(m))).toEqual([]);
  });

  for (const name of PROVIDER_NAMES) {
    it(`X3DH-002 X3DH-004 X3DH-005 X3DH-006 PQXDH-002 X3DH-015 DR-004 DR-005 DR-006: the reference reproduces every valid key agreement (${name} provider)`, () => {
      const p = getProvider(name);
      for (const t of ka((x) => x.result === 'valid')) {
        const msgs = t.messages as RatchetMessageVector[];
        const b = decodeBundle(p, h(t, 'bundle'));
        expect(toHex(b.signedPrekey.publicKey)).toBe(t.spk_b_public);
        expect(b.signedPrekey.id).toBe(t.spk_b_id);
        if (t.pq_b_seed) expect(toHex(p.kem('ML-KEM-1024').keygen(h(t, 'pq_b_seed')).publicKey)).toBe(t.pq_b_public);
        const r = respond(p, t);
        expect(toHex(r.sk), `tc ${t.tcId}`).toBe(t.sk);
        expect(toHex(r.ad)).toBe(t.ad);
        expect(r.plaintexts).toEqual((t.delivery as number[]).map((i) => msgs[i]!.plaintext));
        const m = decodeInitial(h(t, 'initial_message'));
        expect(toHex(encodeInitial(m))).toBe(t.initial_message);
        expect(toHex(encodeInitialPrefix(m))).toBe(t.initial_prefix);
        // Alice's side: RatchetInitAlice with the vector's ratchet key, then encrypt gives the same bytes.
        const root = kdfRoot(p, r.sk, p.x25519.dh(h(t, 'alice_ratchet_private'), h(t, 'spk_b_public')));
        expect([toHex(root.rk), toHex(root.ck)]).toEqual([t.rk_1, t.cks_1]);
        let s: RatchetState = {
          ...initBob(r.sk, r.ad, { publicKey: h(t, 'spk_b_public'), privateKey: h(t, 'spk_b_private') }, m.aead),
          dhsPublic: h(t, 'alice_ratchet_public'), dhsPrivate: h(t, 'alice_ratchet_private'), dhr: h(t, 'spk_b_public'), rk: root.rk, cks: root.ck, sendEpoch: 1,
        };
        for (const mv of msgs) {
          const e = ratchetEncrypt(p, s, fromHex(mv.plaintext), mv.n === 0 ? fromHex(t.initial_prefix as string) : undefined);
          expect(toHex(e.message), `tc ${t.tcId} message ${mv.n}`).toBe(mv.message);
          expect(toHex(encodeHeader({ dh: h(t, 'alice_ratchet_public'), pn: 0, n: mv.n }))).toBe(mv.header);
          s = e.state;
        }
        // Bob's replies after his DH ratchet step, and Alice decrypting them.
        const replies = t.replies as RatchetMessageVector[];
        expect(replies.length).toBeGreaterThan(0);
        expect([toHex(r.bob.rk), toHex(r.bob.dhsPublic)]).toEqual([t.rk_2, t.bob_ratchet_public]);
        let bob = r.bob;
        for (const mv of replies) {
          const e = ratchetEncrypt(p, bob, fromHex(mv.plaintext));
          expect(toHex(e.message), `tc ${t.tcId} reply ${mv.n}`).toBe(mv.message);
          bob = e.state;
          const d = ratchetDecrypt(p, s, e.message);
          if (!d.ok) throw d.error;
          expect(toHex(d.plaintext)).toBe(mv.plaintext);
          s = d.state;
        }
      }
    });
  }

  it('X3DH-001 X3DH-003 X3DH-013 X3DH-015: the reference refuses every invalid bundle and initial message with the stated kind', () => {
    const p = getProvider('noble');
    const invalid = ka((t) => t.result === 'invalid');
    for (const t of invalid) {
      const valid = ka((x) => x.result === 'valid' && x.sk === t.sk)[0]!;
      let err: unknown;
      try {
        if (t.bundle !== valid.bundle) decodeBundle(p, h(t, 'bundle'));
        else respond(p, t);
      } catch (e) {
        err = e;
      }
      expect(err, `tc ${t.tcId} ${t.comment}`).toBeInstanceOf(AgentsecError);
      expect((err as AgentsecError).kind, `tc ${t.tcId} ${t.comment}`).toBe(t.expected_error);
    }
    expect(invalid.filter((t) => t.comment.startsWith('bundle')).every((t) => t.bundle !== ka((x) => x.sk === t.sk)[0]!.bundle)).toBe(true);
  });

  it('DR-001 DR-002 DR-003: the reference reproduces every KDF_RK and KDF_CK step', () => {
    const p = getProvider('noble');
    const rks = file.tests.filter((t) => t.type === 'kdf_rk');
    const cks = file.tests.filter((t) => t.type === 'kdf_ck');
    expect(rks.length).toBeGreaterThan(0);
    expect(cks.length).toBe(2);
    for (const t of rks) {
      const r = kdfRoot(p, h(t, 'rk'), h(t, 'dh_out'));
      expect([toHex(r.rk), toHex(r.ck)]).toEqual([t.rk_next, t.ck]);
    }
    for (const t of cks) {
      for (const s of t.steps as Record<string, string>[]) {
        const r = kdfChain(p, fromHex(s.ck));
        const k = messageKeys(p, r.mk, t.aead as 'AES-256-GCM' | 'ChaCha20-Poly1305');
        expect([toHex(r.mk), toHex(r.ck), toHex(k.key), toHex(k.nonce)]).toEqual([s.mk, s.ck_next, s.key, s.nonce]);
      }
    }
  });

  it('X3DH-015 DR-004: a changed ciphertext byte in a valid transcript is refused (the check is not vacuous)', () => {
    const t = structuredClone(ka((x) => x.result === 'valid')[0]!);
    const m = (t.messages as RatchetMessageVector[])[1]!;
    m.message = m.message.slice(0, -2) + (m.message.endsWith('00') ? '01' : '00');
    expect(() => respond(getProvider('noble'), t)).toThrow(AgentsecError);
  });
});
