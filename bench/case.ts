/**
 * What one benchmark is: an operation on one implementation, with a correctness check that must
 * pass before any timing. Cases sharing a `group` are the same operation at the same size, so
 * their ratios compare implementations measured in the same process and run.
 */

/** `provider`: the reference through getProvider(); `peer`: a library called directly. */
export type CaseKind = 'provider' | 'peer';

export interface BenchCase {
  /** Operation x size, e.g. `aead-seal-open-1KiB`; the table groups by it. */
  readonly group: string;
  /** Implementation label, unique within the group, e.g. `provider:node AES-256-GCM`. */
  readonly name: string;
  readonly kind: CaseKind;
  /** Bytes of payload one operation processes (counted once), for MB/s; absent when not sized. */
  readonly bytes?: number;
  /**
   * Runs the operation on the benchmark's own inputs and checks the results (known answers,
   * round trips, agreement with other implementations). Returns the names of the checks that
   * passed; throws when one fails, and then the case is not timed.
   */
  verify(): string[] | Promise<string[]>;
  /** One operation. The result is fed to a sink so the work cannot be optimised away. */
  fn(): unknown;
  /** True when fn returns a promise. */
  readonly async?: boolean;
}

/** A group's heading in the table and the JSON, with the unit one "op" stands for. */
export interface GroupInfo {
  readonly id: string;
  readonly title: string;
  readonly op: string;
}

/** An implementation left out of this run, with the reason (not installed, not on this Node, ...). */
export interface Unavailable {
  readonly implementation: string;
  /** Ids (or id prefixes ending in '-') of the groups it is missing from; [] for a whole suite. */
  readonly groups: string[];
  readonly reason: string;
}

/** What a suite file contributes: its cases, its group headings, and what it had to leave out. */
export interface Suite {
  readonly cases: BenchCase[];
  readonly groups: GroupInfo[];
  readonly unavailable: Unavailable[];
}

export class VerificationError extends Error {
  override name = 'VerificationError';
}

/** Throws VerificationError(what) unless cond. */
export function expectTrue(cond: boolean, what: string): void {
  if (!cond) throw new VerificationError(what);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function expectBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!sameBytes(actual, expected)) throw new VerificationError(`${what}: bytes differ`);
}

/** Human size label: 64 -> "64B", 1024 -> "1KiB", 65536 -> "64KiB". */
export function sizeLabel(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20}MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n >> 10}KiB`;
  return `${n}B`;
}
