/**
 * Where a PKCS#11 token is and how to log in: the one driver type the public API names. Kept apart
 * from token.ts so that no public declaration imports pkcs11js, an optional dependency (CONV-023).
 */
/** SoftHSM2's module, the default `library`. */
export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

export interface TokenOptions {
  /** Path of the PKCS#11 module; default SoftHSM2's. */
  library?: string;
  tokenLabel: string;
  pin: string;
}
