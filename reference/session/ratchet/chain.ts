/** Symmetric-key chains of the Double Ratchet (doubleratchet.txt §2.2, §5.2). */
import { utf8 } from '../../bytes.js';
import type { AeadName, CryptoProvider } from '../../crypto/provider.js';

const MESSAGE_KEY_CONSTANT = new Uint8Array([0x01]);
const CHAIN_KEY_CONSTANT = new Uint8Array([0x02]);

/** KDF_CK(ck) = (HMAC-SHA256(ck, 0x02), HMAC-SHA256(ck, 0x01)) -> (next chain key, message key). */
export function kdfChain(p: CryptoProvider, ck: Uint8Array): { ck: Uint8Array; mk: Uint8Array } {
  // @req DR-002
  return { ck: p.hmac('SHA-256', ck, CHAIN_KEY_CONSTANT), mk: p.hmac('SHA-256', ck, MESSAGE_KEY_CONSTANT) };
}

const ZERO_SALT = new Uint8Array(32);

/**
 * AEAD key and nonce from a message key: HKDF-SHA256(mk, salt = 0^32, "agentsec/1 DR message " || aead, 44).
 * The AEAD name is in the info so one message key never serves two algorithms.
 */
export function messageKeys(p: CryptoProvider, mk: Uint8Array, aead: AeadName): { key: Uint8Array; nonce: Uint8Array } {
  // @req DR-003
  const okm = p.hkdf('SHA-256', mk, ZERO_SALT, utf8(`agentsec/1 DR message ${aead}`), 44);
  return { key: okm.slice(0, 32), nonce: okm.slice(32, 44) };
}
