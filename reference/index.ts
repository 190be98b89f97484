/**
 * The public entry of the agentsec reference implementation. Everything the harness,
 * vectors and benchmarks use comes through here.
 */
export * from './errors.js';
export * from './bytes.js';
export { writeFileAtomicSync } from './atomic-file.js';
export * from './crypto/index.js';
export * from './config/index.js';
export * from './noise/index.js';
export * from './session/index.js';
export * from './identity/index.js';
export * from './envelope/index.js';
export * from './observability/index.js';
