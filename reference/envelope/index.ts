// Public exports of reference/envelope: the format, seal/open/rewrap, KEK providers, rotation, caching.
export * from './format.js';
export * from './kek.js';
export * from './envelope.js';
export * from './cache.js';
export { LocalKekRing, DEFAULT_GRACE_MS, RING_FILE_FORMAT, RING_FILE_VERSION, type LocalKekRingOptions } from './kek/local-ring.js';
