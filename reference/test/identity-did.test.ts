import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { getProvider } from '../crypto/index.js';
import { AgentsecError } from '../errors.js';
import {
  base58btcDecode,
  base58btcEncode,
  buildDidDocument,
  canonicalJsonBytes,
  computeCid,
  decodeDidKey,
  DirectoryContentStore,
  encodeDidKey,
  parseCid,
  parseDidDocument,
  publishDidDocument,
  resolvePublishedDocument,
  unsignedDidDocument,
  validateDidDocument,
  varintDecode,
  varintEncode,
  type DidDocument,
} from '../identity/index.js';

const provider = getProvider('noble');

function expectError(fn: () => unknown, kind: string, reason?: string): AgentsecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AgentsecError);
    const err = e as AgentsecError;
    expect(err.kind).toBe(kind);
    if (reason) expect(err.reason).toBe(reason);
    return err;
  }
  throw new Error('expected an AgentsecError');
}

async function expectRejects(p: Promise<unknown>, kind: string, reason?: string): Promise<AgentsecError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AgentsecError);
    const err = e as AgentsecError;
    expect(err.kind).toBe(kind);
    if (reason) expect(err.reason).toBe(reason);
    return err;
  }
  throw new Error('expected an AgentsecError');
}

// Known answers from the W3C CCG did:key spec test vectors (test-vectors/ed25519-x25519.json and
// x25519.json): the Ed25519 key of each seed, its did:key, and the X25519 key did:key derives from it.
const ED25519_VECTORS = [
  {
    seed: '0000000000000000000000000000000000000000000000000000000000000000',
    did: 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp',
    publicKeyBase58: '4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS',
    x25519Fragment: 'z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW',
    x25519Base58: '7By6kV2t2d188odEM4ExAve1UithKT6dLva4dwsDT3ak',
  },
  {
    seed: '0000000000000000000000000000000000000000000000000000000000000001',
    did: 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG',
    publicKeyBase58: '6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt',
    x25519Fragment: 'z6LSrHyXiPBhUbvPUtyUCdf32sniiMGPTAesgHrtEa4FePtr',
    x25519Base58: 'FcoNC5NqP9CePWbhfz95iHaEsCjGkZUioK9Ck7Qiw286',
  },
  {
    seed: '0000000000000000000000000000000000000000000000000000000000000002',
    did: 'did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf',
    publicKeyBase58: '8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH',
    x25519Fragment: 'z6LSkkqoZRC34AEpbkhZCqLDcHQVAxuLpQ7kC8XCXMVUfvjE',
    x25519Base58: 'A5fe37PAxhX5WNKngBpGHhC1KpNE7nwbK9oX2tqwxYxU',
  },
  {
    seed: '0000000000000000000000000000000000000000000000000000000000000003',
    did: 'did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ',
    publicKeyBase58: 'HPYVwAQmskwT1qEEeRzhoomyfyupJGASQQtCXSNG8XS2',
    x25519Fragment: 'z6LSiUo6AEDat8Ze4nQzDo67SGuHLLwsUGkxndHGUjsywHow',
    x25519Base58: '7ocvdvQinfqtyQ3Dh9aA7ggoVCQkmfaoueZazHETDv3B',
  },
  {
    seed: '0000000000000000000000000000000000000000000000000000000000000004',
    did: 'did:key:z6MkwW6aqMnjgrhJXFUko3NnZPGzVpkNzhYK7yEhnsibmLwL',
    publicKeyBase58: 'J3qYF7YJMKCqQke47UQwiHizgFUXapHxRxKmxbkar89x',
    x25519Fragment: 'z6LSrGb3qm4xMCEBjvwkLb2WEcXfTM94Tu1RyGCbT5wbg8i9',
    x25519Base58: 'FbQtKTG6FjWSeYZyowWYv2KBcCbwmHqH6HUuxdJ4xkwP',
  },
];
const X25519_VECTORS = [
  { did: 'did:key:z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F', publicKeyBase58: '4Dy8E9UaZscuPUf2GLxV44RCNL7oxmEXXkgWXaug1WKV' },
  { did: 'did:key:z6LStiZsmxiK4odS4Sb6JmdRFuJ6e1SYP157gtiCyJKfrYha', publicKeyBase58: 'J3PiFeuSyLugy4DKn87TwK5cnruRgPtxouzXUqg99Avp' },
  { did: 'did:key:z6LSoMdmJz2Djah2P4L9taDmtqeJ6wwd2HhKZvNToBmvaczQ', publicKeyBase58: 'CgTbngDMe7yHHfxPMvhpaFRpFoQWKgXAgwenJj8PsFDe' },
];

/** The spec's DID document for a seed (2018/2019 suite form, publicKeyBase58). */
function specDocument(v: (typeof ED25519_VECTORS)[number]): Record<string, unknown> {
  const edId = `${v.did}#${v.did.slice(8)}`;
  const xId = `${v.did}#${v.x25519Fragment}`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/ed25519-2018/v1', 'https://w3id.org/security/suites/x25519-2019/v1'],
    id: v.did,
    verificationMethod: [
      { id: edId, type: 'Ed25519VerificationKey2018', controller: v.did, publicKeyBase58: v.publicKeyBase58 },
      { id: xId, type: 'X25519KeyAgreementKey2019', controller: v.did, publicKeyBase58: v.x25519Base58 },
    ],
    assertionMethod: [edId],
    authentication: [edId],
    capabilityInvocation: [edId],
    capabilityDelegation: [edId],
    keyAgreement: [xId],
  };
}

describe('did:key (did:key spec test vectors)', () => {
  it.each(ED25519_VECTORS)('ID-001: seed $seed gives $did', (v) => {
    const pub = ed25519.getPublicKey(fromHex(v.seed));
    expect(base58btcEncode(pub)).toBe(v.publicKeyBase58);
    expect(encodeDidKey('Ed25519', pub)).toBe(v.did);
    const d = decodeDidKey(v.did);
    expect(d.type).toBe('Ed25519');
    expect(toHex(d.publicKey)).toBe(toHex(pub));
    // The X25519 key did:key derives from the Ed25519 key encodes to the spec's z6LS fragment.
    const x = ed25519.utils.toMontgomery(pub);
    expect(base58btcEncode(x)).toBe(v.x25519Base58);
    expect(encodeDidKey('X25519', x)).toBe(`did:key:${v.x25519Fragment}`);
  });

  it.each(X25519_VECTORS)('ID-001: X25519 $did', (v) => {
    const d = decodeDidKey(v.did);
    expect(d.type).toBe('X25519');
    expect(base58btcEncode(d.publicKey)).toBe(v.publicKeyBase58);
    expect(encodeDidKey('X25519', d.publicKey)).toBe(v.did);
  });

  it('ID-001: the spec README example decodes and re-encodes', () => {
    const did = 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH';
    expect(encodeDidKey('Ed25519', decodeDidKey(did).publicKey)).toBe(did);
  });

  it('ID-001: multicodec prefixes are ed 01 / ec 01 (z6Mk / z6LS)', () => {
    const pub = ed25519.getPublicKey(new Uint8Array(32).fill(7));
    const raw = base58btcDecode(encodeDidKey('Ed25519', pub).slice(9));
    expect(toHex(raw.subarray(0, 2))).toBe('ed01');
    expect(encodeDidKey('X25519', new Uint8Array(32).fill(9)).startsWith('did:key:z6LS')).toBe(true);
  });

  it('ID-002: refuses malformed and unsupported DIDs with clear errors', () => {
    const good = ED25519_VECTORS[0]!.did;
    expectError(() => decodeDidKey(42), 'decode_failure', 'DID_NOT_STRING');
    expectError(() => decodeDidKey('did:web:example.com'), 'unsupported', 'DID_METHOD');
    expectError(() => decodeDidKey(good + '#frag'), 'decode_failure', 'DID_SYNTAX');
    expectError(() => decodeDidKey('did:key:' + good.slice(9)), 'decode_failure', 'BAD_MULTIBASE'); // no 'z'
    expectError(() => decodeDidKey(good.slice(0, -1) + '0'), 'decode_failure', 'BAD_BASE58'); // '0' not in alphabet
    expectError(() => decodeDidKey('did:key:z' + base58btcEncode(new Uint8Array([0xed, 0x01, ...new Uint8Array(31).fill(1)]))), 'decode_failure', 'DID_KEY_LENGTH');
    expectError(() => decodeDidKey('did:key:z1' + good.slice(9)), 'unsupported', 'DID_KEY_CODEC'); // a leading zero byte is codec 0
    // secp256k1-pub (0xe7) is a real did:key codec but not an agent key type.
    expectError(() => decodeDidKey('did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'), 'unsupported', 'DID_KEY_CODEC');
    expectError(() => decodeDidKey('did:key:z' + 'a'.repeat(200)), 'decode_failure', 'DID_TOO_LONG');
    // y = 2 is not on the curve: an invalid Ed25519 point encoding.
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    expectError(() => encodeDidKey('Ed25519', notOnCurve), 'decode_failure', 'DID_KEY_POINT');
  });

  it('ID-003: multibase decoders refuse non-canonical and foreign alphabets', () => {
    const cid = computeCid(canonicalJsonBytes({ a: 'b' }), provider);
    expectError(() => parseCid(cid.slice(0, -1) + String.fromCharCode(cid.charCodeAt(cid.length - 1) + 1)), 'decode_failure', 'BAD_BASE32'); // other trailing bits
    expectError(() => parseCid(cid.slice(0, -1)), 'decode_failure', 'BAD_BASE32'); // truncated: not whole bytes
    expectError(() => parseCid('b' + cid.slice(1).toUpperCase()), 'decode_failure', 'BAD_BASE32'); // upper case is another multibase
    expectError(() => parseCid(cid + '===='), 'decode_failure', 'BAD_BASE32'); // padding
    expectError(() => base58btcDecode('0OIl'), 'decode_failure', 'BAD_BASE58');
  });

  // Known answers of the base58 encoding (draft-msporny-base58, section 5) and the multibase varint.
  it.each([
    ['Hello World!', '2NEpo7TZRRrLZSi2U'],
    ['The quick brown fox jumps over the lazy dog.', 'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z'],
  ])('ID-001: base58btc of %j is %s', (text, b58) => {
    expect(base58btcEncode(new TextEncoder().encode(text))).toBe(b58);
    expect(new TextDecoder().decode(base58btcDecode(b58))).toBe(text);
  });

  it('ID-001: base58btc keeps leading zero bytes as 1s; varints are minimal LEB128', () => {
    expect(base58btcEncode(Uint8Array.from([0, 0, 0x28, 0x7f, 0xb4, 0xcd]))).toBe('11233QC4');
    expect(toHex(varintEncode(0xed))).toBe('ed01');
    expect(toHex(varintEncode(0x0200))).toBe('8004');
    expect(varintDecode(Uint8Array.from([0xed, 0x01]), 0, 'v')).toEqual([0xed, 2]);
    expectError(() => varintDecode(Uint8Array.from([0x80, 0x00]), 0, 'v'), 'decode_failure', 'BAD_VARINT');
    expectError(() => varintDecode(Uint8Array.from([0x80]), 0, 'v'), 'decode_failure', 'BAD_VARINT');
  });

  it('ID-001: base58btc round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(toHex(base58btcDecode(base58btcEncode(b)))).toBe(toHex(b));
      }),
    );
  });
});

describe('DID documents', () => {
  it.each(ED25519_VECTORS)('ID-006: the spec document for $did validates as a plain did:key expansion', (v) => {
    const r = validateDidDocument(specDocument(v), provider);
    expect(r.did).toBe(v.did);
    expect(r.proven).toBe(false);
    expect(base58btcEncode(r.agreementPublic)).toBe(v.x25519Base58);
  });

  const signer = () => {
    const ed = provider.ed25519.generateKeyPair();
    const x = provider.x25519.generateKeyPair();
    return { signingPublic: ed.publicKey, agreementPublic: x.publicKey, sign: (m: Uint8Array) => provider.ed25519.sign(ed.privateKey, m) };
  };

  it('ID-004: an agent document lists both keys, keyAgreement X25519, and a verifying proof', async () => {
    const id = signer();
    const doc = await buildDidDocument(id);
    expect(doc.verificationMethod).toHaveLength(2);
    expect(doc.keyAgreement).toEqual([doc.verificationMethod[1]!.id]);
    expect(doc.authentication).toEqual([doc.verificationMethod[0]!.id]);
    const r = validateDidDocument(JSON.parse(JSON.stringify(doc)), provider);
    expect(r.proven).toBe(true);
    expect(toHex(r.signingPublic)).toBe(toHex(id.signingPublic));
    expect(toHex(r.agreementPublic)).toBe(toHex(id.agreementPublic));
  });

  it('ID-006: an independent keyAgreement key without a proof is refused', () => {
    const id = signer();
    expectError(() => validateDidDocument(unsignedDidDocument(id.signingPublic, id.agreementPublic), provider), 'auth_failure', 'DID_DOC_UNBOUND_KEY');
  });

  it('ID-007: a proof over a different keyAgreement key (key substitution) is refused', async () => {
    const id = signer();
    const doc = await buildDidDocument(id);
    const other = unsignedDidDocument(id.signingPublic, provider.x25519.generateKeyPair().publicKey);
    const forged: DidDocument = { ...other, proof: doc.proof! };
    expectError(() => validateDidDocument(forged, provider), 'auth_failure', 'DID_DOC_PROOF_INVALID');
    // A proof signed by some other key is refused too.
    const stranger = await buildDidDocument(signer());
    expectError(() => validateDidDocument({ ...doc, proof: { ...doc.proof!, proofValue: stranger.proof!.proofValue } }, provider), 'auth_failure', 'DID_DOC_PROOF_INVALID');
  });

  it('ID-005: structural errors are refused with the rule that failed', async () => {
    const doc = JSON.parse(JSON.stringify(await buildDidDocument(signer()))) as Record<string, unknown> & DidDocument;
    const other = decodeDidKey(ED25519_VECTORS[1]!.did).did;
    const cases: [string, (d: Record<string, unknown> & DidDocument) => unknown, string][] = [
      ['private key field', (d) => ((d.verificationMethod[0] as unknown as Record<string, unknown>).privateKeyMultibase = 'zabc'), 'DID_DOC_FIELD'],
      ['unknown top-level field', (d) => (d.service = []), 'DID_DOC_FIELD'],
      ['wrong @context', (d) => (d['@context'] = ['https://example.com']), 'DID_DOC_CONTEXT'],
      ['controller of another DID', (d) => (d.verificationMethod[1]!.controller = other), 'DID_DOC_CONTROLLER'],
      ['method id of another DID', (d) => (d.verificationMethod[1]!.id = other + '#' + d.verificationMethod[1]!.id.split('#')[1]), 'DID_DOC_METHOD_ID'],
      ['dangling reference', (d) => (d.keyAgreement = [d.id + '#z6LSnope']), 'DID_DOC_DANGLING'],
      ['two keyAgreement keys', (d) => (d.keyAgreement = [d.keyAgreement[0]!, d.keyAgreement[0]!]), 'DID_DOC_KEY_AGREEMENT'],
      ['keyAgreement pointing at the Ed25519 key', (d) => (d.keyAgreement = [d.verificationMethod[0]!.id]), 'DID_DOC_KEY_AGREEMENT'],
      ['authentication pointing at the X25519 key', (d) => (d.authentication = [d.verificationMethod[1]!.id]), 'DID_DOC_SIGNING_KEY'],
      ['duplicate method id', (d) => (d.verificationMethod = [d.verificationMethod[0]!, d.verificationMethod[0]!, d.verificationMethod[1]!]), 'DID_DOC_DUPLICATE'],
      ['id that is an X25519 did:key', (d) => (d.id = X25519_VECTORS[0]!.did), 'DID_DOC_ID'],
      ['fragment not encoding the key', (d) => (d.verificationMethod[1]!.publicKeyMultibase = d.verificationMethod[0]!.publicKeyMultibase), 'DID_DOC_FRAGMENT'],
    ];
    for (const [what, mutate, reason] of cases) {
      const d = structuredClone(doc);
      mutate(d);
      const err = expectError(() => validateDidDocument(d, provider), 'decode_failure');
      expect(err.reason, what).toBe(reason);
      expect(err.message.startsWith('invalid DID document:'), what).toBe(true);
    }
    expectError(() => validateDidDocument({ ...doc, verificationMethod: [{ ...doc.verificationMethod[0]!, type: 'JsonWebKey2020' }, doc.verificationMethod[1]!] }, provider), 'unsupported', 'DID_DOC_METHOD_TYPE');
    expectError(() => validateDidDocument('{}', provider), 'decode_failure', 'DID_DOC_NOT_OBJECT');
    expectError(() => parseDidDocument(new TextEncoder().encode('{"id": '), provider), 'decode_failure', 'DID_DOC_JSON');
    expectError(() => parseDidDocument(new Uint8Array([0xff, 0xfe]), provider), 'decode_failure', 'DID_DOC_JSON');
    expectError(() => parseDidDocument(new Uint8Array(16 * 1024 + 1).fill(0x20), provider), 'decode_failure', 'DID_DOC_TOO_LARGE');
  });
});

describe('content-addressed publication', () => {
  it('ID-008: CIDv1 json/sha2-256/base32 over the canonical bytes', () => {
    const bytes = canonicalJsonBytes({ b: 'x', a: ['y'] });
    expect(new TextDecoder().decode(bytes)).toBe('{"a":["y"],"b":"x"}');
    const cid = computeCid(bytes, provider);
    // 01 (v1) 80 04 (json 0x0200) 12 20 (sha2-256, 32 bytes): base32 "bagaaiera"
    expect(cid.startsWith('bagaaiera')).toBe(true);
    expect(toHex(parseCid(cid))).toBe(toHex(provider.hash('SHA-256', bytes)));
    expectError(() => parseCid('zabc'), 'decode_failure', 'CID_SYNTAX');
    // A CIDv1 of the raw codec (0x55) is a valid CID, but not one this store issues.
    expectError(() => parseCid(CID.create(1, 0x55, Digest.create(0x12, new Uint8Array(32))).toString()), 'unsupported', 'CID_CODEC');
  });

  it('ID-008: interoperable CIDs: the multiformats example for {"hello":"world"} and the CID specification examples', () => {
    // The json-codec CID that multiformats documents for {hello: 'world'}: our bytes and encoding agree.
    expect(computeCid(canonicalJsonBytes({ hello: 'world' }), provider)).toBe('bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea');
    // Examples of the CID specification: valid CIDs (dag-pb, CIDv0 and a base58btc CIDv1) that name
    // other codecs or encodings than this store issues; each is refused with the precise reason.
    expectError(() => parseCid('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'), 'unsupported', 'CID_CODEC');
    expectError(() => parseCid('QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n'), 'decode_failure', 'CID_SYNTAX');
    expectError(() => parseCid('zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7'), 'decode_failure', 'CID_SYNTAX');
  });

  it('ID-009 ID-010: publish validates, stores canonical bytes, and get checks the hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agentsec-cid-'));
    try {
      const store = new DirectoryContentStore(dir, provider);
      const ed = provider.ed25519.generateKeyPair();
      const doc = await buildDidDocument({ signingPublic: ed.publicKey, agreementPublic: provider.x25519.generateKeyPair().publicKey, sign: (m) => provider.ed25519.sign(ed.privateKey, m) });
      const cid = await publishDidDocument(doc, store, provider);
      expect(await publishDidDocument(doc, store, provider)).toBe(cid); // idempotent
      const stored = await readFile(join(dir, cid), 'utf8');
      expect(stored).toBe(new TextDecoder().decode(canonicalJsonBytes(doc)));
      expect(stored).not.toMatch(/private/i);
      const back = await resolvePublishedDocument(cid, store, provider);
      expect(back.did).toBe(doc.id);
      // Tampered content under the same CID is refused.
      await writeFile(join(dir, cid), stored.replace('"keyAgreement"', '"keyAgreement" '));
      await expectRejects(store.get(cid), 'auth_failure', 'CID_MISMATCH');
      await expectRejects(store.get(computeCid(new Uint8Array([1]), provider)), 'state_failure', 'CID_NOT_FOUND');
      // A document carrying a private key is never published.
      const leaky = { ...doc, verificationMethod: [{ ...doc.verificationMethod[0]!, privateKeyMultibase: 'z' + base58btcEncode(ed.privateKey) }, doc.verificationMethod[1]!] };
      await expectRejects(publishDidDocument(leaky, store, provider), 'decode_failure', 'DID_DOC_FIELD');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
