/** Every benchmark suite `agentsec bench` runs, in the order its tables are printed. */
import { primitiveSuite } from './primitives.bench.js';
import type { SuiteSource } from './run.js';

export const SUITES: readonly SuiteSource[] = [{ name: 'primitives', load: primitiveSuite }];
