/** JSON Schema (draft 2020-12) of vectors/envelope/agentsec-envelope.json, and the structural check the tests run. */
import { checkFileHeader, checkTestOutcome, ERROR_KIND_SCHEMA as kind, HEX, HEX_SCHEMA as hex } from '../schema-kit.js';

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


/** Structural check against ENVELOPE_VECTOR_SCHEMA (no JSON Schema validator in the repo); returns problems. */
export function checkEnvelopeFile(x: unknown): string[] {
  const p: string[] = [];
  const tests = checkFileHeader(x, ENVELOPE_VECTOR_SCHEMA.properties.format.const, p);
  if (!tests) return p;
  const allowed = new Set(Object.keys(ENVELOPE_VECTOR_SCHEMA.properties.tests.items.properties));
  tests.forEach((t, i) => {
    const at = `tests[${i}]`;
    for (const k of ENVELOPE_VECTOR_SCHEMA.properties.tests.items.required) if (!(k in t)) p.push(`${at}.${k} missing`);
    for (const k of Object.keys(t)) if (!allowed.has(k)) p.push(`${at}.${k} not allowed`);
    checkTestOutcome(t, i, /^ENV-[0-9]{3}$/, p);
    for (const k of HEX_FIELDS) if (typeof t[k] !== 'string' || !HEX.test(t[k] as string)) p.push(`${at}.${k} must be lowercase hex`);
    if (t.result !== 'valid' && t.result !== 'invalid') p.push(`${at}.result must be valid|invalid`);
    if (typeof t.kek_version !== 'number' || !Number.isSafeInteger(t.kek_version) || t.kek_version < 1) p.push(`${at}.kek_version malformed`);
    for (const k of ['context', 'open_context']) {
      const c = t[k];
      if (c === undefined && k === 'open_context') continue;
      if (typeof c !== 'object' || c === null || Array.isArray(c) || !Object.values(c).every((v) => typeof v === 'string')) p.push(`${at}.${k} must be an object of strings`);
    }
  });
  return p;
}
