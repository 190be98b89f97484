/**
 * The closed set of error kinds (spec/adapter-protocol.md "Error codes"): the same in the adapter
 * protocol, the reference and the reports. A finer, stable `reason` code travels inside a kind.
 */
export const ERROR_KINDS = ['auth_failure', 'decode_failure', 'state_failure', 'policy_reject', 'duplicate', 'unsupported', 'internal'] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export function isErrorKind(x: unknown): x is ErrorKind {
  return typeof x === 'string' && (ERROR_KINDS as readonly string[]).includes(x);
}
