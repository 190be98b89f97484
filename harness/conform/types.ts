/**
 * Contracts of the conformance runner. Suites see an implementation only through `Adapter`,
 * whether it is the reference in process or a third-party process speaking agentsec-adapter/1.
 */
import type { ErrorKind } from '../../protocol/types.js';
import type { Capabilities, HelloResult, Services } from '../../protocol/types.js';

export type { Capabilities, HelloResult, Services };

/** A call that the implementation answered with a protocol error (the kind is from the closed set). */
export class AdapterCallError extends Error {
  constructor(
    readonly method: string,
    readonly kind: ErrorKind,
    message: string,
    /** The finer reason code, when the implementation sent one (`data.reason`). */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'AdapterCallError';
  }
}

/**
 * The harness broke the contract itself (a request whose params do not match
 * spec/adapter-protocol.schema.json): a bug in the test, never a finding about the implementation.
 * The request is not sent.
 */
export class HarnessError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** Options of one call. */
export interface CallOptions {
  /**
   * Why this request deliberately breaks the contract (a negative test of the implementation's input
   * checks): it is sent without checking its params against the schema. Must say why (non-empty).
   */
  readonly unchecked?: string;
}

/** The implementation misbehaved as a process: crashed, hung, wrote garbage or answered out of order. */
export class AdapterFault extends Error {
  constructor(
    readonly fault: 'crash' | 'timeout' | 'garbage' | 'out_of_order' | 'bad_result',
    message: string,
  ) {
    super(message);
    this.name = 'AdapterFault';
  }
}

export interface Adapter {
  readonly hello: HelloResult;
  /**
   * Sends one request; resolves with `result`, rejects with AdapterCallError or AdapterFault.
   * Params are checked against the contract before sending: a mismatch rejects with HarnessError
   * and nothing is sent, unless `opts.unchecked` says why the request is malformed on purpose.
   */
  call(method: string, params: Record<string, unknown>, opts?: CallOptions): Promise<unknown>;
  /** Stderr captured from an out-of-process adapter (empty in process); bounded. */
  stderr(): string;
  /** Stderr written since the previous drain (the runner attaches it to each test); bounded. */
  drainStderr?(): string;
  /** False once the adapter faulted (crash, hang, garbage): the runner starts a fresh one. */
  readonly healthy?: boolean;
  /** The fault that made it unhealthy. */
  readonly failure?: AdapterFault | undefined;
  close(): Promise<void>;
}

/** Per-run services the harness provides (started once per run). */

export interface TestContext {
  /** The implementation under test. */
  readonly iut: Adapter;
  /** The reference, always in process: the peer for interop tests. */
  readonly reference: Adapter;
  /**
   * A 32-bit seed derived from the run's seed and the test id (e.g. for fast-check's `seed`):
   * the same (run seed, test id) always gives the same value, whatever else runs.
   */
  readonly seed: number;
  /** The run's seed itself (what `--seed` reproduces). */
  readonly runSeed?: number;
  /** Deterministic from (run seed, test id): every randomized choice must come from here. */
  readonly rng: Rng;
  readonly services: Services;
  readonly quick: boolean;
  log(line: string): void;
  /**
   * Records a finding that is not a failure (e.g. a malleable, unauthenticated wire byte accepted
   * with the genuine plaintext and no change of state): a test that otherwise passes ends `warn`,
   * and `--strict` makes it `fail`.
   */
  warn(finding: string): void;
}

/** Deterministic PRNG handed to tests. */
export interface Rng {
  int(maxExclusive: number): number;
  bytes(n: number): Uint8Array;
  shuffle<T>(xs: readonly T[]): T[];
}

export interface TestCase {
  /** Stable path id, e.g. `noise/vectors/Noise_IK_25519_ChaChaPoly_SHA256`. */
  readonly id: string;
  /** Requirement IDs from spec/ this test checks. */
  readonly reqs: readonly string[];
  /** Returns a reason string when the test does not apply to these capabilities (reported as n/a). */
  applies?(caps: Capabilities): true | string;
  /** What the test would run under these capabilities (e.g. the protocols it picked), for `--list --impl`. */
  plan?(caps: Capabilities): string;
  /** Overrides the runner's per-test timeout (e.g. a test that walks a whole vector file). */
  readonly timeoutMs?: number;
  /** Throws to fail (use `check` from ./assert.ts for clear messages). */
  run(ctx: TestContext): Promise<void>;
}

export interface SuiteOptions {
  quick: boolean;
  /** The third-party vectors folder (vectors/third_party: noise/, wycheproof/). */
  sharedVectorsDir?: string;
  /** Initial messages in the session suite's replay flood (--replay-flood; CONF-120); a default per quick/full when absent. */
  replayFlood?: number;
}

/**
 * Why a suite cannot run here. A plain string is a missing service or vector folder: skipped with
 * the reason locally, a failure under CI=true. `ciExempt` marks what cannot be had on CI machines
 * at all (the LocalStack image): it stays a skip under CI=true too.
 */
export type Unavailable = string | { reason: string; ciExempt?: boolean };

/** Services a suite started for the run (see Suite.setup). */
export interface SuiteServices {
  /** Merged into the `services` passed in `hello` and in TestContext.services. */
  services: Services;
  /** Called once at the end of the run (also after failures). */
  teardown(): Promise<void>;
}

export interface Suite {
  readonly name: 'primitives' | 'noise' | 'session' | 'envelope' | 'trace' | string;
  readonly description: string;
  /** Returns a reason when the suite cannot run here (missing service or vectors): reported as skipped. */
  unavailable?(opts: SuiteOptions): Unavailable | undefined;
  /**
   * Starts the services this suite needs, once per run, before the implementation is started
   * (e.g. the envelope suite starts the KMS endpoint and returns `{services: {kms: {...}}}`).
   * Only called when at least one of the suite's tests is selected. Throwing fails the suite.
   */
  setup?(opts: SuiteOptions): Promise<SuiteServices>;
  tests(opts: SuiteOptions): TestCase[] | Promise<TestCase[]>;
}

export type Outcome = 'pass' | 'warn' | 'fail' | 'skip' | 'n/a' | 'xfail' | 'xpass';
