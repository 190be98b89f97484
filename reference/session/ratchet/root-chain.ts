/** The root chain of the Double Ratchet (doubleratchet.txt §3.1, §5.2). */
import { utf8 } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/provider.js';

const ROOT_INFO = utf8('agentsec/1 DR root');

/** KDF_RK(rk, dh_out) = HKDF-SHA256(ikm = dh_out, salt = rk, info = "agentsec/1 DR root", 64) -> (rk', ck). */
export function kdfRoot(p: CryptoProvider, rk: Uint8Array, dhOut: Uint8Array): { rk: Uint8Array; ck: Uint8Array } {
  // @req DR-001
  const okm = p.hkdf('SHA-256', dhOut, rk, ROOT_INFO, 64);
  return { rk: okm.slice(0, 32), ck: okm.slice(32, 64) };
}
