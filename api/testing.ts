/**
 * `agentsec/testing`: fixed randomness for reproducible tests and known-answer vectors. Never use
 * these outside tests: every key they produce is predictable from the seed.
 */
export { deterministicRandomForTestingOnly, seededProviderForTestingOnly } from '../reference/crypto/deterministic.js';
export { withFixedNoiseKeysForTestingOnly } from '../reference/noise/fixed-keys.js';
export type { FixedNoiseKeys } from '../reference/noise/channel.js';
