/**
 * Errors of the library. The closed set of kinds is the adapter contract's (protocol/errors.ts), so
 * the reference, agentsec-adapter/1 and the reports share one list. `reason` is a finer, stable,
 * machine-readable code inside a kind. Messages never contain key material or plaintext.
 */
import { ERROR_KINDS, isErrorKind, type ErrorKind } from '../protocol/errors.js';

export { ERROR_KINDS, isErrorKind, type ErrorKind };

export class AgentsecError extends Error {
  readonly kind: ErrorKind;
  readonly reason: string;

  constructor(kind: ErrorKind, reason: string, message: string) {
    super(message);
    this.name = 'AgentsecError';
    this.kind = kind;
    this.reason = reason;
  }

  toJSON(): { kind: ErrorKind; reason: string; message: string } {
    return { kind: this.kind, reason: this.reason, message: this.message };
  }
}

export function fail(kind: ErrorKind, reason: string, message: string): never {
  throw new AgentsecError(kind, reason, message);
}

/** Narrow assertion helper: `needs(cond, 'decode_failure', 'BAD_LENGTH', '"nonce" expected 12 bytes, got 11')`. */
export function needs(cond: unknown, kind: ErrorKind, reason: string, message: string): asserts cond {
  if (!cond) throw new AgentsecError(kind, reason, message);
}
