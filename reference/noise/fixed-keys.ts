/**
 * Known-answer tests need a handshake's ephemeral (and, for hfs, its KEM randomness) fixed; real
 * channels never may (NOISE-031). The fixed keys travel under a symbol that only this function sets,
 * and it is exported from `agentsec/testing` only, never from `agentsec/noise`.
 */
import { FIXED_KEYS, type FixedNoiseKeys, type NoiseChannelOptions } from './channel.js';

// @req NOISE-031
export function withFixedNoiseKeysForTestingOnly(opts: NoiseChannelOptions, keys: FixedNoiseKeys): NoiseChannelOptions {
  return Object.assign({ ...opts }, { [FIXED_KEYS]: { ...keys } });
}
