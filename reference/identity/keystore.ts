/**
 * The one interface every key store implements (software file, TPM 2.0, PKCS#11). A store makes
 * an identity's two key pairs on the device and afterwards only ever hands out public keys and the
 * results of operations: there is no method that returns private key bytes.
 */
export type KeyStoreKind = 'software' | 'tpm' | 'pkcs11';

export interface IdentityPublicKeys {
  /** Ed25519 public key, 32 bytes. */
  readonly signingPublic: Uint8Array;
  /** X25519 public key, 32 bytes. */
  readonly agreementPublic: Uint8Array;
}

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** Makes a new Ed25519 + X25519 pair inside the store; returns its opaque handle. */
  createIdentityKeys(): Promise<{ handle: string } & IdentityPublicKeys>;
  /** Public keys of a stored identity; throws state_failure/KEY_NOT_FOUND for an unknown handle. */
  publicKeys(handle: string): Promise<IdentityPublicKeys>;
  /** Ed25519 signature (RFC 8032) by the identity's signing key. */
  sign(handle: string, message: Uint8Array): Promise<Uint8Array>;
  /** X25519 with the identity's agreement key; low-order peers give policy_reject/LOW_ORDER_POINT. */
  dh(handle: string, peerPublic: Uint8Array): Promise<Uint8Array>;
  /** Handles of the identities in the store. */
  list(): Promise<string[]>;
  /** Destroys the identity's keys; unknown handle -> state_failure/KEY_NOT_FOUND. */
  delete(handle: string): Promise<void>;
  /** Releases sessions, connections and cached material. */
  close(): Promise<void>;
}

/** Handles are lowercase hex chosen by the store; checked before they touch a path or a token. */
export const HANDLE_RE = /^[0-9a-f]{32}$/;
