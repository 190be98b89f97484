/**
 * An agent identity: an Ed25519 signing pair and an X25519 key-agreement pair held by a key store.
 * The object carries handles and public keys only; sign and dh go through the store.
 */
import { abytes, toHex } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { encodeDidKey } from './did-key.js';
import { HANDLE_RE, type KeyStore, type KeyStoreKind } from './keystore.js';

/**
 * The shape the session and handshake code consume. Hardware is asynchronous (a TPM answers over a
 * socket), so callers await sign and dh; an in-memory identity may answer synchronously.
 */
export interface AgentIdentity {
  readonly signingPublic: Uint8Array;
  readonly agreementPublic: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array> | Uint8Array;
  dh(peerPublic: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

export class StoredIdentity implements AgentIdentity {
  readonly did: string;

  constructor(
    private readonly store: KeyStore,
    readonly handle: string,
    readonly signingPublic: Uint8Array,
    readonly agreementPublic: Uint8Array,
    private readonly provider: CryptoProvider,
  ) {
    this.did = encodeDidKey('Ed25519', signingPublic);
  }

  get storeKind(): KeyStoreKind {
    return this.store.kind;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    abytes(message, 'message');
    const sig = await this.store.sign(this.handle, message);
    // A faulty device (or a fault injected into one) must not leak a bad signature: check it.
    if (sig.length !== 64 || !this.provider.ed25519.verify(this.signingPublic, message, sig)) {
      throw new AgentsecError('internal', 'SIGNATURE_SELF_CHECK', `the ${this.store.kind} key store returned a signature that does not verify`); // @req KEY-003
    }
    return sig;
  }

  async dh(peerPublic: Uint8Array): Promise<Uint8Array> {
    abytes(peerPublic, 'peerPublic', 32);
    return this.store.dh(this.handle, peerPublic);
  }

  toJSON(): { did: string; store: KeyStoreKind; handle: string; signingPublic: string; agreementPublic: string } {
    return { did: this.did, store: this.store.kind, handle: this.handle, signingPublic: toHex(this.signingPublic), agreementPublic: toHex(this.agreementPublic) };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `StoredIdentity(${this.did}, ${this.store.kind})`;
  }
}

/** Makes a new identity inside the store. */
export async function createIdentity(store: KeyStore, provider: CryptoProvider): Promise<StoredIdentity> {
  const { handle, signingPublic, agreementPublic } = await store.createIdentityKeys(); // @req ID-011
  return new StoredIdentity(store, handle, signingPublic, agreementPublic, provider);
}

/** Opens an existing identity by handle. */
export async function openIdentity(store: KeyStore, handle: string, provider: CryptoProvider): Promise<StoredIdentity> {
  checkHandle(handle);
  const { signingPublic, agreementPublic } = await store.publicKeys(handle);
  return new StoredIdentity(store, handle, signingPublic, agreementPublic, provider);
}

export function checkHandle(handle: unknown): asserts handle is string {
  if (typeof handle !== 'string' || !HANDLE_RE.test(handle)) {
    throw new AgentsecError('decode_failure', 'BAD_HANDLE', 'key handle expected 32 lowercase hex characters');
  }
}
