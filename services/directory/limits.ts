/**
 * The directory's named limits (spec/directory.md "Limits"). Every bound on memory, storage, time
 * and request size lives here, so a deployment can read what it runs with, and a test or a benchmark
 * can override one by name (`startDirectory({ limits: { ... } })`).
 */
export interface DirectoryLimits {
  /** Largest request body: a batch of `maxBatch` PQXDH bundles as hex JSON is about 3.9 MB. */
  readonly maxBodyBytes: number;
  /** Most bundles one publication may carry. */
  readonly maxBatch: number;
  /** Most single-use bundles stored for one agent. */
  readonly maxStoredBundles: number;
  /** Most bytes of bundles (single-use and reusable) stored for one agent. */
  readonly maxStoredBytes: number;
  /** A signed request's timestamp may differ from the directory's clock by at most this. */
  readonly skewMs: number;
  /** Nonces remembered (each for 2 x skewMs); when full of live nonces, signed requests get 503. */
  readonly replayCacheEntries: number;
  /** Requests per client (signing agent, else remote address): a token bucket of this size... */
  readonly clientBurst: number;
  /** ...refilled at this rate per second. */
  readonly clientPerSecond: number;
  /** Bundle fetches per target agent per window (X3DH section 4.7). */
  readonly fetchesPerAgent: number;
  readonly fetchWindowMs: number;
  /** Rate-limit buckets kept; the least recently used bucket is dropped beyond this. */
  readonly rateLimitEntries: number;
  /** Bundles verified between two turns of the event loop while a publication is checked. */
  readonly verifySlice: number;
  /** One mailbox message (opaque ciphertext), at most. */
  readonly maxMessageBytes: number;
  /** Undelivered messages queued for one recipient, and their bytes. */
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  /** A message not acknowledged within this is dropped; its id is remembered as long. */
  readonly messageTtlMs: number;
  /** Most messages one mailbox fetch returns. */
  readonly maxFetchMessages: number;
  /** Time allowed for a request's headers, and for the whole request (headers and body). */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** On SIGTERM, in-flight requests get this long to finish before their connections are closed. */
  readonly drainMs: number;
}

export const DEFAULT_LIMITS: DirectoryLimits = {
  maxBodyBytes: 4_500_000,
  maxBatch: 1000,
  maxStoredBundles: 10_000,
  maxStoredBytes: 32 * 1024 * 1024,
  skewMs: 5 * 60_000,
  replayCacheEntries: 200_000,
  clientBurst: 200,
  clientPerSecond: 50,
  fetchesPerAgent: 1000,
  fetchWindowMs: 60_000,
  rateLimitEntries: 10_000,
  verifySlice: 32,
  maxMessageBytes: 64 * 1024,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 16 * 1024 * 1024,
  messageTtlMs: 14 * 24 * 3600_000,
  maxFetchMessages: 100,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  drainMs: 10_000,
};
