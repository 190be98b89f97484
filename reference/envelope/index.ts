// Public exports of reference/envelope: the format, seal/open/rewrap, KEK providers, rotation, caching.
export * from './format.js';
export * from './kek.js';
export * from './envelope.js';
export * from './cache.js';
export * from './kek/local-ring.js';
