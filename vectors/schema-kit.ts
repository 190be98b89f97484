import { schemaValidator } from '../spec/tools/schema-validator.js';

/**
 * Pieces shared by the JSON Schemas of the project's vector files and their structural checks
 * (Wycheproof-style files: schema, format, numberOfTests, tests[] with tcId, reqs, result).
 */
export const HEX_SCHEMA = { type: 'string', pattern: '^([0-9a-f]{2})*$' } as const;
/** The closed set of error kinds (spec/conventions.md CONV-001). */
export const ERROR_KIND_SCHEMA = { enum: ['auth_failure', 'decode_failure', 'state_failure', 'policy_reject', 'duplicate', 'unsupported', 'internal'] } as const;

/**
 * Validates a vector file: the JSON Schema (Ajv, from the schema object the file's .schema.json is
 * written from), then what a schema cannot say -- numberOfTests equals the count, tcIds number the
 * tests from 1, and expected_error appears exactly on invalid tests. Returns problems.
 */
export function checkVectorFile(schema: object, x: unknown, extra?: (test: Record<string, unknown>, at: string, p: string[]) => void): string[] {
  const p = schemaValidator(schema)(x);
  if (p.length > 0) return p;
  const f = x as { numberOfTests?: unknown; tests: Record<string, unknown>[] };
  if (f.numberOfTests !== f.tests.length) p.push('numberOfTests differs from tests.length');
  f.tests.forEach((t, i) => {
    const at = `tests[${i}]`;
    if (t.tcId !== i + 1) p.push(`${at}.tcId must be ${i + 1}`);
    if ((t.result === 'invalid') !== (typeof t.expected_error === 'string')) p.push(`${at}: expected_error goes with result invalid`);
    extra?.(t, at, p);
  });
  return p;
}
