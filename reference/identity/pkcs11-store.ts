/**
 * PKCS#11 key store (tested with SoftHSM2 2.6.1 through pkcs11js).
 *
 * Ed25519: the key pair is generated inside the token (CKM_EC_EDWARDS_KEY_PAIR_GEN) as a token
 * object with CKA_SENSITIVE true and CKA_EXTRACTABLE false, and signs inside it (CKM_EDDSA).
 * X25519: SoftHSM2 2.6.1 has no CKM_EC_MONTGOMERY_KEY_PAIR_GEN, so the token cannot hold an X25519
 * key it can use. The X25519 private key is instead sealed by the token: encrypted with AES-256-GCM
 * by a per-identity AES key generated inside the token (sensitive, non-extractable), the ciphertext
 * kept as a private token data object, decrypted by the token into memory for each DH and wiped.
 * All objects of an identity share CKA_ID = the handle's 16 bytes.
 */
import type * as Pkcs11 from 'pkcs11js';
import { abytes, concatBytes, equalBytes, utf8, wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { checkHandle } from './identity.js';
import type { IdentityPublicKeys, KeyStore } from './keystore.js';
import { CKK_EC_EDWARDS, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKM_EDDSA, ED25519_EC_PARAMS, findObjects, openTokenSession, pkcs11Error, type TokenSession } from '../device/pkcs11/token.js';
import type { TokenOptions } from '../device/pkcs11/options.js';

export const PKCS11_APPLICATION = 'agentsec/identity/v1';
const SEALED_VERSION = 1;

export interface Pkcs11KeyStoreOptions extends TokenOptions {
  provider: CryptoProvider;
}

/** What auditNonExtractable found: the key's attributes and the token's refusals. */
export interface ExtractionAudit {
  attributes: { sensitive: boolean; extractable: boolean; alwaysSensitive: boolean; neverExtractable: boolean; local: boolean };
  /** One refusal per attempt (read CKA_VALUE, C_WrapKey), each policy_reject KEY_NOT_EXTRACTABLE. */
  refusals: AgentsecError[];
}

function bool(b: Buffer | undefined): boolean {
  return !!b && b.length > 0 && b[0] !== 0;
}

/** CKA_EC_POINT of an Ed25519 key: a DER OCTET STRING (04 20 || key) or, in some tokens, the raw 32 bytes. */
function ecPoint(b: Buffer): Uint8Array {
  if (b.length === 34 && b[0] === 0x04 && b[1] === 0x20) return new Uint8Array(b.subarray(2));
  if (b.length === 32) return new Uint8Array(b);
  throw new AgentsecError('decode_failure', 'PKCS11_EC_POINT', `unexpected CKA_EC_POINT encoding (${b.length} bytes)`);
}

export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11' as const;
  private closed = false;

  private constructor(
    private readonly t: TokenSession,
    private readonly provider: CryptoProvider,
    private readonly label: string,
  ) {}

  /** Opens the token by label and logs in; wrong PIN -> auth_failure, no token -> state_failure. */
  static async open(opts: Pkcs11KeyStoreOptions): Promise<Pkcs11KeyStore> {
    return new Pkcs11KeyStore(openTokenSession(opts), opts.provider, opts.tokenLabel);
  }

  private live(): TokenSession {
    if (this.closed) throw new AgentsecError('state_failure', 'KEYSTORE_CLOSED', 'the key store is closed');
    return this.t;
  }

  private call<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw pkcs11Error(op, e);
    }
  }

  async createIdentityKeys(): Promise<{ handle: string } & IdentityPublicKeys> {
    const t = this.live();
    const { p11, session, mod } = t;
    const id = Buffer.from(this.provider.randomBytes(16));
    const handle = id.toString('hex');
    const created: Buffer[] = [];
    try {
      // @req KEY-030
      const { publicKey, privateKey } = this.call('C_GenerateKeyPair(Ed25519)', () =>
        p11.C_GenerateKeyPair(
          session,
          { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN },
          [
            { type: mod.CKA_TOKEN, value: true },
            { type: mod.CKA_VERIFY, value: true },
            { type: mod.CKA_EC_PARAMS, value: Buffer.from(ED25519_EC_PARAMS) },
            { type: mod.CKA_ID, value: id },
            { type: mod.CKA_LABEL, value: `agentsec-ed25519-${handle}` },
          ],
          [
            { type: mod.CKA_TOKEN, value: true },
            { type: mod.CKA_PRIVATE, value: true },
            { type: mod.CKA_SIGN, value: true },
            { type: mod.CKA_SENSITIVE, value: true },
            { type: mod.CKA_EXTRACTABLE, value: false },
            { type: mod.CKA_ID, value: id },
            { type: mod.CKA_LABEL, value: `agentsec-ed25519-${handle}` },
          ],
        ),
      );
      created.push(publicKey, privateKey);
      const signingPublic = ecPoint(this.call('C_GetAttributeValue(CKA_EC_POINT)', () => p11.C_GetAttributeValue(session, publicKey, [{ type: mod.CKA_EC_POINT }])[0]!.value as Buffer));

      // @req KEY-031
      const aes = this.call('C_GenerateKey(AES-256)', () =>
        p11.C_GenerateKey(session, { mechanism: mod.CKM_AES_KEY_GEN }, [
          { type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY },
          { type: mod.CKA_KEY_TYPE, value: mod.CKK_AES },
          { type: mod.CKA_VALUE_LEN, value: 32 },
          { type: mod.CKA_TOKEN, value: true },
          { type: mod.CKA_PRIVATE, value: true },
          { type: mod.CKA_SENSITIVE, value: true },
          { type: mod.CKA_EXTRACTABLE, value: false },
          { type: mod.CKA_ENCRYPT, value: true },
          { type: mod.CKA_DECRYPT, value: true },
          { type: mod.CKA_ID, value: id },
          { type: mod.CKA_LABEL, value: `agentsec-x25519-seal-${handle}` },
        ]),
      );
      created.push(aes);
      // Key material mixes the token's RNG with the host's.
      const ikm = concatBytes(new Uint8Array(this.call('C_GenerateRandom', () => p11.C_GenerateRandom(session, Buffer.alloc(32)))), this.provider.randomBytes(32));
      const xPriv = this.provider.hkdf('SHA-256', ikm, new Uint8Array(0), utf8('agentsec/pkcs11-x25519/v1'), 32);
      wipe(ikm);
      const agreementPublic = this.provider.x25519.publicKey(xPriv);
      const iv = this.provider.randomBytes(12);
      const aad = this.sealAad(handle, agreementPublic);
      const ct = this.call('C_Encrypt(AES-GCM)', () => {
        p11.C_EncryptInit(session, this.gcm(iv, aad), aes);
        return p11.C_Encrypt(session, Buffer.from(xPriv), Buffer.alloc(64));
      });
      wipe(xPriv);
      const value = Buffer.from(concatBytes(new Uint8Array([SEALED_VERSION]), agreementPublic, iv, new Uint8Array(ct)));
      const data = this.call('C_CreateObject(sealed X25519)', () =>
        p11.C_CreateObject(session, [
          { type: mod.CKA_CLASS, value: mod.CKO_DATA },
          { type: mod.CKA_TOKEN, value: true },
          { type: mod.CKA_PRIVATE, value: true },
          { type: mod.CKA_APPLICATION, value: PKCS11_APPLICATION },
          { type: mod.CKA_LABEL, value: handle },
          { type: mod.CKA_OBJECT_ID, value: id },
          { type: mod.CKA_VALUE, value },
        ]),
      );
      created.push(data);
      return { handle, signingPublic, agreementPublic };
    } catch (e) {
      // Leave no half-made identity in the token.
      for (const o of created) {
        try {
          p11.C_DestroyObject(session, o);
        } catch {
          // best effort: the error being reported is the original one
        }
      }
      throw e;
    }
  }

  private gcm(iv: Uint8Array, aad: Uint8Array): Pkcs11.Mechanism {
    const mod = this.t.mod;
    return { mechanism: mod.CKM_AES_GCM, parameter: { type: mod.CK_PARAMS_AES_GCM, iv: Buffer.from(iv), aad: Buffer.from(aad), ivBits: 96, tagBits: 128 } as Pkcs11.AesGCM };
  }

  private sealAad(handle: string, agreementPublic: Uint8Array): Uint8Array {
    return concatBytes(utf8(`agentsec/pkcs11-x25519/v1\0${handle}\0`), agreementPublic);
  }

  private objects(handle: string): { priv: Buffer; pub: Buffer; aes: Buffer; data: Buffer } {
    checkHandle(handle);
    const { mod } = this.live();
    const id = Buffer.from(handle, 'hex');
    const one = (cls: number, what: string, extra: Pkcs11.Template = []) => {
      const found = this.call(`C_FindObjects(${what})`, () => findObjects(this.t, [{ type: mod.CKA_CLASS, value: cls }, ...extra]));
      if (found.length !== 1) {
        throw new AgentsecError('state_failure', 'KEY_NOT_FOUND', `no identity with handle ${handle} on PKCS#11 token ${JSON.stringify(this.label)}${found.length > 1 ? ' (duplicate objects)' : ''}`);
      }
      return found[0]!;
    };
    return {
      data: one(mod.CKO_DATA, 'sealed X25519', [{ type: mod.CKA_APPLICATION, value: PKCS11_APPLICATION }, { type: mod.CKA_OBJECT_ID, value: id }]),
      priv: one(mod.CKO_PRIVATE_KEY, 'Ed25519 private key', [{ type: mod.CKA_ID, value: id }, { type: mod.CKA_KEY_TYPE, value: CKK_EC_EDWARDS }]),
      pub: one(mod.CKO_PUBLIC_KEY, 'Ed25519 public key', [{ type: mod.CKA_ID, value: id }]),
      aes: one(mod.CKO_SECRET_KEY, 'sealing key', [{ type: mod.CKA_ID, value: id }]),
    };
  }

  private sealedValue(handle: string, data: Buffer): { agreementPublic: Uint8Array; iv: Uint8Array; ct: Uint8Array } {
    const { p11, session, mod } = this.t;
    const v = this.call('C_GetAttributeValue(CKA_VALUE)', () => p11.C_GetAttributeValue(session, data, [{ type: mod.CKA_VALUE }])[0]!.value as Buffer);
    if (v.length !== 1 + 32 + 12 + 48 || v[0] !== SEALED_VERSION) throw new AgentsecError('decode_failure', 'PKCS11_SEALED_FORMAT', `sealed X25519 object of ${handle} is malformed`);
    return { agreementPublic: new Uint8Array(v.subarray(1, 33)), iv: new Uint8Array(v.subarray(33, 45)), ct: new Uint8Array(v.subarray(45)) };
  }

  async publicKeys(handle: string): Promise<IdentityPublicKeys> {
    const o = this.objects(handle);
    const { p11, session, mod } = this.t;
    const signingPublic = ecPoint(this.call('C_GetAttributeValue(CKA_EC_POINT)', () => p11.C_GetAttributeValue(session, o.pub, [{ type: mod.CKA_EC_POINT }])[0]!.value as Buffer));
    return { signingPublic, agreementPublic: this.sealedValue(handle, o.data).agreementPublic };
  }

  async sign(handle: string, message: Uint8Array): Promise<Uint8Array> {
    abytes(message, 'message');
    const o = this.objects(handle);
    const { p11, session } = this.t;
    return new Uint8Array(
      this.call('C_Sign(CKM_EDDSA)', () => {
        p11.C_SignInit(session, { mechanism: CKM_EDDSA }, o.priv); // @req KEY-030
        return p11.C_Sign(session, Buffer.from(message), Buffer.alloc(64));
      }),
    );
  }

  async dh(handle: string, peerPublic: Uint8Array): Promise<Uint8Array> {
    abytes(peerPublic, 'peerPublic', 32);
    const o = this.objects(handle);
    const { p11, session } = this.t;
    const sealed = this.sealedValue(handle, o.data);
    const out = Buffer.alloc(64);
    let xPriv: Uint8Array | undefined;
    try {
      // A view, not a copy: wiping `out` wipes the only copy of the unsealed key.
      xPriv = this.call('C_Decrypt(AES-GCM)', () => {
        p11.C_DecryptInit(session, this.gcm(sealed.iv, this.sealAad(handle, sealed.agreementPublic)), o.aes);
        const r = p11.C_Decrypt(session, Buffer.from(sealed.ct), out);
        return new Uint8Array(r.buffer, r.byteOffset, r.length);
      });
      if (xPriv.length !== 32 || !equalBytes(this.provider.x25519.publicKey(xPriv), sealed.agreementPublic)) {
        throw new AgentsecError('auth_failure', 'PKCS11_SEALED_MISMATCH', `sealed X25519 key of ${handle} does not match its public key`);
      }
      return this.provider.x25519.dh(xPriv, peerPublic);
    } finally {
      wipe(xPriv, out); // @req KEY-031
    }
  }

  async list(): Promise<string[]> {
    const { p11, session, mod } = this.live();
    const objs = this.call('C_FindObjects', () => findObjects(this.t, [{ type: mod.CKA_CLASS, value: mod.CKO_DATA }, { type: mod.CKA_APPLICATION, value: PKCS11_APPLICATION }]));
    return objs.map((o) => (p11.C_GetAttributeValue(session, o, [{ type: mod.CKA_LABEL }])[0]!.value as Buffer).toString('utf8')).filter((h) => /^[0-9a-f]{32}$/.test(h)).sort();
  }

  async delete(handle: string): Promise<void> {
    const o = this.objects(handle);
    const { p11, session } = this.t;
    for (const obj of [o.data, o.aes, o.priv, o.pub]) this.call('C_DestroyObject', () => p11.C_DestroyObject(session, obj));
  }

  /**
   * Asks the token for the private keys' bytes the two ways PKCS#11 allows (reading CKA_VALUE,
   * wrapping with C_WrapKey) and reports its refusals. If the token ever answered with key bytes,
   * they are wiped and the audit fails with internal/KEY_EXTRACTABLE.
   */
  async auditNonExtractable(handle: string): Promise<ExtractionAudit> {
    const o = this.objects(handle);
    const { p11, session, mod } = this.t;
    const attrs = this.call('C_GetAttributeValue', () =>
      p11.C_GetAttributeValue(session, o.priv, [
        { type: mod.CKA_SENSITIVE },
        { type: mod.CKA_EXTRACTABLE },
        { type: mod.CKA_ALWAYS_SENSITIVE },
        { type: mod.CKA_NEVER_EXTRACTABLE },
        { type: mod.CKA_LOCAL },
      ]),
    ).map((a) => bool(a.value as Buffer));
    const refusals: AgentsecError[] = [];
    const attempt = (op: string, fn: () => Buffer) => {
      let leaked: Buffer | undefined;
      try {
        leaked = fn();
      } catch (e) {
        refusals.push(pkcs11Error(op, e)); // @req KEY-032
        return;
      }
      leaked.fill(0);
      throw new AgentsecError('internal', 'KEY_EXTRACTABLE', `${op} returned key material: the token does not protect this key`);
    };
    attempt('C_GetAttributeValue(Ed25519 private key, CKA_VALUE)', () => p11.C_GetAttributeValue(session, o.priv, [{ type: mod.CKA_VALUE }])[0]!.value as Buffer);
    attempt('C_WrapKey(Ed25519 private key)', () => p11.C_WrapKey(session, { mechanism: mod.CKM_AES_KEY_WRAP_PAD }, o.aes, o.priv, Buffer.alloc(256)));
    attempt('C_GetAttributeValue(X25519 sealing key, CKA_VALUE)', () => p11.C_GetAttributeValue(session, o.aes, [{ type: mod.CKA_VALUE }])[0]!.value as Buffer);
    const [sensitive, extractable, alwaysSensitive, neverExtractable, local] = attrs as [boolean, boolean, boolean, boolean, boolean];
    return { attributes: { sensitive, extractable, alwaysSensitive, neverExtractable, local }, refusals };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.t.close();
  }

  toJSON(): { kind: 'pkcs11'; token: string } {
    return { kind: 'pkcs11', token: this.label };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Pkcs11KeyStore(${this.label})`;
  }
}

