/**
 * The agentsec-adapter/1 contract as types (spec/adapter-protocol.md): what the harness sends and
 * what an adapter answers. Shared by the harness and the reference's adapter, and nothing else.
 */
import type { Capabilities } from './capabilities.js';
import { ERROR_KINDS, isErrorKind, type ErrorKind } from './errors.js';

export { ERROR_KINDS, isErrorKind, type ErrorKind };

export type { Capabilities, Services } from './capabilities.js';

export interface HelloResult {
  name: string;
  version: string;
  protocol: 1;
  capabilities: Capabilities;
}
