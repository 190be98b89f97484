/** JSON Schema (draft 2020-12) of vectors/envelope/agentsec-envelope.json and its check. */
import { checkVectorFile, ERROR_KIND_SCHEMA as kind, HEX_SCHEMA as hex } from '../schema-kit.js';

const context = { type: 'object', additionalProperties: { type: 'string' } } as const;

const HEX_FIELDS = ['kek', 'wrap_nonce', 'dek', 'salt', 'nonce', 'plaintext', 'canonical_context', 'context_digest', 'wrap_aad', 'wrapped', 'payload_key', 'commitment', 'payload_aad', 'envelope'] as const;

export const ENVELOPE_VECTOR_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://agentsec.invalid/schemas/agentsec-envelope-vectors-1.json',
  title: 'Envelope format v1 known-answer vectors (agentsec-envelope-vectors/1)',
  type: 'object',
  required: ['schema', 'format', 'numberOfTests', 'tests'],
  properties: {
    schema: { type: 'string' },
    format: { const: 'agentsec-envelope-vectors/1' },
    generator: { type: 'object' },
    notes: { type: 'array', items: { type: 'string' } },
    numberOfTests: { type: 'integer', minimum: 1 },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tcId', 'comment', 'reqs', 'result', 'kek_id', 'kek_version', 'context', ...HEX_FIELDS],
        properties: {
          tcId: { type: 'integer', minimum: 1 },
          comment: { type: 'string' },
          reqs: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^ENV-[0-9]{3}$' } },
          result: { enum: ['valid', 'invalid'] },
          kek_id: { type: 'string', minLength: 1 },
          kek_version: { type: 'integer', minimum: 1, maximum: 4294967295 },
          context,
          open_context: { ...context, description: 'the context to open with, when not `context`' },
          expected_error: { ...kind, description: 'invalid tests: the error kind opening must fail with' },
          ...Object.fromEntries(HEX_FIELDS.map((k) => [k, hex])),
        },
        additionalProperties: false,
      },
    },
  },
} as const;


/** Checks a file against ENVELOPE_VECTOR_SCHEMA (Ajv) and the file-level rules of schema-kit; returns problems. */
export function checkEnvelopeFile(x: unknown): string[] {
  return checkVectorFile(ENVELOPE_VECTOR_SCHEMA, x);
}
