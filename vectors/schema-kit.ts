/**
 * Pieces shared by the JSON Schemas of the project's vector files and their structural checks
 * (Wycheproof-style files: schema, format, numberOfTests, tests[] with tcId, reqs, result).
 */
export const HEX_SCHEMA = { type: 'string', pattern: '^([0-9a-f]{2})*$' } as const;
/** The closed set of error kinds (spec/conventions.md CONV-001). */
export const ERROR_KIND_SCHEMA = { enum: ['auth_failure', 'decode_failure', 'state_failure', 'policy_reject', 'duplicate', 'unsupported', 'internal'] } as const;
export const HEX = /^(?:[0-9a-f]{2})*$/;

const KINDS: readonly string[] = ERROR_KIND_SCHEMA.enum;

/** Checks the file header; returns its tests, or undefined when there is no tests[] to check. */
export function checkFileHeader(x: unknown, format: string, p: string[]): Record<string, unknown>[] | undefined {
  const f = x as { schema?: unknown; format?: unknown; numberOfTests?: unknown; tests?: unknown };
  if (typeof f !== 'object' || f === null || !Array.isArray(f.tests)) {
    p.push('top level must be an object with tests[]');
    return undefined;
  }
  if (typeof f.schema !== 'string') p.push('schema missing');
  if (f.format !== format) p.push('format mismatch');
  if (f.numberOfTests !== f.tests.length) p.push('numberOfTests differs from tests.length');
  return f.tests as Record<string, unknown>[];
}

/** tcId numbering, requirement IDs, and an expected_error (a known kind) exactly on invalid tests. */
export function checkTestOutcome(t: Record<string, unknown>, i: number, reqId: RegExp, p: string[]): void {
  const at = `tests[${i}]`;
  if (t.tcId !== i + 1) p.push(`${at}.tcId must be ${i + 1}`);
  if (!Array.isArray(t.reqs) || t.reqs.length === 0 || !t.reqs.every((r) => typeof r === 'string' && reqId.test(r))) p.push(`${at}.reqs malformed`);
  if ((t.result === 'invalid') !== (typeof t.expected_error === 'string')) p.push(`${at}: expected_error goes with result invalid`);
  if (t.expected_error !== undefined && !KINDS.includes(t.expected_error as string)) p.push(`${at}.expected_error unknown kind`);
}
