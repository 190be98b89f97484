import { AdapterCallError } from './types.js';
import type { ErrorKind } from '../../protocol/types.js';

/** Where two byte strings first differ, with a short window of each around it (CONF-061). */
export interface ByteDiff {
  what: string;
  /** First differing offset (the shorter length when one is a prefix of the other). */
  offset: number;
  expected_length: number;
  actual_length: number;
  /** Offset of the first byte shown in `expected` and `actual`. */
  window_start: number;
  /** Hex of at most DIFF_WINDOW bytes from window_start (fewer than 16: never a key's worth, OBS-016). */
  expected: string;
  actual: string;
}

/** A failed expectation in a conformance test; the message is the finding shown to users. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
  constructor(
    message: string,
    /** Set when the finding is a byte string that differs from the expected one. */
    readonly diff?: ByteDiff,
  ) {
    super(message);
  }
}

const DIFF_BEFORE = 4;
export const DIFF_WINDOW = 12;

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

// @req CONF-061
/** The first differing offset of two byte strings, or undefined when they are equal. */
export function byteDiff(actual: Uint8Array, expected: Uint8Array, what: string): ByteDiff | undefined {
  const n = Math.min(actual.length, expected.length);
  let offset = 0;
  while (offset < n && actual[offset] === expected[offset]) offset++;
  if (offset === n && actual.length === expected.length) return undefined;
  const start = Math.max(0, offset - DIFF_BEFORE);
  return {
    what,
    offset,
    expected_length: expected.length,
    actual_length: actual.length,
    window_start: start,
    expected: toHex(expected.subarray(start, start + DIFF_WINDOW)),
    actual: toHex(actual.subarray(start, start + DIFF_WINDOW)),
  };
}

/** The diff as two aligned lines under a header, e.g. for the terminal and the HTML report. */
export function formatDiff(d: ByteDiff): string {
  const spaced = (h: string): string => (h.match(/../g) ?? []).join(' ');
  const mark = ' '.repeat((d.offset - d.window_start) * 3);
  return [
    `${d.what}: first difference at byte ${d.offset} (expected ${d.expected_length} bytes, got ${d.actual_length})`,
    `  offset ${d.window_start}:`,
    `  expected ${spaced(d.expected) || '(end)'}`,
    `  actual   ${spaced(d.actual) || '(end)'}`,
    `           ${mark}^^`,
  ].join('\n');
}

/** Checks that a byte string equals the expected one; on a mismatch the failure carries the hex diff. */
export function checkBytes(actual: Uint8Array, expected: Uint8Array, finding: string): void {
  const d = byteDiff(actual, expected, 'bytes');
  if (d) throw new CheckFailure(`${finding} (first difference at byte ${d.offset} of ${d.expected_length})`, d);
}

export function check(cond: unknown, finding: string): asserts cond {
  if (!cond) throw new CheckFailure(finding);
}

/** Expects the call to be refused with one of the given kinds (any kind when none are given). */
export async function expectRefusal(p: Promise<unknown>, what: string, kinds: ErrorKind[] = []): Promise<ErrorKind> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AdapterCallError) {
      if (kinds.length > 0 && !kinds.includes(e.kind)) {
        throw new CheckFailure(`${what}: refused with "${e.kind}", expected ${kinds.join(' or ')}`);
      }
      return e.kind;
    }
    throw e;
  }
  throw new CheckFailure(`${what}: accepted, expected a refusal${kinds.length ? ` (${kinds.join(' or ')})` : ''}`);
}

/**
 * Thrown by a test that cannot run here (a missing service or file): reported as `skip` with the
 * reason; under CI=true a failure unless `ciExempt`.
 */
export class TestSkipped extends Error {
  override name = 'TestSkipped';
  constructor(
    reason: string,
    readonly ciExempt = false,
  ) {
    super(reason);
  }
}

/**
 * Thrown by a test that finds, from the implementation's own output, that the property it checks is
 * not claimed (CONF-152): reported as `n/a` with the reason.
 */
export class TestNotApplicable extends Error {
  override name = 'TestNotApplicable';
}

export function skipTest(reason: string, opts: { ciExempt?: boolean } = {}): never {
  throw new TestSkipped(reason, opts.ciExempt ?? false);
}
