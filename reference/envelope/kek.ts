/**
 * The one interface every key-encryption-key holder implements (spec/envelope.md "KEK providers"):
 * a local file ring, AWS KMS, a PKCS#11 token, a TPM. The KEK itself never leaves the provider.
 */
import { AgentsecError } from '../errors.js';
import { canonicalContext, type EncryptionContext } from './format.js';

export interface WrappedKey {
  readonly wrapped: Uint8Array;
  readonly kekId: string;
  readonly kekVersion: number;
}

export type KekVersionState = 'current' | 'previous' | 'retired';

export interface KekVersionInfo {
  readonly version: number;
  readonly state: KekVersionState;
  /** When the version was created (ms since the epoch). */
  readonly createdAt: number;
  /** When it stopped being current (undefined while current). */
  readonly supersededAt?: number;
  /** End of its grace period: after this it may be retired (undefined while current). */
  readonly graceEndsAt?: number;
}

export interface KekProvider {
  readonly kind: 'local' | 'aws' | 'azure' | 'gcp' | 'pkcs11' | 'tpm' | string;
  /** The id stored in envelopes; a provider refuses envelopes carrying another id. */
  readonly kekId: string;
  /**
   * Wraps a data key under the current KEK version. The provider authenticates kekId, kekVersion
   * and the context together with the wrapped key (ENV-007).
   */
  wrap(dek: Uint8Array, context: EncryptionContext): Promise<WrappedKey>;
  /** Unwraps; a retired version throws state_failure/KEK_VERSION_RETIRED naming it. */
  unwrap(key: WrappedKey, context: EncryptionContext): Promise<Uint8Array>;
  /** Moves a wrapped key to the current version. Providers that can do it server-side (KMS ReEncrypt) keep the DEK out of this process. */
  rewrap?(key: WrappedKey, context: EncryptionContext): Promise<WrappedKey>;
  /** Creates a new current version; returns its number. */
  rotate(): Promise<number>;
  currentVersion(): Promise<number>;
  versions(): Promise<KekVersionInfo[]>;
  /** Retires a non-current version: wrapped keys under it can no longer be unwrapped. */
  retire(version: number): Promise<void>;
}

export function retiredError(kekId: string, version: number): AgentsecError {
  // @req ENV-021
  return new AgentsecError('state_failure', 'KEK_VERSION_RETIRED', `KEK "${kekId}" version ${version} is retired; the envelope must have been rewrapped before retirement`);
}

export function wrongKekError(expected: string, got: string): AgentsecError {
  return new AgentsecError('state_failure', 'UNKNOWN_KEK', `envelope names KEK "${got}", this provider holds "${expected}"`);
}

/** Provider-internal unwrap failure: generic, reveals nothing about which check failed. */
export function unwrapFailed(): AgentsecError {
  return new AgentsecError('auth_failure', 'ENV_AUTH', 'envelope authentication failed');
}

export function checkVersionArg(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1 || version > 0xffffffff) {
    throw new AgentsecError('decode_failure', 'BAD_KEK_VERSION', `KEK version must be an integer 1..2^32-1`);
  }
  return version;
}

/** Clock seam: the grace period and the data key cache read time only through this. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/**
 * The authenticated data a KEK that wraps locally (file ring, PKCS#11, TPM) binds its wrap to: the
 * binding context plus the KEK id and the version (ENV-007).
 */
export function kekBindingAad(kekId: string, version: number, context: EncryptionContext): Uint8Array {
  // @req ENV-007
  return canonicalContext({ ...context, 'agentsec:kek-id': kekId, 'agentsec:kek-version': String(version) }, true);
}
