/** JSON Schema (draft 2020-12) of vectors/session/agentsec-x3dh.json and its check. */
import { checkVectorFile, ERROR_KIND_SCHEMA as kind, HEX_SCHEMA as hex } from '../schema-kit.js';

const id = { type: 'integer', minimum: 0, maximum: 4294967295 } as const;

const KA_HEX = ['ik_a_sig_seed', 'ik_a_sig_public', 'ik_a_dh_private', 'ik_a_dh_public', 'ek_a_private', 'ek_a_public', 'ik_b_sig_seed', 'ik_b_sig_public',
  'ik_b_dh_private', 'ik_b_dh_public', 'spk_b_private', 'spk_b_public', 'bundle', 'sk', 'ad', 'alice_ratchet_private', 'alice_ratchet_public', 'rk_1', 'cks_1',
  'initial_prefix', 'initial_message', 'bob_ratchet_private', 'bob_ratchet_public', 'rk_2', 'bob_cks_1'] as const;
const KA_OPTIONAL_HEX = ['opk_b_private', 'opk_b_public', 'pq_b_seed', 'pq_b_public', 'pq_encaps_randomness', 'kem_ciphertext', 'kem_shared_secret'] as const;
const MESSAGE_HEX = ['plaintext', 'mk', 'ck_next', 'key', 'nonce', 'header', 'message'] as const;
const STEP_HEX = ['ck', 'mk', 'ck_next', 'key', 'nonce'] as const;
const hexProps = (ks: readonly string[]): Record<string, typeof hex> => Object.fromEntries(ks.map((k) => [k, hex]));
const common = {
  tcId: { type: 'integer', minimum: 1 },
  comment: { type: 'string' },
  reqs: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(X3DH|PQXDH|DR)-[0-9]{3}$' } },
  result: { enum: ['valid', 'invalid'] },
  expected_error: { ...kind, description: 'invalid tests: the error kind of the refusal' },
} as const;

export const SESSION_VECTOR_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://agentsec.invalid/schemas/agentsec-session-vectors-1.json',
  title: 'X3DH / PQXDH and Double Ratchet known-answer vectors, agentsec/1 profile (agentsec-session-vectors/1)',
  type: 'object',
  required: ['schema', 'format', 'numberOfTests', 'tests'],
  properties: {
    schema: { type: 'string' },
    format: { const: 'agentsec-session-vectors/1' },
    generator: { type: 'object' },
    notes: { type: 'array', items: { type: 'string' } },
    numberOfTests: { type: 'integer', minimum: 1 },
    tests: {
      type: 'array',
      items: {
        oneOf: [
          {
            type: 'object',
            required: ['tcId', 'comment', 'reqs', 'result', 'type', 'protocol', 'aead', 'spk_b_id', 'dh', 'messages', 'delivery', 'replies', ...KA_HEX],
            properties: {
              ...common,
              type: { const: 'key_agreement' },
              protocol: { enum: ['x3dh', 'pqxdh'] },
              aead: { enum: ['AES-256-GCM', 'ChaCha20-Poly1305'] },
              spk_b_id: id,
              opk_b_id: id,
              pq_b_id: id,
              pq_b_kind: { enum: ['one_time', 'last_resort'] },
              dh: { type: 'array', minItems: 3, maxItems: 4, items: hex },
              delivery: { type: 'array', items: { type: 'integer', minimum: 0 } },
              messages: {
                type: 'array',
                minItems: 1,
                items: { type: 'object', required: ['n', ...MESSAGE_HEX], properties: { n: id, ...hexProps(MESSAGE_HEX) }, additionalProperties: false },
              },
              replies: {
                type: 'array',
                items: { type: 'object', required: ['n', ...MESSAGE_HEX], properties: { n: id, ...hexProps(MESSAGE_HEX) }, additionalProperties: false },
              },
              ...hexProps([...KA_HEX, ...KA_OPTIONAL_HEX]),
            },
            additionalProperties: false,
          },
          {
            type: 'object',
            required: ['tcId', 'comment', 'reqs', 'result', 'type', 'rk', 'dh_out', 'rk_next', 'ck'],
            properties: { ...common, type: { const: 'kdf_rk' }, ...hexProps(['rk', 'dh_out', 'rk_next', 'ck']) },
            additionalProperties: false,
          },
          {
            type: 'object',
            required: ['tcId', 'comment', 'reqs', 'result', 'type', 'aead', 'steps'],
            properties: {
              ...common,
              type: { const: 'kdf_ck' },
              aead: { enum: ['AES-256-GCM', 'ChaCha20-Poly1305'] },
              steps: { type: 'array', minItems: 1, items: { type: 'object', required: [...STEP_HEX], properties: hexProps(STEP_HEX), additionalProperties: false } },
            },
            additionalProperties: false,
          },
        ],
      },
    },
  },
} as const;

/** Checks a file against SESSION_VECTOR_SCHEMA (Ajv) plus what a schema cannot say: delivery indexes messages. */
export function checkSessionFile(x: unknown): string[] {
  return checkVectorFile(SESSION_VECTOR_SCHEMA, x, (t, at, p) => {
    if (t.type !== 'key_agreement') return;
    const n = (t.messages as unknown[]).length;
    if (!(t.delivery as unknown[]).every((d) => Number.isInteger(d) && (d as number) >= 0 && (d as number) < n)) p.push(`${at}.delivery must index messages`);
  });
}
