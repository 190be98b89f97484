/** Every benchmark suite `agentsec bench` runs, in the order its tables are printed. */
import { envelopeSuite } from './envelope.bench.js';
import { noiseSuite } from './noise.bench.js';
import { persistSuite } from './persist.bench.js';
import { primitiveSuite } from './primitives.bench.js';
import { ratchetSuite } from './ratchet.bench.js';
import type { SuiteSource } from './run.js';

export const SUITES: readonly SuiteSource[] = [
  { name: 'primitives', load: primitiveSuite },
  { name: 'noise', load: noiseSuite },
  { name: 'sessions', load: ratchetSuite },
  { name: 'persistence', load: persistSuite },
  { name: 'envelope', load: envelopeSuite },
];
