/**
 * The identity a session agent needs: an Ed25519 signing key and an X25519 key agreement key
 * (DESIGN.md "Identity"). Narrow on purpose, so a key-store-backed identity (TPM, PKCS#11) plugs in
 * without the session code ever seeing private key bytes.
 */
import { inspect } from 'node:util';
import { abytes } from '../bytes.js';
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

/** A software identity held in memory; the private keys are only reachable through exportPrivate. */
export function softwareIdentity(
  provider: CryptoProvider,
  keys?: { signingPrivate: Uint8Array; agreementPrivate: Uint8Array },
): SessionIdentity {
  const signingPrivate = keys ? abytes(keys.signingPrivate, 'signingPrivate', 32).slice() : provider.ed25519.generateKeyPair().privateKey;
  const agreementPrivate = keys ? abytes(keys.agreementPrivate, 'agreementPrivate', 32).slice() : provider.x25519.generateKeyPair().privateKey;
  const signingPublic = provider.ed25519.publicKey(signingPrivate);
  const agreementPublic = provider.x25519.publicKey(agreementPrivate);
  const describe = (): string => 'SessionIdentity(software)';
  return {
    signingPublic,
    agreementPublic,
    sign: (m) => provider.ed25519.sign(signingPrivate, m),
    dh: (pub) => provider.x25519.dh(agreementPrivate, pub),
    exportPrivate: () => ({ signingPrivate: signingPrivate.slice(), agreementPrivate: agreementPrivate.slice() }),
    toJSON: describe,
    [inspect.custom]: describe,
  } as SessionIdentity;
}
