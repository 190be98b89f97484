/**
 * The suite registry: every conformance suite `agentsec conform` knows, in run order.
 * Each suite lives in its own file here and exports one `Suite`.
 */
import type { Suite } from '../conform/types.js';
import { envelopeSuite } from './envelope.js';
import { identitySuite } from './identity.js';
import { noiseSuite } from './noise.js';
import { primitivesSuite } from './primitives.js';
import { sessionSuite } from './session.js';
import { traceSuite } from './trace.js';

export const SUITES: readonly Suite[] = [primitivesSuite, noiseSuite, sessionSuite, identitySuite, envelopeSuite, traceSuite];

export function suiteNames(): string[] {
  return SUITES.map((s) => s.name);
}
