/** `agentsec/noise`: Noise Protocol Framework channels (rev 34, + hfs, fallback), framing, persistence. */
export { NoiseChannel, createNoiseChannel, type NoiseChannelOptions, type NoiseFallbackOptions, type NoisePhase } from '../reference/noise/channel.js';
export { parseProtocolName, type NoiseProtocol, type CipherName, type NoiseHashName, type DhName, type KemAlgName } from '../reference/noise/protocol-name.js';
export { BASE_PATTERN_NAMES } from '../reference/noise/patterns.js';
export { MAX_MESSAGE_LEN } from '../reference/noise/handshake-state.js';
export { MAX_PLAINTEXT_LEN, type Direction } from '../reference/noise/transport.js';
export { encodeFrame, FrameDecoder, FramedStream, handshakeOver } from '../reference/noise/framing.js';
export { NoiseExplicitNonceChannel, EXPLICIT_NONCE_LEN, MAX_EXPLICIT_PLAINTEXT_LEN, type PersistentNoiseOptions } from '../reference/noise/explicit-nonce-channel.js';
export { MemoryNoiseStateStore, FileNoiseStateStore, type NoiseStateStore } from '../reference/noise/state-store.js';
