/**
 * The identity a session agent needs: an Ed25519 signing key and an X25519 key agreement key
 * (spec/identity.md). Narrow on purpose, so a key-store-backed identity (TPM, PKCS#11) plugs in
 * without the session code ever seeing private key bytes.
 */
import { inspect } from 'node:util';
import { abytes } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { privateKeyBytesForPersistence } from '../crypto/keys.js';
import type { CryptoProvider } from '../crypto/provider.js';

export interface SessionIdentity {
  readonly signingPublic: Uint8Array;
  readonly agreementPublic: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
  /** X25519 with the agreement private key; throws policy_reject/LOW_ORDER_POINT on a low-order key. */
  dh(publicKey: Uint8Array): Uint8Array;
  /** Present only on software identities: the private keys, for the agent record. */
  exportPrivate?(): { signingPrivate: Uint8Array; agreementPrivate: Uint8Array };
}

/**
 * A software identity held in memory as two private key handles (made once, so signing and DH do
 * no per-call key import); the private keys are only reachable through exportPrivate.
 */
export function softwareIdentity(
  provider: CryptoProvider,
  keys?: { signingPrivate: Uint8Array; agreementPrivate: Uint8Array },
): SessionIdentity {
  const signing = keys ? provider.ed25519.importPrivateKey(abytes(keys.signingPrivate, 'signingPrivate', 32)) : provider.ed25519.generate();
  const agreement = keys ? provider.x25519.importPrivateKey(abytes(keys.agreementPrivate, 'agreementPrivate', 32)) : provider.x25519.generate();
  const describe = (): string => 'SessionIdentity(software)';
  return {
    signingPublic: signing.publicKey.slice(),
    agreementPublic: agreement.publicKey.slice(),
    sign: (m) => provider.ed25519.sign(signing, m),
    dh: (pub) => provider.x25519.dh(agreement, pub),
    exportPrivate: () => ({ signingPrivate: privateKeyBytesForPersistence(signing), agreementPrivate: privateKeyBytesForPersistence(agreement) }),
    toJSON: describe,
    [inspect.custom]: describe,
  } as SessionIdentity;
}

/** An identity whose operations are asynchronous: a key store (software file, TPM, PKCS#11). */
export interface AsyncSessionIdentity {
  readonly signingPublic: Uint8Array;
  readonly agreementPublic: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
  dh(publicKey: Uint8Array): Promise<Uint8Array>;
}

/** The narrow part of reference/identity's KeyStore the session code uses. */
export interface SessionKeyStore {
  sign(handle: string, message: Uint8Array): Promise<Uint8Array>;
  dh(handle: string, peerPublic: Uint8Array): Promise<Uint8Array>;
  publicKeys(handle: string): Promise<{ signingPublic: Uint8Array; agreementPublic: Uint8Array }>;
}

/** A session identity held in a key store under `handle`; private keys never leave the store. */
export async function keyStoreIdentity(store: SessionKeyStore, handle: string): Promise<AsyncSessionIdentity> {
  const pub = await store.publicKeys(handle);
  return {
    signingPublic: pub.signingPublic,
    agreementPublic: pub.agreementPublic,
    sign: (m) => store.sign(handle, m),
    dh: (p) => store.dh(handle, p),
  };
}

/**
 * Bridges an asynchronous identity to the synchronous handshake code: the agent's async methods
 * first ask the store for exactly the signatures and DH values the operation will need, then run
 * the synchronous operation, which finds them here. Anything not prepared is an internal error.
 */
export class PreparedIdentity implements SessionIdentity {
  readonly signingPublic: Uint8Array;
  readonly agreementPublic: Uint8Array;
  private readonly memo = new Map<string, Uint8Array>();

  constructor(readonly source: AsyncSessionIdentity) {
    this.signingPublic = abytes(source.signingPublic, 'signingPublic', 32).slice();
    this.agreementPublic = abytes(source.agreementPublic, 'agreementPublic', 32).slice();
  }

  async prepare(dhPublics: readonly Uint8Array[], messages: readonly Uint8Array[]): Promise<void> {
    for (const pub of dhPublics) this.memo.set(`dh:${Buffer.from(pub).toString('hex')}`, await this.source.dh(pub));
    for (const m of messages) this.memo.set(`sign:${Buffer.from(m).toString('hex')}`, await this.source.sign(m));
  }

  clear(): void {
    for (const v of this.memo.values()) v.fill(0);
    this.memo.clear();
  }

  private take(key: string): Uint8Array {
    const v = this.memo.get(key);
    if (!v) throw new AgentsecError('internal', 'IDENTITY_NOT_PREPARED', 'this agent\'s identity is held in a key store: use the async method (bundleAsync, initiateAsync, decryptAsync)');
    return v.slice();
  }

  sign(message: Uint8Array): Uint8Array {
    return this.take(`sign:${Buffer.from(message).toString('hex')}`);
  }

  dh(publicKey: Uint8Array): Uint8Array {
    return this.take(`dh:${Buffer.from(publicKey).toString('hex')}`);
  }

  toJSON(): string {
    return 'SessionIdentity(key store)';
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
