// A deliberately flawed agent node, written the way the mission's seed sketches it. DO NOT USE.
// It exists so the conformance suites have something real to catch. Its flaws, on purpose:
//   1. the Ed25519 "signing key" is just random bytes that nothing ever signs with: bundles carry
//      no signature, so a tampered bundle is accepted;
//   2. no real handshake: one X25519 DH expanded with HKDF (no Noise, no transcript hash, no
//      authentication of the static keys), whatever the protocol name says;
//   3. random 12-byte nonces under one long-lived key (AES-256-GCM, even when ChaChaPoly was asked);
//   4. no ratchet: one key per direction for the life of the session (no forward secrecy, no
//      post-compromise security, replays accepted);
//   5. state export keeps the identity but not the sessions: a restart loses them;
//   6. envelope encryption does not store the payload nonce, so an envelope cannot be opened, and
//      the encryption context is not bound.
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export class NaiveError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

export function generateIdentity() {
  const signingKey = randomBytes(32); // flaw 1: never used to sign anything
  const exchangeKey = randomBytes(32);
  return { signingKey, exchangeKey, publicKey: x25519.getPublicKey(exchangeKey) };
}

/** Flaw 2: "the handshake" is one DH through HKDF; the first half sends, the second receives. */
export function deriveSessionKeys(ourPrivate, theirPublic, initiator) {
  const shared = x25519.getSharedSecret(ourPrivate, theirPublic);
  const material = hkdf(sha256, shared, undefined, utf8ToBytes('agent-session-key'), 64);
  const a = material.slice(0, 32);
  const b = material.slice(32, 64);
  return initiator ? { sendKey: a, recvKey: b } : { sendKey: b, recvKey: a };
}

/** Flaw 3: a random nonce per message under the same key, sent in front of the ciphertext. */
export function encryptPayload(key, payload) {
  const nonce = randomBytes(12);
  return concatBytes(nonce, gcm(key, nonce).encrypt(payload));
}

export function decryptPayload(key, data) {
  if (data.length < 28) throw new NaiveError('decode_failure', 'ciphertext too short');
  try {
    return gcm(key, data.subarray(0, 12)).decrypt(data.subarray(12));
  } catch {
    throw new NaiveError('auth_failure', 'decryption failed');
  }
}

/** Flaw 6: the payload nonce is thrown away; the KMS wraps the DEK without any context. */
export async function wrapForCloudStorage(plaintext, kms) {
  const dek = randomBytes(32);
  const encryptedPayload = gcm(dek, randomBytes(12)).encrypt(plaintext);
  const wrappedKey = await kms.encryptKey(dek);
  return { encryptedPayload, wrappedKey };
}

export async function unwrapFromCloudStorage({ encryptedPayload, wrappedKey }, kms) {
  const dek = await kms.decryptKey(wrappedKey);
  try {
    // Without the stored nonce, the best it can do is guess one.
    return gcm(dek, new Uint8Array(12)).decrypt(encryptedPayload);
  } catch {
    throw new NaiveError('auth_failure', 'envelope does not decrypt');
  }
}

export const text = (s) => utf8ToBytes(s);
