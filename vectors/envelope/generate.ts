/**
 * Known-answer vectors for envelope format v1 (spec/envelope.md) with a local-ring wrap (ENV-015).
 * Every expected byte is computed here from the spec's formulas on @noble primitives, not by the
 * reference; the inputs are fixed labels hashed to bytes, so the file never changes unless this code
 * does. Invalid cases are byte edits of a valid envelope, with the error kind the spec assigns.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { cat, enc, hex, u16, u32 } from '../kit.js';

export const ENVELOPE_FORMAT = 'agentsec-envelope-vectors/1';
export const ENVELOPE_VECTOR_FILE = 'agentsec-envelope.json';
export const ENVELOPE_SCHEMA_FILE = 'agentsec-envelope.schema.json';

export type Context = Record<string, string>;

export interface EnvelopeTest {
  tcId: number;
  comment: string;
  reqs: string[];
  result: 'valid' | 'invalid';
  /** Local-ring KEK of `kek_version` (32 bytes) and the 12-byte nonce of its wrap. */
  kek: string;
  kek_id: string;
  kek_version: number;
  wrap_nonce: string;
  dek: string;
  salt: string;
  nonce: string;
  context: Context;
  plaintext: string;
  canonical_context: string;
  context_digest: string;
  wrap_aad: string;
  wrapped: string;
  payload_key: string;
  commitment: string;
  payload_aad: string;
  /** The envelope to open with `open_context` (or `context` when absent). */
  envelope: string;
  open_context?: Context;
  expected_error?: string;
}

export interface EnvelopeVectorFile {
  schema: string;
  format: string;
  generator: Record<string, unknown>;
  notes: string[];
  numberOfTests: number;
  tests: EnvelopeTest[];
}

/** Fixed input bytes: SHA-256 of a label, cut to n bytes. */
const fixed = (label: string, n: number): Uint8Array => sha256(enc.encode(`agentsec-envelope-vectors/1 ${label}`)).slice(0, n);

/** C = u32(n) || lp(k) || lp(v) ... in ascending byte order of the UTF-8 keys. */
export function canonical(ctx: Context): Uint8Array {
  const pairs = Object.entries(ctx).map(([k, v]) => [enc.encode(k), enc.encode(v)] as const);
  pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return cat(u32(pairs.length), ...pairs.flatMap(([k, v]) => [u32(k.length), k, u32(v.length), v]));
}

interface Input {
  comment: string;
  reqs: string[];
  kekId: string;
  kekVersion: number;
  context: Context;
  plaintext: Uint8Array;
}

function build(i: Input, label: string): Omit<EnvelopeTest, 'tcId' | 'comment' | 'reqs' | 'result'> {
  const kek = fixed(`${label} kek`, 32);
  const wrapNonce = fixed(`${label} wrap-nonce`, 12);
  const dek = fixed(`${label} dek`, 32);
  const salt = fixed(`${label} salt`, 32);
  const nonce = fixed(`${label} nonce`, 12);
  const C = canonical(i.context);
  const digest = sha256(cat(enc.encode('agentsec/envelope/v1 context'), C));
  const wrapAad = canonical({ 'agentsec:context': hex(digest), 'agentsec:kek-id': i.kekId, 'agentsec:kek-version': String(i.kekVersion) });
  const wrapped = cat(wrapNonce, gcm(kek, wrapNonce, wrapAad).encrypt(dek));
  const key = hkdf(sha256, dek, salt, enc.encode('agentsec/envelope/v1 payload-key'), 32);
  const commitment = hkdf(sha256, dek, salt, enc.encode('agentsec/envelope/v1 commitment'), 32);
  const aad = cat(enc.encode('agentsec/envelope/v1 payload'), new Uint8Array([1, 1]), digest, salt, commitment, nonce, C);
  const payload = gcm(key, nonce, aad).encrypt(i.plaintext);
  const id = enc.encode(i.kekId);
  const envelope = cat(new Uint8Array([1, 1, id.length]), id, digest, u32(i.kekVersion), u16(wrapped.length), wrapped, salt, commitment, nonce, payload);
  return {
    kek: hex(kek), kek_id: i.kekId, kek_version: i.kekVersion, wrap_nonce: hex(wrapNonce), dek: hex(dek), salt: hex(salt), nonce: hex(nonce),
    context: i.context, plaintext: hex(i.plaintext), canonical_context: hex(C), context_digest: hex(digest), wrap_aad: hex(wrapAad),
    wrapped: hex(wrapped), payload_key: hex(key), commitment: hex(commitment), payload_aad: hex(aad), envelope: hex(envelope),
  };
}

const VALID: Input[] = [
  { comment: 'one context pair, short plaintext', reqs: ['ENV-001', 'ENV-002', 'ENV-005', 'ENV-006', 'ENV-015'], kekId: 'local:0001', kekVersion: 1, context: { tenant: 'acme' }, plaintext: enc.encode('hello, envelope') },
  { comment: 'empty context, empty plaintext (payload is the tag alone)', reqs: ['ENV-001', 'ENV-002', 'ENV-005'], kekId: 'local:0002', kekVersion: 1, context: {}, plaintext: new Uint8Array(0) },
  { comment: 'context pairs sorted by UTF-8 key bytes, non-ASCII values, a prefix key', reqs: ['ENV-001', 'ENV-002', 'ENV-012'], kekId: 'local:0003', kekVersion: 1, context: { b: 'x', a: 'bc', ab: 'c', é: 'ü€' }, plaintext: enc.encode('{"k":"v"}') },
  { comment: 'KEK version 3 (u32 big-endian in the header and decimal in the wrap AAD), 100-byte plaintext', reqs: ['ENV-001', 'ENV-002', 'ENV-007', 'ENV-015'], kekId: 'local:0004', kekVersion: 3, context: { object: 'bucket/key.bin' }, plaintext: new Uint8Array(100).map((_, j) => j) },
];

interface Edit {
  comment: string;
  reqs: string[];
  kind: string;
  /** Index into VALID of the envelope to edit. */
  base: number;
  edit: (env: Uint8Array, t: ReturnType<typeof build>) => Uint8Array;
  openContext?: Context;
}

/** Header offsets of an envelope with a kekId of `idLen` bytes and a 60-byte local wrap. */
const off = (idLen: number) => {
  const digest = 3 + idLen;
  const version = digest + 32;
  const wrapped = version + 6;
  const salt = wrapped + 60;
  return { digest, version, wrapped, salt, commitment: salt + 32, nonce: salt + 64, payload: salt + 76 };
};
const flip = (at: (o: ReturnType<typeof off>, env: Uint8Array) => number) => (env: Uint8Array, t: { kek_id: string }): Uint8Array => {
  const out = env.slice();
  const i = at(off(enc.encode(t.kek_id).length), env);
  out[i] = out[i]! ^ 0x01;
  return out;
};
const setByte = (i: number, v: number) => (env: Uint8Array): Uint8Array => {
  const out = env.slice();
  out[i] = v;
  return out;
};

const INVALID: Edit[] = [
  { comment: 'version byte 0x02 (newer than 1)', reqs: ['ENV-003'], kind: 'unsupported', base: 0, edit: setByte(0, 2) },
  { comment: 'version byte 0x00 (older than 1)', reqs: ['ENV-003'], kind: 'decode_failure', base: 0, edit: setByte(0, 0) },
  { comment: 'unknown suite byte 0x02', reqs: ['ENV-003'], kind: 'unsupported', base: 0, edit: setByte(1, 2) },
  { comment: 'flipped bit in the KEK id: another KEK', reqs: ['ENV-009', 'ENV-014'], kind: 'state_failure', base: 0, edit: flip(() => 3) },
  { comment: 'flipped bit in the context digest', reqs: ['ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((o) => o.digest) },
  { comment: 'flipped bit in the KEK version (the wrap is bound to it)', reqs: ['ENV-007', 'ENV-009'], kind: 'auth_failure', base: 3, edit: flip((o) => o.version + 3) },
  { comment: 'flipped bit in the wrapped key', reqs: ['ENV-007', 'ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((o) => o.wrapped + 20) },
  { comment: 'flipped bit in the salt (commitment mismatch)', reqs: ['ENV-006', 'ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((o) => o.salt) },
  { comment: 'flipped bit in the commitment', reqs: ['ENV-006', 'ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((o) => o.commitment + 31) },
  { comment: 'flipped bit in the nonce', reqs: ['ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((o) => o.nonce) },
  { comment: 'flipped bit in the payload ciphertext', reqs: ['ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((o) => o.payload) },
  { comment: 'flipped bit in the last tag byte', reqs: ['ENV-009', 'ENV-013'], kind: 'auth_failure', base: 0, edit: flip((_, env) => env.length - 1) },
  { comment: 'truncated inside the salt', reqs: ['ENV-009'], kind: 'decode_failure', base: 0, edit: (env, t) => env.slice(0, off(enc.encode(t.kek_id).length).salt + 5) },
  { comment: 'payload shorter than the tag', reqs: ['ENV-009'], kind: 'decode_failure', base: 1, edit: (env) => env.slice(0, env.length - 1) },
  { comment: 'opened with a different context value', reqs: ['ENV-010', 'ENV-013'], kind: 'auth_failure', base: 0, edit: (env) => env, openContext: { tenant: 'acmf' } },
  { comment: 'opened with an extra context pair', reqs: ['ENV-010'], kind: 'auth_failure', base: 0, edit: (env) => env, openContext: { tenant: 'acme', x: '' } },
  { comment: 'opened with the empty context', reqs: ['ENV-010'], kind: 'auth_failure', base: 2, edit: (env) => env, openContext: {} },
];

export function generateEnvelopeVectors(): EnvelopeVectorFile {
  const tests: EnvelopeTest[] = [];
  const built = VALID.map((v, k) => build(v, `valid-${k}`));
  VALID.forEach((v, k) => tests.push({ tcId: tests.length + 1, comment: v.comment, reqs: v.reqs, result: 'valid', ...built[k]! }));
  for (const e of INVALID) {
    const b = built[e.base]!;
    const env = e.edit(Buffer.from(b.envelope, 'hex'), b);
    tests.push({
      tcId: tests.length + 1, comment: e.comment, reqs: e.reqs, result: 'invalid', ...b, envelope: hex(env),
      ...(e.openContext ? { open_context: e.openContext } : {}), expected_error: e.kind,
    });
  }
  return {
    schema: ENVELOPE_SCHEMA_FILE,
    format: ENVELOPE_FORMAT,
    generator: { command: 'agentsec vectors generate', implementation: 'vectors/envelope/generate.ts (spec formulas on @noble primitives; the reference is not called)' },
    notes: [
      'Envelope format v1, suite 0x01 (spec/envelope.md). The wrap is the local key ring\'s (ENV-015): wrapped = wrap_nonce || AES-256-GCM(kek, wrap_nonce, dek, wrap_aad), wrap_aad = canonical(binding context + agentsec:kek-id + agentsec:kek-version).',
      'Valid tests: encoding the inputs gives `envelope`; opening it with `context` and the KEK gives `plaintext`. Invalid tests: opening `envelope` with `open_context` (or `context`) must fail with `expected_error`; the other fields are those of the valid envelope it was derived from.',
      'Byte strings are lowercase hex; contexts are objects of strings.',
    ],
    numberOfTests: tests.length,
    tests,
  };
}

export function renderEnvelopeFile(f: EnvelopeVectorFile): string {
  return `${JSON.stringify(f, null, 2)}\n`;
}
