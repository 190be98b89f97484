/**
 * The closed set of error kinds (DESIGN.md "Errors"): the same in the reference, the adapter
 * protocol and the reports. `reason` is a finer, stable, machine-readable code inside a kind.
 * Messages never contain key material or plaintext.
 */
export const ERROR_KINDS = [
  'auth_failure',
  'decode_failure',
  'state_failure',
  'policy_reject',
  'duplicate',
  'unsupported',
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

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

export function isErrorKind(x: unknown): x is ErrorKind {
  return typeof x === 'string' && (ERROR_KINDS as readonly string[]).includes(x);
}

export function fail(kind: ErrorKind, reason: string, message: string): never {
  throw new AgentsecError(kind, reason, message);
}

/** Narrow assertion helper: `needs(cond, 'decode_failure', 'BAD_LENGTH', '"nonce" expected 12 bytes, got 11')`. */
export function needs(cond: unknown, kind: ErrorKind, reason: string, message: string): asserts cond {
  if (!cond) throw new AgentsecError(kind, reason, message);
}
