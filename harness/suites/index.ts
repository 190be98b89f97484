/**
 * The suite registry: every conformance suite `agentsec conform` knows, in run order.
 * Each suite lives in its own file here and exports one `Suite`.
 */
import type { Suite } from '../conform/types.js';
import { primitivesSuite } from './primitives.js';

export const SUITES: readonly Suite[] = [primitivesSuite];

export function suiteNames(): string[] {
  return SUITES.map((s) => s.name);
}
