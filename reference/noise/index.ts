// In-repository exports of reference/noise (the public ones are listed in api/): the Noise Protocol Framework rev 34 (+ hfs) reference.
export { NoiseChannel, createNoiseChannel, type NoiseChannelOptions, type NoiseFallbackOptions, type NoisePhase } from './channel.js';
export { parseProtocolName, CIPHER_NAMES, DH_NAMES, KEM_ALG_NAMES, NOISE_HASH_NAMES, type NoiseProtocol, type CipherName, type NoiseHashName, type DhName, type KemAlgName } from './protocol-name.js';
export { BASE_PATTERNS, BASE_PATTERN_NAMES, ONE_WAY, buildPattern, describePattern, type HandshakePattern, type Token } from './patterns.js';
export { MAX_MESSAGE_LEN } from './handshake-state.js';
export { MAX_PLAINTEXT_LEN, type Direction } from './transport.js';
export { MAX_NONCE, encodeNonce } from './functions.js';
export { encodeFrame, FrameDecoder, FramedStream, handshakeOver } from './framing.js';
export { NoiseExplicitNonceChannel, EXPLICIT_NONCE_LEN, MAX_EXPLICIT_PLAINTEXT_LEN, type PersistentNoiseOptions } from './explicit-nonce-channel.js';
export { NonceReservation, NONCE_RESERVE, type PersistLimit } from './nonce-reservation.js';
export { REPLAY_WINDOW, EMPTY_REPLAY_WINDOW, checkReplay, acceptNonce, type ReplayWindow } from './replay-window.js';
export { MemoryNoiseStateStore, FileNoiseStateStore, type NoiseStateStore } from './state-store.js';
export { encodeTransportBody, decodeTransportBody, type TransportFraming, type TransportSnapshot } from './transport-record.js';
