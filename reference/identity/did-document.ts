/**
 * DID documents for agent identities.
 *
 * An agent's DID is the did:key of its Ed25519 signing key. Its X25519 key-agreement key is made
 * independently on the device (not derived from the signing key), so the document is not the plain
 * did:key expansion: it lists both keys and carries a proof, an Ed25519 signature by the DID's own
 * key over the canonical document. A document whose key-agreement key differs from the one did:key
 * derives (the birational map of the Ed25519 key) is accepted only with a valid proof; otherwise
 * anyone could publish a document pairing someone's DID with their own X25519 key.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, equalBytes, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { decodeDidKey, decodePublicKeyMultibase, publicKeyMultibase, splitDidUrl, type DidKeyType } from './did-key.js';
import { base58btcDecode, decodeMultibaseBase58btc, multibaseBase58btc } from './multibase.js';

export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
export const PROOF_CRYPTOSUITE = 'agentsec-ed25519-jcs-v1';
// Domain separation: a document signature can never be confused with any other Ed25519 signature.
const PROOF_DOMAIN = utf8('agentsec/did-document/v1\0');

export interface VerificationMethod {
  id: string;
  type: string;
  controller: string;
  publicKeyMultibase?: string;
  publicKeyBase58?: string;
}

export interface DidProof {
  type: 'DataIntegrityProof';
  cryptosuite: string;
  verificationMethod: string;
  proofPurpose: 'assertionMethod';
  proofValue: string;
}

export interface DidDocument {
  '@context': string[];
  id: string;
  verificationMethod: VerificationMethod[];
  authentication?: (string | VerificationMethod)[];
  assertionMethod?: (string | VerificationMethod)[];
  capabilityInvocation?: (string | VerificationMethod)[];
  capabilityDelegation?: (string | VerificationMethod)[];
  keyAgreement: (string | VerificationMethod)[];
  proof?: DidProof;
}

export interface ValidatedDidDocument {
  readonly did: string;
  readonly signingPublic: Uint8Array;
  readonly agreementPublic: Uint8Array;
  /** true when a valid proof by the DID's key binds the key-agreement key. */
  readonly proven: boolean;
  readonly document: DidDocument;
}

const TOP_LEVEL = new Set(['@context', 'id', 'verificationMethod', 'authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation', 'keyAgreement', 'proof']);
const SIGNING_RELATIONS = ['authentication', 'assertionMethod', 'capabilityInvocation', 'capabilityDelegation'] as const;
const VM_FIELDS = new Set(['id', 'type', 'controller', 'publicKeyMultibase', 'publicKeyBase58']);
const VM_TYPES: Record<string, { key: DidKeyType | 'any'; encoding: 'multibase' | 'base58' }> = {
  Multikey: { key: 'any', encoding: 'multibase' },
  Ed25519VerificationKey2020: { key: 'Ed25519', encoding: 'multibase' },
  X25519KeyAgreementKey2020: { key: 'X25519', encoding: 'multibase' },
  Ed25519VerificationKey2018: { key: 'Ed25519', encoding: 'base58' },
  X25519KeyAgreementKey2019: { key: 'X25519', encoding: 'base58' },
};
const MAX_METHODS = 8;

function bad(reason: string, message: string): never {
  throw new AgentsecError('decode_failure', reason, `invalid DID document: ${message}`);
}

function methodFor(did: string, type: DidKeyType, key: Uint8Array): VerificationMethod {
  const mb = publicKeyMultibase(type, key);
  return { id: `${did}#${mb}`, type: 'Multikey', controller: did, publicKeyMultibase: mb };
}

/** The unsigned document for an identity's two public keys. */
export function unsignedDidDocument(signingPublic: Uint8Array, agreementPublic: Uint8Array): DidDocument {
  const did = decodeDidKey(`did:key:${publicKeyMultibase('Ed25519', signingPublic)}`).did;
  const sig = methodFor(did, 'Ed25519', signingPublic);
  const ka = methodFor(did, 'X25519', agreementPublic);
  return {
    '@context': [DID_CONTEXT, MULTIKEY_CONTEXT],
    id: did,
    verificationMethod: [sig, ka],
    authentication: [sig.id],
    assertionMethod: [sig.id],
    capabilityInvocation: [sig.id],
    capabilityDelegation: [sig.id],
    keyAgreement: [ka.id], // @req ID-004
  };
}

/** The exact bytes the proof signs: domain || canonical JSON of the document with proofValue removed. */
export function proofSigningInput(doc: DidDocument): Uint8Array {
  const { proof, ...rest } = doc;
  const body: Record<string, unknown> = { ...rest };
  if (proof) {
    const { proofValue: _omit, ...options } = proof;
    body.proof = options;
  }
  return concatBytes(PROOF_DOMAIN, canonicalJsonBytes(body));
}

/** Builds and signs the document of an identity; `sign` is the identity's store-backed signer. */
export async function buildDidDocument(
  identity: { signingPublic: Uint8Array; agreementPublic: Uint8Array; sign(msg: Uint8Array): Promise<Uint8Array> | Uint8Array },
): Promise<DidDocument> {
  const doc = unsignedDidDocument(identity.signingPublic, identity.agreementPublic);
  const proofOptions = { type: 'DataIntegrityProof' as const, cryptosuite: PROOF_CRYPTOSUITE, verificationMethod: doc.verificationMethod[0]!.id, proofPurpose: 'assertionMethod' as const };
  const toSign = proofSigningInput({ ...doc, proof: { ...proofOptions, proofValue: '' } });
  const signature = await identity.sign(toSign);
  return { ...doc, proof: { ...proofOptions, proofValue: multibaseBase58btc(signature) } };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}

function parseMethod(raw: unknown, did: string, where: string): { vm: VerificationMethod; type: DidKeyType; key: Uint8Array } {
  if (!isPlainObject(raw)) bad('DID_DOC_METHOD', `${where} is not an object`);
  for (const k of Object.keys(raw)) if (!VM_FIELDS.has(k)) bad('DID_DOC_FIELD', `${where} has unknown field ${JSON.stringify(k)}`);
  const { id, type, controller } = raw;
  if (typeof id !== 'string' || typeof type !== 'string' || typeof controller !== 'string') bad('DID_DOC_METHOD', `${where} needs string id, type and controller`);
  const spec = VM_TYPES[type];
  if (!spec) throw new AgentsecError('unsupported', 'DID_DOC_METHOD_TYPE', `invalid DID document: ${where} has unsupported type ${JSON.stringify(type)}`);
  if (controller !== did) bad('DID_DOC_CONTROLLER', `${where}.controller is not the document's DID`);
  const { did: idDid, fragment } = splitDidUrl(id, `${where}.id`);
  if (idDid !== did) bad('DID_DOC_METHOD_ID', `${where}.id does not belong to the document's DID`);
  let keyType: DidKeyType;
  let key: Uint8Array;
  if (spec.encoding === 'multibase') {
    if (raw.publicKeyBase58 !== undefined || typeof raw.publicKeyMultibase !== 'string') bad('DID_DOC_METHOD', `${where} of type ${type} needs publicKeyMultibase only`);
    ({ type: keyType, publicKey: key } = decodePublicKeyMultibase(raw.publicKeyMultibase, `${where}.publicKeyMultibase`));
    if (spec.key !== 'any' && spec.key !== keyType) bad('DID_DOC_KEY_TYPE', `${where} of type ${type} holds a ${keyType} key`);
  } else {
    if (raw.publicKeyMultibase !== undefined || typeof raw.publicKeyBase58 !== 'string') bad('DID_DOC_METHOD', `${where} of type ${type} needs publicKeyBase58 only`);
    keyType = spec.key as DidKeyType;
    key = base58btcDecode(raw.publicKeyBase58, `${where}.publicKeyBase58`);
    if (key.length !== 32) bad('DID_DOC_KEY_LENGTH', `${where}.publicKeyBase58 expected a 32-byte key, got ${key.length}`);
  }
  // did:key fragments are the key's own Multikey string: the id names the key it holds.
  if (fragment !== publicKeyMultibase(keyType, key)) bad('DID_DOC_FRAGMENT', `${where}.id fragment does not encode the method's key`);
  return { vm: raw as unknown as VerificationMethod, type: keyType, key };
}

/**
 * Validates a DID document (an object parsed from JSON) and returns the two keys it binds to the DID.
 * Throws decode_failure (malformed), unsupported (unknown method or key type) or auth_failure
 * (bad proof / unbound key-agreement key) with the rule that failed.
 */
export function validateDidDocument(input: unknown, provider: CryptoProvider): ValidatedDidDocument {
  if (!isPlainObject(input)) bad('DID_DOC_NOT_OBJECT', 'expected a JSON object');
  for (const k of Object.keys(input)) if (!TOP_LEVEL.has(k)) bad('DID_DOC_FIELD', `unknown top-level field ${JSON.stringify(k)}`); // @req ID-005
  const ctx = input['@context'];
  if (!Array.isArray(ctx) || ctx[0] !== DID_CONTEXT || !ctx.every((c) => typeof c === 'string')) bad('DID_DOC_CONTEXT', `@context must be an array of strings starting with ${DID_CONTEXT}`);
  const { did, type: didType, publicKey: signingPublic } = decodeDidKey(input.id);
  if (didType !== 'Ed25519') bad('DID_DOC_ID', 'an agent DID is the did:key of an Ed25519 signing key');

  const vms = input.verificationMethod;
  if (!Array.isArray(vms) || vms.length === 0 || vms.length > MAX_METHODS) bad('DID_DOC_METHODS', `verificationMethod must be an array of 1..${MAX_METHODS} methods`);
  const byId = new Map<string, { type: DidKeyType; key: Uint8Array }>();
  vms.forEach((raw, i) => {
    const m = parseMethod(raw, did, `verificationMethod[${i}]`);
    if (byId.has(m.vm.id)) bad('DID_DOC_DUPLICATE', `verificationMethod id ${m.vm.id} appears twice`);
    byId.set(m.vm.id, { type: m.type, key: m.key });
  });

  const resolve = (ref: unknown, where: string): { type: DidKeyType; key: Uint8Array } => {
    if (typeof ref === 'string') {
      const m = byId.get(ref);
      if (!m) bad('DID_DOC_DANGLING', `${where} references ${ref}, which is not a verificationMethod`);
      return m;
    }
    const m = parseMethod(ref, did, where);
    return { type: m.type, key: m.key };
  };

  for (const rel of SIGNING_RELATIONS) {
    const refs = input[rel];
    if (refs === undefined) continue;
    if (!Array.isArray(refs) || refs.length > MAX_METHODS) bad('DID_DOC_RELATION', `${rel} must be an array`);
    refs.forEach((r, i) => {
      const m = resolve(r, `${rel}[${i}]`);
      // The only signing key an agent DID has is the one the DID encodes.
      if (m.type !== 'Ed25519' || !equalBytes(m.key, signingPublic)) bad('DID_DOC_SIGNING_KEY', `${rel}[${i}] is not the DID's own Ed25519 key`);
    });
  }
  if (!Array.isArray(input.assertionMethod) && !Array.isArray(input.authentication)) bad('DID_DOC_RELATION', 'authentication or assertionMethod must list the DID key');

  const ka = input.keyAgreement;
  if (!Array.isArray(ka) || ka.length !== 1) bad('DID_DOC_KEY_AGREEMENT', 'keyAgreement must list exactly one X25519 key');
  const agreement = resolve(ka[0], 'keyAgreement[0]');
  if (agreement.type !== 'X25519') bad('DID_DOC_KEY_AGREEMENT', 'keyAgreement[0] is not an X25519 key');

  let proven = false;
  if (input.proof !== undefined) {
    verifyProof(input as unknown as DidDocument, signingPublic, provider);
    proven = true;
  } else if (!equalBytes(agreement.key, ed25519.utils.toMontgomery(signingPublic))) {
    // @req ID-006
    throw new AgentsecError('auth_failure', 'DID_DOC_UNBOUND_KEY', 'invalid DID document: its key-agreement key is not derived from the DID key and no proof binds it');
  }
  return { did, signingPublic, agreementPublic: agreement.key, proven, document: input as unknown as DidDocument };
}

function verifyProof(doc: DidDocument, signingPublic: Uint8Array, provider: CryptoProvider): void {
  const p: unknown = doc.proof;
  if (!isPlainObject(p)) bad('DID_DOC_PROOF', 'proof is not an object');
  const keys = Object.keys(p).sort().join(',');
  if (keys !== 'cryptosuite,proofPurpose,proofValue,type,verificationMethod') bad('DID_DOC_PROOF', 'proof must have exactly type, cryptosuite, verificationMethod, proofPurpose, proofValue');
  if (p.type !== 'DataIntegrityProof' || p.cryptosuite !== PROOF_CRYPTOSUITE || p.proofPurpose !== 'assertionMethod') {
    throw new AgentsecError('unsupported', 'DID_DOC_PROOF_SUITE', `invalid DID document: proof must be a DataIntegrityProof with cryptosuite ${PROOF_CRYPTOSUITE} for assertionMethod`);
  }
  const expectedVm = `${doc.id}#${publicKeyMultibase('Ed25519', signingPublic)}`;
  if (p.verificationMethod !== expectedVm) bad('DID_DOC_PROOF', "proof.verificationMethod is not the DID's key");
  const sig = decodeMultibaseBase58btc(p.proofValue as string, 'proof.proofValue');
  if (sig.length !== 64 || !provider.ed25519.verify(signingPublic, proofSigningInput(doc), sig)) {
    // @req ID-007
    throw new AgentsecError('auth_failure', 'DID_DOC_PROOF_INVALID', 'invalid DID document: the proof signature does not verify under the DID key');
  }
}

// An agent document is under 2 KiB; the bound stops a hostile store from feeding huge JSON.
export const MAX_DID_DOCUMENT_BYTES = 16 * 1024;

/** Parses canonical or plain JSON bytes, then validates. */
export function parseDidDocument(bytes: Uint8Array, provider: CryptoProvider): ValidatedDidDocument {
  if (bytes.length > MAX_DID_DOCUMENT_BYTES) bad('DID_DOC_TOO_LARGE', `${bytes.length} bytes; at most ${MAX_DID_DOCUMENT_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    bad('DID_DOC_JSON', 'not UTF-8 JSON');
  }
  return validateDidDocument(json, provider);
}
