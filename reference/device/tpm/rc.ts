/**
 * TPM 2.0 response codes (Part 2 sec. 6.6) decoded into AgentsecErrors.
 * Format 1 (bit 7 set): error number in bits 5:0 (added to RC_FMT1 0x080); bit 6 set means bits 11:8
 * name the parameter; otherwise bit 11 set means bits 10:8 name a session, clear a handle.
 * Format 0: bit 8 (RC_VER1 0x100) marks a TPM 2.0 code, bit 11 a warning (RC_WARN 0x900), bit 10 a
 * vendor code; the number is in bits 6:0.
 */
import { AgentsecError, type ErrorKind } from '../../errors.js';

const FMT1: Record<number, string> = {
  0x081: 'ASYMMETRIC', 0x082: 'ATTRIBUTES', 0x083: 'HASH', 0x084: 'VALUE', 0x085: 'HIERARCHY', 0x087: 'KEY_SIZE',
  0x088: 'MGF', 0x089: 'MODE', 0x08a: 'TYPE', 0x08b: 'HANDLE', 0x08c: 'KDF', 0x08d: 'RANGE', 0x08e: 'AUTH_FAIL',
  0x08f: 'NONCE', 0x090: 'PP', 0x092: 'SCHEME', 0x095: 'SIZE', 0x096: 'SYMMETRIC', 0x097: 'TAG', 0x098: 'SELECTOR',
  0x09a: 'INSUFFICIENT', 0x09b: 'SIGNATURE', 0x09c: 'KEY', 0x09d: 'POLICY_FAIL', 0x09f: 'INTEGRITY', 0x0a0: 'TICKET',
  0x0a1: 'RESERVED_BITS', 0x0a2: 'BAD_AUTH', 0x0a3: 'EXPIRED', 0x0a4: 'POLICY_CC', 0x0a5: 'BINDING', 0x0a6: 'CURVE',
  0x0a7: 'ECC_POINT',
};
const VER1: Record<number, string> = {
  0x100: 'INITIALIZE', 0x101: 'FAILURE', 0x103: 'SEQUENCE', 0x10b: 'PRIVATE', 0x119: 'HMAC', 0x120: 'DISABLED',
  0x121: 'EXCLUSIVE', 0x124: 'AUTH_TYPE', 0x125: 'AUTH_MISSING', 0x126: 'POLICY', 0x127: 'PCR', 0x128: 'PCR_CHANGED',
  0x12d: 'UPGRADE', 0x12e: 'TOO_MANY_CONTEXTS', 0x12f: 'AUTH_UNAVAILABLE', 0x130: 'REBOOT', 0x131: 'UNBALANCED',
  0x142: 'COMMAND_SIZE', 0x143: 'COMMAND_CODE', 0x144: 'AUTHSIZE', 0x145: 'AUTH_CONTEXT', 0x146: 'NV_RANGE',
  0x147: 'NV_SIZE', 0x148: 'NV_LOCKED', 0x149: 'NV_AUTHORIZATION', 0x14a: 'NV_UNINITIALIZED', 0x14b: 'NV_SPACE',
  0x14c: 'NV_DEFINED', 0x150: 'BAD_CONTEXT', 0x151: 'CPHASH', 0x152: 'PARENT', 0x153: 'NEEDS_TEST', 0x154: 'NO_RESULT',
  0x155: 'SENSITIVE',
};
const WARN: Record<number, string> = {
  0x901: 'CONTEXT_GAP', 0x902: 'OBJECT_MEMORY', 0x903: 'SESSION_MEMORY', 0x904: 'MEMORY', 0x905: 'SESSION_HANDLES',
  0x906: 'OBJECT_HANDLES', 0x907: 'LOCALITY', 0x908: 'YIELDED', 0x909: 'CANCELED', 0x90a: 'TESTING', 0x920: 'NV_RATE',
  0x921: 'LOCKOUT', 0x922: 'RETRY', 0x923: 'NV_UNAVAILABLE',
};

export interface DecodedRc {
  readonly rc: number;
  /** Base code with the handle/session/parameter number removed, e.g. 0x0a2. */
  readonly code: number;
  /** TPM_RC_<NAME>, or TPM_RC_0x... for codes without a name here. */
  readonly name: string;
  readonly format: 0 | 1;
  readonly warning: boolean;
  readonly vendor: boolean;
  readonly subject?: { kind: 'handle' | 'session' | 'parameter'; index: number };
}

export function decodeRc(rc: number): DecodedRc {
  if (rc & 0x080) {
    const code = 0x080 | (rc & 0x3f);
    const n = (rc >>> 8) & 0xf;
    const subject = rc & 0x040 ? { kind: 'parameter' as const, index: n } : rc & 0x800 ? { kind: 'session' as const, index: n & 0x7 } : { kind: 'handle' as const, index: n & 0x7 };
    const nm = FMT1[code];
    return { rc, code, name: nm ? `TPM_RC_${nm}` : `TPM_RC_0x${code.toString(16)}`, format: 1, warning: false, vendor: false, ...(subject.index ? { subject } : {}) };
  }
  const vendor = (rc & 0x400) !== 0;
  const warning = (rc & 0x800) !== 0;
  const code = rc & 0xfff;
  const table = warning ? WARN : VER1;
  const nm = vendor ? undefined : table[code];
  return { rc, code, name: nm ? `TPM_RC_${nm}` : `TPM_RC_0x${code.toString(16)}`, format: 0, warning, vendor };
}

const KINDS: Record<string, ErrorKind> = {
  TPM_RC_BAD_AUTH: 'auth_failure', TPM_RC_AUTH_FAIL: 'auth_failure', TPM_RC_INTEGRITY: 'auth_failure',
  TPM_RC_POLICY_FAIL: 'auth_failure', TPM_RC_PCR_CHANGED: 'auth_failure', TPM_RC_AUTH_MISSING: 'auth_failure',
  TPM_RC_LOCKOUT: 'state_failure', TPM_RC_HANDLE: 'state_failure', TPM_RC_INITIALIZE: 'state_failure',
  TPM_RC_OBJECT_MEMORY: 'state_failure', TPM_RC_SESSION_MEMORY: 'state_failure', TPM_RC_OBJECT_HANDLES: 'state_failure',
  TPM_RC_SESSION_HANDLES: 'state_failure', TPM_RC_RETRY: 'state_failure', TPM_RC_TESTING: 'state_failure',
  TPM_RC_YIELDED: 'state_failure', TPM_RC_CANCELED: 'state_failure', TPM_RC_FAILURE: 'state_failure',
  TPM_RC_VALUE: 'unsupported', TPM_RC_CURVE: 'unsupported', TPM_RC_KEY_SIZE: 'unsupported', TPM_RC_SCHEME: 'unsupported',
  TPM_RC_MODE: 'unsupported', TPM_RC_SYMMETRIC: 'unsupported', TPM_RC_TYPE: 'unsupported', TPM_RC_ASYMMETRIC: 'unsupported',
  TPM_RC_HASH: 'unsupported', TPM_RC_COMMAND_CODE: 'unsupported',
  TPM_RC_SIZE: 'decode_failure', TPM_RC_TAG: 'decode_failure', TPM_RC_INSUFFICIENT: 'decode_failure', TPM_RC_COMMAND_SIZE: 'decode_failure',
};

const HINTS: Record<string, string> = {
  TPM_RC_INTEGRITY: 'the sealed blob was not made by this TPM (another TPM or cleared owner seed) or was modified',
  TPM_RC_POLICY_FAIL: 'the PCR values differ from those the key was sealed to',
  TPM_RC_BAD_AUTH: 'wrong authorization value',
  TPM_RC_AUTH_FAIL: 'wrong authorization value',
  TPM_RC_LOCKOUT: 'the TPM is in dictionary-attack lockout',
  TPM_RC_OBJECT_MEMORY: 'out of transient object slots (handles not flushed?)',
};

/** The AgentsecError for a non-zero response code of `command`. */
export function tpmError(command: string, rc: number): AgentsecError {
  const d = decodeRc(rc);
  const where = d.subject ? ` (${d.subject.kind} ${d.subject.index})` : '';
  const hint = HINTS[d.name] ? `: ${HINTS[d.name]}` : '';
  const err = new AgentsecError(KINDS[d.name] ?? 'internal', d.name, `${command} failed with ${d.name} (0x${rc.toString(16).padStart(3, '0')})${where}${hint}`); // @req KEY-023
  return err;
}
