/**
 * PKCS#11 plumbing shared by the PKCS#11 key store and KEK: loading the module once per process
 * (pkcs11js, loaded lazily so importing the reference never loads a native addon), finding a token
 * by label, logging in, and turning CKR_* codes into AgentsecErrors.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11 from 'pkcs11js';
import { SOFTHSM_LIBRARY, type TokenOptions } from './options.js';
import { AgentsecError, type ErrorKind } from '../../errors.js';


// PKCS#11 3.0 values pkcs11js 2.1.7 does not name.
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EC_MONTGOMERY_KEY_PAIR_GEN = 0x1056;
export const CKM_EDDSA = 0x1057;
/** DER of OID 1.3.101.112 (id-Ed25519), the CKA_EC_PARAMS of an Ed25519 key. */
export const ED25519_EC_PARAMS = new Uint8Array([0x06, 0x03, 0x2b, 0x65, 0x70]);

type Pkcs11Module = typeof Pkcs11;
let modCache: Pkcs11Module | undefined;
export function pkcs11js(): Pkcs11Module {
  if (!modCache) {
    try {
      modCache = createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
    } catch (e) {
      throw new AgentsecError('unsupported', 'PKCS11_BINDING', `the pkcs11js native module cannot be loaded: ${(e as Error).message}`);
    }
  }
  return modCache;
}

/** CKR_ name of a return value, from pkcs11js's own constants. */
export function ckrName(code: number): string {
  const m = pkcs11js() as unknown as Record<string, unknown>;
  for (const k of Object.keys(m)) if (k.startsWith('CKR_') && m[k] === code) return k;
  return `CKR_0x${code.toString(16)}`;
}

const CKR_KINDS: Record<string, [ErrorKind, string]> = {
  CKR_PIN_INCORRECT: ['auth_failure', 'the PIN is wrong'],
  CKR_PIN_LEN_RANGE: ['auth_failure', 'the PIN has the wrong length'],
  CKR_PIN_LOCKED: ['state_failure', 'the PIN is locked'],
  CKR_ATTRIBUTE_SENSITIVE: ['policy_reject', 'the token refuses to reveal a sensitive attribute'],
  CKR_KEY_UNEXTRACTABLE: ['policy_reject', 'the token refuses to export a non-extractable key'],
  CKR_KEY_NOT_WRAPPABLE: ['policy_reject', 'the token refuses to wrap this key'],
  CKR_TOKEN_NOT_PRESENT: ['state_failure', 'the token is not present'],
  CKR_DEVICE_REMOVED: ['state_failure', 'the token was removed'],
  CKR_SESSION_HANDLE_INVALID: ['state_failure', 'the session is closed'],
  CKR_OBJECT_HANDLE_INVALID: ['state_failure', 'the object no longer exists'],
  CKR_MECHANISM_INVALID: ['unsupported', 'the token does not support this mechanism'],
  CKR_USER_NOT_LOGGED_IN: ['state_failure', 'not logged in'],
};

/** Maps a pkcs11js error (or any error) from `op` to an AgentsecError. */
export function pkcs11Error(op: string, e: unknown, override?: Partial<Record<string, [ErrorKind, string]>>): AgentsecError {
  if (e instanceof AgentsecError) return e;
  const code = typeof (e as { code?: unknown })?.code === 'number' ? ((e as { code: number }).code) : undefined;
  if (code === undefined) return new AgentsecError('internal', 'PKCS11_ERROR', `${op}: ${(e as Error)?.message ?? String(e)}`);
  const name = ckrName(code);
  const [kind, why] = override?.[name] ?? CKR_KINDS[name] ?? ['internal', 'the token reported an error'];
  return new AgentsecError(kind, name === 'CKR_ATTRIBUTE_SENSITIVE' || name === 'CKR_KEY_UNEXTRACTABLE' || name === 'CKR_KEY_NOT_WRAPPABLE' ? 'KEY_NOT_EXTRACTABLE' : `PKCS11_${name.slice(4)}`, `${op} failed with ${name}: ${why}`);
}

export { SOFTHSM_LIBRARY, type TokenOptions };

interface LoadedModule {
  p11: Pkcs11.PKCS11;
  refs: number;
}
const modules = new Map<string, LoadedModule>();
// PKCS#11 login state is per application and token: once one store is logged in, C_Login answers
// CKR_USER_ALREADY_LOGGED_IN without checking the PIN. The digest of the PIN that did log in is
// kept so that a later open with a different PIN is still refused.
const loggedInPins = new Map<string, Buffer>();
const pinDigest = (pin: string) => createHash('sha256').update(pin, 'utf8').digest();

function acquireModule(library: string): Pkcs11.PKCS11 {
  const m = modules.get(library);
  if (m) {
    m.refs++;
    return m.p11;
  }
  const mod = pkcs11js();
  const p11 = new mod.PKCS11();
  try {
    p11.load(library);
  } catch (e) {
    throw new AgentsecError('state_failure', 'PKCS11_LIBRARY', `cannot load the PKCS#11 module ${library}: ${(e as Error).message}`);
  }
  try {
    p11.C_Initialize();
  } catch (e) {
    throw pkcs11Error('C_Initialize', e);
  }
  modules.set(library, { p11, refs: 1 });
  return p11;
}

function releaseModule(library: string): void {
  const m = modules.get(library);
  if (!m) return;
  if (--m.refs === 0) {
    modules.delete(library);
    try {
      m.p11.C_Finalize();
    } catch {
      // finalizing a module whose sessions are gone cannot fail in a way that matters here
    }
  }
}

export interface TokenSession {
  readonly p11: Pkcs11.PKCS11;
  readonly session: Buffer;
  readonly mod: Pkcs11Module;
  close(): void;
}

/** Opens a read-write session on the token with `tokenLabel` and logs in as the user. */
export function openTokenSession(opts: TokenOptions): TokenSession {
  const library = opts.library ?? SOFTHSM_LIBRARY;
  if (typeof opts.pin !== 'string' || opts.pin.length === 0) throw new AgentsecError('decode_failure', 'PKCS11_PIN', 'a PKCS#11 user PIN is required');
  const p11 = acquireModule(library);
  const mod = pkcs11js();
  let session: Buffer | undefined;
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === opts.tokenLabel);
    if (!slot) {
      // @req KEY-033
      throw new AgentsecError('state_failure', 'PKCS11_TOKEN_NOT_FOUND', `no PKCS#11 token labelled ${JSON.stringify(opts.tokenLabel)} in ${library} (create it, e.g. softhsm2-util --init-token --free --label ${opts.tokenLabel})`);
    }
    session = p11.C_OpenSession(slot, mod.CKF_SERIAL_SESSION | mod.CKF_RW_SESSION);
    const key = `${library}\0${opts.tokenLabel}`;
    try {
      p11.C_Login(session, mod.CKU_USER, opts.pin);
      loggedInPins.set(key, pinDigest(opts.pin));
    } catch (e) {
      const err = pkcs11Error('C_Login', e);
      if (err.reason !== 'PKCS11_USER_ALREADY_LOGGED_IN') throw err; // @req KEY-033
      const known = loggedInPins.get(key);
      if (!known || !timingSafeEqual(known, pinDigest(opts.pin))) {
        throw new AgentsecError('auth_failure', 'PKCS11_PIN_INCORRECT', 'C_Login failed with CKR_PIN_INCORRECT: the PIN is wrong');
      }
    }
  } catch (e) {
    if (session) p11.C_CloseSession(session);
    releaseModule(library);
    throw e instanceof AgentsecError ? e : pkcs11Error('open token', e);
  }
  const s = session;
  let open = true;
  return {
    p11,
    session: s,
    mod,
    close() {
      if (!open) return;
      open = false;
      try {
        p11.C_CloseSession(s);
      } finally {
        releaseModule(library);
      }
    },
  };
}

/** Finds objects matching a template. */
export function findObjects(t: TokenSession, template: Pkcs11.Template): Buffer[] {
  t.p11.C_FindObjectsInit(t.session, template);
  try {
    return t.p11.C_FindObjects(t.session, 64);
  } finally {
    t.p11.C_FindObjectsFinal(t.session);
  }
}
