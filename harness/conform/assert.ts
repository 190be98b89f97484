import { AdapterCallError } from './types.js';
import type { ErrorKind } from '../../reference/errors.js';

/** A failed expectation in a conformance test; the message is the finding shown to users. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
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

export function skipTest(reason: string, opts: { ciExempt?: boolean } = {}): never {
  throw new TestSkipped(reason, opts.ciExempt ?? false);
}
