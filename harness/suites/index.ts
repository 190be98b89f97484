/**
 * The suite registry: every conformance suite `agentsec conform` knows, in run order.
 * Each suite lives in its own file here and exports one `Suite`.
 */
import type { Suite } from '../conform/types.js';

export const SUITES: readonly Suite[] = [];

export function suiteNames(): string[] {
  return SUITES.map((s) => s.name);
}
