/**
 * A KEK held by the TPM for envelope encryption: an AES-256-CFB key and an HMAC-SHA-256 key, both
 * generated inside the TPM (sensitiveDataOrigin, fixedTPM) and never leaving it. TPM AES has no
 * authenticated mode, so a data key is wrapped encrypt-then-MAC, both halves computed by the TPM:
 *   wrapped = 01 || iv[16] || AES-256-CFB(K_enc, iv, dek) || HMAC-SHA-256(K_mac, "agentsec/tpm-kek/v1\0" || lp32(aad) || iv || ct)
 * The KEK blob (what the caller stores) holds the two TPM-encrypted objects; it loads only on the
 * TPM that made it. EncryptDecrypt2 runs with a session salted to the storage key that encrypts its
 * data parameter both ways, so the DEK is never on the wire in the clear.
 */
import { abytes, concatBytes, equalBytes, u32be, utf8, wipe } from '../../bytes.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { AgentsecError } from '../../errors.js';
import { Reader, lp16 } from '../../identity/key-file.js';
import { aesTemplate, hmacTemplate, type TpmClient } from './client.js';
import { commandEncrypted, objectName, startSaltedSession, type SaltedSession } from './encrypted-session.js';
import { TPM_ALG, TPM_CC, TpmReader, TpmWriter } from './marshal.js';
import { acquireTpm, type TpmLease } from './shared.js';
import type { TpmAddress } from './transport.js';

const BLOB_MAGIC = utf8('AGTK');
const WRAP_VERSION = 1;
const MAC_DOMAIN = utf8('agentsec/tpm-kek/v1\0');
// TPM2B_MAX_BUFFER on libtpms is 1024 bytes: the most one EncryptDecrypt2 or HMAC call takes.
const MAX_DATA = 1024 - 64;

interface KekObjects {
  aesPub: Uint8Array;
  aesPriv: Uint8Array;
  macPub: Uint8Array;
  macPriv: Uint8Array;
}

export class TpmKek {
  private closed = false;

  private constructor(
    private readonly tpm: TpmLease,
    private readonly objects: KekObjects,
    private readonly provider: CryptoProvider,
    private readonly address: TpmAddress,
  ) {}

  /** The opaque blob to store; pass it to loadTpmKek later. Holds no key in the clear. */
  get blob(): Uint8Array {
    const o = this.objects;
    return concatBytes(BLOB_MAGIC, new Uint8Array([1]), lp16(o.aesPub), lp16(o.aesPriv), lp16(o.macPub), lp16(o.macPriv));
  }

  private exclusive<T>(fn: (c: TpmClient) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AgentsecError('state_failure', 'KEK_CLOSED', 'the TPM KEK is closed'));
    return this.tpm.run(fn);
  }

  /** Loads one object (and, for `withSession`, a session salted to the storage key), runs `use`, flushes all. */
  private async withObject<T>(c: TpmClient, pub: Uint8Array, priv: Uint8Array, use: (h: number) => Promise<T>): Promise<T>;
  private async withObject<T>(c: TpmClient, pub: Uint8Array, priv: Uint8Array, use: (h: number, enc: SaltedSession) => Promise<T>, withSession: true): Promise<T>;
  private async withObject<T>(c: TpmClient, pub: Uint8Array, priv: Uint8Array, use: (h: number, enc: SaltedSession) => Promise<T>, withSession = false): Promise<T> {
    let srk: number | undefined;
    let h: number | undefined;
    let enc: SaltedSession | undefined;
    try {
      const primary = await c.createPrimaryWithPublic();
      srk = primary.handle;
      h = await c.load(srk, priv, pub);
      if (withSession) enc = await startSaltedSession(c, primary);
      await c.flush(srk);
      srk = undefined;
      const out = await use(h, enc as SaltedSession);
      enc = undefined; // consumed by the command (continueSession clear)
      return out;
    } finally {
      await c.flushQuietly(enc?.handle, h, srk); // @req KEY-022
    }
  }

  /** EncryptDecrypt2 with the data encrypted on the wire in both directions (KEY-027). */
  private async cipher(c: TpmClient, data: Uint8Array, decrypt: boolean, iv: Uint8Array): Promise<Uint8Array> {
    return this.withObject(c, this.objects.aesPub, this.objects.aesPriv, async (h, enc) => {
      const p = new TpmWriter().b2(data).u8(decrypt ? 1 : 0).u16(TPM_ALG.NULL).b2(iv).done();
      const out = await commandEncrypted(c, TPM_CC.EncryptDecrypt2, [{ handle: h, name: objectName(this.objects.aesPub) }], { password: new Uint8Array(0) }, p, enc, { encryptCommand: true });
      wipe(p);
      try {
        return new TpmReader(out, 'TPM2_EncryptDecrypt2').b2();
      } finally {
        wipe(out);
      }
    }, true);
  }

  private macInput(aad: Uint8Array, iv: Uint8Array, ct: Uint8Array): Uint8Array {
    return concatBytes(MAC_DOMAIN, u32be(aad.length), aad, iv, ct);
  }

  /** Raw AES-256-CFB through TPM2_EncryptDecrypt2 (no integrity: use wrap/unwrap for keys). */
  async encrypt(data: Uint8Array, iv: Uint8Array): Promise<Uint8Array> {
    abytes(iv, 'iv', 16);
    this.checkSize(data, 'data');
    return this.exclusive((c) => this.cipher(c, data, false, iv));
  }

  async decrypt(data: Uint8Array, iv: Uint8Array): Promise<Uint8Array> {
    abytes(iv, 'iv', 16);
    this.checkSize(data, 'data');
    return this.exclusive((c) => this.cipher(c, data, true, iv));
  }

  private checkSize(b: Uint8Array, name: string): void {
    abytes(b, name);
    if (b.length > MAX_DATA) throw new AgentsecError('decode_failure', 'TPM_DATA_TOO_LONG', `"${name}" is ${b.length} bytes; the TPM KEK takes at most ${MAX_DATA}`);
  }

  /** Wraps a data key (e.g. a 32-byte DEK) bound to `aad`. */
  async wrap(dek: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    this.checkSize(dek, 'dek');
    abytes(aad, 'aad');
    const iv = this.provider.randomBytes(16);
    return this.exclusive(async (c) => {
      const ct = await this.cipher(c, dek, false, iv);
      const tag = await this.withObject(c, this.objects.macPub, this.objects.macPriv, (h) => c.hmac(h, this.macInput(aad, iv, ct)));
      return concatBytes(new Uint8Array([WRAP_VERSION]), iv, ct, tag);
    });
  }

  /** Unwraps; any change to the wrapped bytes or the aad is auth_failure TPM_KEK_TAG. */
  async unwrap(wrapped: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    abytes(wrapped, 'wrapped');
    abytes(aad, 'aad');
    if (wrapped.length < 1 + 16 + 32 || wrapped[0] !== WRAP_VERSION) {
      throw new AgentsecError('decode_failure', 'TPM_KEK_FORMAT', 'wrapped key: unknown version or too short');
    }
    const iv = wrapped.subarray(1, 17);
    const ct = wrapped.subarray(17, wrapped.length - 32);
    const tag = wrapped.subarray(wrapped.length - 32);
    this.checkSize(ct, 'wrapped');
    return this.exclusive(async (c) => {
      const expect = await this.withObject(c, this.objects.macPub, this.objects.macPriv, (h) => c.hmac(h, this.macInput(aad, iv, ct)));
      if (!equalBytes(expect, tag)) throw new AgentsecError('auth_failure', 'TPM_KEK_TAG', 'wrapped key failed authentication (wrong KEK, aad or modified bytes)');
      return this.cipher(c, ct, true, iv);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tpm.release();
  }

  toJSON(): { kind: 'tpm-kek'; address: string } {
    return { kind: 'tpm-kek', address: 'path' in this.address ? this.address.path : `${this.address.host}:${this.address.port}` };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `TpmKek(${this.toJSON().address})`;
  }

  /** @internal used by createTpmKek / loadTpmKek */
  static make(tpm: TpmLease, objects: KekObjects, provider: CryptoProvider, address: TpmAddress): TpmKek {
    return new TpmKek(tpm, objects, provider, address);
  }
}

/** Generates a new AES-256 + HMAC KEK inside the TPM. Store `kek.blob` to load it again. */
export async function createTpmKek(opts: { address: TpmAddress; provider: CryptoProvider; timeoutMs?: number }): Promise<TpmKek> {
  const tpm = await acquireTpm(opts.address, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  try {
    const objects = await tpm.run(async (c) => {
      let srk: number | undefined;
      try {
        srk = await c.createPrimary();
        const aes = await c.create(srk, aesTemplate()); // @req KEY-026
        const mac = await c.create(srk, hmacTemplate());
        return { aesPub: aes.pub, aesPriv: aes.priv, macPub: mac.pub, macPriv: mac.priv };
      } finally {
        await c.flushQuietly(srk);
      }
    });
    return TpmKek.make(tpm, objects, opts.provider, opts.address);
  } catch (e) {
    tpm.release();
    throw e;
  }
}

/** Loads a KEK from its blob; fails with TPM_RC_INTEGRITY on a different TPM. */
export async function loadTpmKek(opts: { address: TpmAddress; provider: CryptoProvider; timeoutMs?: number }, blob: Uint8Array): Promise<TpmKek> {
  abytes(blob, 'blob');
  if (blob.length < 5 || !equalBytes(blob.subarray(0, 4), BLOB_MAGIC) || blob[4] !== 1) throw new AgentsecError('decode_failure', 'TPM_KEK_BLOB', 'not a TPM KEK blob (bad magic or version)');
  const r = new Reader(blob, 'TPM KEK blob');
  r.take(5);
  const objects = { aesPub: new Uint8Array(r.lp16()), aesPriv: new Uint8Array(r.lp16()), macPub: new Uint8Array(r.lp16()), macPriv: new Uint8Array(r.lp16()) };
  r.end();
  const tpm = await acquireTpm(opts.address, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  const kek = TpmKek.make(tpm, objects, opts.provider, opts.address);
  // Load both objects once now, so a blob from another TPM fails here rather than at first use.
  try {
    await kek.encrypt(new Uint8Array(16), new Uint8Array(16));
    await kek.wrap(new Uint8Array(0));
  } catch (e) {
    await kek.close();
    throw e;
  }
  return kek;
}
