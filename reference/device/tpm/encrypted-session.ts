/**
 * Response parameter encryption for TPM2_Unseal (TPM 2.0 Part 1 sec. 19.6 and 21): a salted HMAC
 * session whose salt is sent under the storage key (ECC P-256, KDFe), with the `encrypt` attribute,
 * so the unsealed bytes travel as AES-128-CFB ciphertext and the response is authenticated by an
 * HMAC under the session key. Objects here have an empty authValue, so every HMAC and KDF key is
 * the session key alone.
 */
import { cfb } from '@noble/ciphers/aes.js';
import { p256 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { concatBytes, equalBytes, u32be, utf8, wipe } from '../../bytes.js';
import { AgentsecError } from '../../errors.js';
import { COMMAND_NAMES, TPM_ALG, TPM_CC, TPM_RH_NULL, TPM_SE, TpmReader, TpmWriter } from './marshal.js';
import type { TpmClient, TpmAuth } from './client.js';

const ATTR_ENCRYPT = 0x40;

/** KDFa (Part 1 sec. 11.4.10.2) with HMAC-SHA-256. */
export function kdfa(key: Uint8Array, label: string, contextU: Uint8Array, contextV: Uint8Array, bits: number): Uint8Array {
  const out: Uint8Array[] = [];
  for (let i = 1, have = 0; have < bits / 8; i++, have += 32) {
    out.push(hmac(sha256, key, concatBytes(u32be(i), utf8(label), new Uint8Array([0]), contextU, contextV, u32be(bits))));
  }
  return concatBytes(...out).slice(0, bits / 8);
}

/** KDFe (Part 1 sec. 11.4.10.3) with SHA-256. */
export function kdfe(z: Uint8Array, label: string, partyU: Uint8Array, partyV: Uint8Array, bits: number): Uint8Array {
  const out: Uint8Array[] = [];
  for (let i = 1, have = 0; have < bits / 8; i++, have += 32) {
    out.push(sha256(concatBytes(u32be(i), z, utf8(label), new Uint8Array([0]), partyU, partyV)));
  }
  return concatBytes(...out).slice(0, bits / 8);
}

/** The TPM name of an object: nameAlg || SHA-256(TPMT_PUBLIC), from its TPM2B_PUBLIC. */
export function objectName(tpm2bPublic: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([0x00, 0x0b]), sha256(tpm2bPublic.subarray(2)));
}

export interface SaltedSession {
  handle: number;
  sessionKey: Uint8Array;
  nonceTpm: Uint8Array;
}

/** StartAuthSession(HMAC, salted to the storage key, AES-128-CFB, SHA-256). */
export async function startSaltedSession(c: TpmClient, srk: { handle: number; x: Uint8Array; y: Uint8Array }): Promise<SaltedSession> {
  const eph = p256.utils.randomSecretKey();
  const ephPub = p256.getPublicKey(eph, false);
  const z = p256.getSharedSecret(eph, concatBytes(new Uint8Array([4]), srk.x, srk.y), true).subarray(1);
  wipe(eph);
  const ephX = ephPub.subarray(1, 33);
  const salt = kdfe(z, 'SECRET', ephX, srk.x, 256);
  wipe(z);
  const point = new TpmWriter().b2(ephX).b2(ephPub.subarray(33, 65)).done();
  const nonceCaller = new Uint8Array(randomBytes(32));
  const p = new TpmWriter().b2(nonceCaller).b2(point).u8(TPM_SE.HMAC).u16(TPM_ALG.AES).u16(128).u16(TPM_ALG.CFB).u16(TPM_ALG.SHA256).done();
  const res = await c.command(TPM_CC.StartAuthSession, [srk.handle, TPM_RH_NULL], null, p, 1);
  const nonceTpm = res.params.b2();
  const sessionKey = kdfa(salt, 'ATH', nonceTpm, nonceCaller, 256);
  wipe(salt);
  return { handle: res.handles[0]!, sessionKey, nonceTpm };
}

const ATTR_DECRYPT = 0x20;

/** Replaces the data of the TPM2B at the start of `params` with `f(data)`; returns a new array. */
function mapFirstTpm2b(params: Uint8Array, f: (data: Uint8Array) => Uint8Array, what: string): Uint8Array {
  const r = new TpmReader(params, what);
  const data = r.b2();
  const out = new Uint8Array(params);
  out.set(f(data), 2);
  wipe(data);
  return out;
}

/**
 * Runs one command with `auth` as its authorization session and `enc` as a second session that
 * encrypts the response's first parameter and, with `encryptCommand`, the command's first
 * parameter (both must be TPM2Bs). The response HMAC is checked before anything is decrypted.
 * The session is closed by the TPM (continueSession clear) once the command succeeds.
 * Returns the response parameters with the first one decrypted; the caller wipes them.
 */
export async function commandEncrypted(
  c: TpmClient,
  cc: number,
  handles: { handle: number; name: Uint8Array }[],
  auth: TpmAuth,
  params: Uint8Array,
  enc: SaltedSession,
  opts: { encryptCommand?: boolean } = {},
): Promise<Uint8Array> {
  const name = COMMAND_NAMES[cc] ?? 'TPM command';
  const attrs = ATTR_ENCRYPT | (opts.encryptCommand ? ATTR_DECRYPT : 0);
  const nonceCaller = new Uint8Array(randomBytes(32));
  let sent = params;
  if (opts.encryptCommand) {
    // Command direction: nonceNewer = nonceCaller, nonceOlder = nonceTPM.
    const k = kdfa(enc.sessionKey, 'CFB', nonceCaller, enc.nonceTpm, 256);
    sent = mapFirstTpm2b(params, (d) => cfb(k.subarray(0, 16), k.subarray(16, 32)).encrypt(d), name);
    wipe(k);
  }
  const cpHash = sha256(concatBytes(u32be(cc), ...handles.map((h) => h.name), sent));
  const cmdHmac = hmac(sha256, enc.sessionKey, concatBytes(cpHash, nonceCaller, enc.nonceTpm, new Uint8Array([attrs])));
  const encEntry = new TpmWriter().u32(enc.handle).b2(nonceCaller).u8(attrs).b2(cmdHmac).done();
  try {
    const res = await c.command(cc, handles.map((h) => h.handle), [auth, { raw: encEntry }], sent);
    const paramBytes = res.params.b;
    try {
      // Response auth area: one entry per command session, ours second.
      const r = new TpmReader(res.authArea ?? new Uint8Array(0), name);
      r.b2();
      r.u8();
      r.b2();
      const nonceTpm = r.b2();
      const rAttrs = r.u8();
      const rHmac = r.b2();
      const rpHash = sha256(concatBytes(u32be(0), u32be(cc), paramBytes));
      const expect = hmac(sha256, enc.sessionKey, concatBytes(rpHash, nonceTpm, nonceCaller, new Uint8Array([rAttrs])));
      if (!equalBytes(expect, rHmac)) {
        throw new AgentsecError('auth_failure', 'TPM_RESPONSE_HMAC', `${name} response failed its session HMAC check (response modified in transit?)`);
      }
      // Response direction: nonceNewer = nonceTPM, nonceOlder = nonceCaller.
      const k = kdfa(enc.sessionKey, 'CFB', nonceTpm, nonceCaller, 256);
      const out = mapFirstTpm2b(paramBytes, (d) => cfb(k.subarray(0, 16), k.subarray(16, 32)).decrypt(d), name);
      wipe(k);
      return out;
    } finally {
      paramBytes.fill(0);
      res.raw.fill(0);
    }
  } finally {
    if (sent !== params) wipe(sent);
    wipe(enc.sessionKey);
  }
}

/** TPM2_Unseal whose response (the sealed data) is encrypted by `enc`. */
export async function unsealEncrypted(c: TpmClient, item: number, itemName: Uint8Array, auth: TpmAuth, enc: SaltedSession): Promise<Uint8Array> {
  const params = await commandEncrypted(c, TPM_CC.Unseal, [{ handle: item, name: itemName }], auth, new Uint8Array(0), enc);
  try {
    return new TpmReader(params, 'TPM2_Unseal').b2();
  } finally {
    wipe(params);
  }
}
