/**
 * The agentsec-adapter/1 contract as types (spec/adapter-protocol.md): what the harness sends and
 * what an adapter answers. Shared by the harness and the reference's adapter, and nothing else.
 */
import { ERROR_KINDS, isErrorKind, type ErrorKind } from './errors.js';

export { ERROR_KINDS, isErrorKind, type ErrorKind };

/** What `hello` returns (spec/adapter-protocol.md). */
export interface Capabilities {
  noise?: {
    patterns: string[];
    dh: string[];
    cipher: string[];
    hash: string[];
    hfs?: string[];
    fixed_ephemeral?: boolean;
    rekey?: boolean;
    set_nonce?: boolean;
  };
  session?: {
    kinds: string[];
    export?: boolean;
    profile?: string;
    /** `session.agent` takes `keys` and initiate/encrypt/decrypt take `fixed` (known answers). */
    fixed_randomness?: boolean;
    /** What an initial message or bundle under a changed identity key of a known peer meets: refused (`pin`) or accepted and reported (`surface`). */
    identity_policy?: 'pin' | 'surface';
  };
  envelope?: { kms: string[] };
  /** `identity.create`, `identity.public`, `identity.sign`, `identity.verify` (spec/identity.md ID-031). */
  identity?: { sign: string[]; did?: string[] };
  primitives?: string[];
}

export interface HelloResult {
  name: string;
  version: string;
  protocol: 1;
  capabilities: Capabilities;
}

/** The services the harness runs for a test and announces in `hello`. */
export interface Services {
  kms?: { endpoint: string; region: string; key_id: string };
}
