/**
 * The embedded default key store: one encrypted file per identity in a private folder.
 * Keys are made with the crypto provider's randomness, encrypted at rest with AES-256-GCM under a
 * key from a passphrase (scrypt) or from a provided 32-byte key (HKDF-SHA-256), written atomically
 * with mode 0600. A file that fails to parse or authenticate gives a clear error and is left as is.
 */
import { scrypt as scryptCb } from 'node:crypto';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { abytes, concatBytes, equalBytes, toHex, utf8, wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { writeFileAtomic } from '../atomic-file.js';
import { checkPrivateFile, ensurePrivateDir } from './private-file.js';
import { checkHandle } from './identity.js';
import { KIND_RAW_KEY, KIND_SCRYPT, Reader, keyFileHeader, readKeyFileHeader } from './key-file.js';
import type { IdentityPublicKeys, KeyStore } from './keystore.js';

export interface SoftwareKeyStoreOptions {
  dir: string;
  provider: CryptoProvider;
  /** Exactly one of passphrase or key. */
  passphrase?: string;
  key?: Uint8Array;
  /** scrypt cost log2(N); default 15. Files record their own parameters. */
  scryptLogN?: number;
}

export const SCRYPT_DEFAULT_LOGN = 15;
// Bounds on what a file may ask for: below 10 is too weak to call a KDF, above 20 a DoS (1 GiB).
const SCRYPT_MIN_LOGN = 10;
const SCRYPT_MAX_LOGN = 20;
const SCRYPT_R = 8;
/**
 * The documented bound on what one file may cost: 128 * r * N * p bytes-times-passes at most 1 GiB,
 * the cost of the strongest file this store writes (N = 2^20, r = 8, p = 1) (KEY-041).
 */
export const SCRYPT_MAX_COST = 2 ** 30;
const SCRYPT_P = 1;
const KEYFILE_SUFFIX = '.key';
const SECRET_LEN = 64;
const CT_LEN = SECRET_LEN + 16;
const HEADER_LEN = 6 + 3 + 16 + 12 + 32 + 32;

function scrypt(pass: Uint8Array, salt: Uint8Array, logN: number, r: number, p: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scryptCb(pass, salt, 32, { N: 2 ** logN, r, p, maxmem: 256 * r * 2 ** logN }, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))));
  });
}

interface Loaded {
  seed: Uint8Array;
  xPriv: Uint8Array;
  pub: IdentityPublicKeys;
}

export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software' as const;
  private readonly dir: string;
  private readonly provider: CryptoProvider;
  private readonly secret: Uint8Array;
  private readonly mode: number;
  private readonly logN: number;
  private readonly cache = new Map<string, Loaded>();
  private closed = false;

  constructor(opts: SoftwareKeyStoreOptions) {
    if ((opts.passphrase === undefined) === (opts.key === undefined)) {
      throw new AgentsecError('policy_reject', 'KEYSTORE_SECRET', 'software key store needs exactly one of "passphrase" or "key"');
    }
    if (opts.passphrase !== undefined) {
      if (typeof opts.passphrase !== 'string' || opts.passphrase.length < 8) {
        throw new AgentsecError('policy_reject', 'WEAK_PASSPHRASE', 'software key store passphrase must be a string of at least 8 characters');
      }
      this.secret = utf8(opts.passphrase.normalize('NFC'));
      this.mode = KIND_SCRYPT;
    } else {
      this.secret = new Uint8Array(abytes(opts.key, 'key', 32));
      this.mode = KIND_RAW_KEY;
    }
    this.logN = opts.scryptLogN ?? SCRYPT_DEFAULT_LOGN;
    if (!Number.isInteger(this.logN) || this.logN < SCRYPT_MIN_LOGN || this.logN > SCRYPT_MAX_LOGN) {
      throw new AgentsecError('policy_reject', 'SCRYPT_COST', `scryptLogN must be an integer in ${SCRYPT_MIN_LOGN}..${SCRYPT_MAX_LOGN}`);
    }
    this.dir = opts.dir;
    this.provider = opts.provider;
  }

  private path(handle: string): string {
    checkHandle(handle);
    return join(this.dir, handle + KEYFILE_SUFFIX);
  }

  private live(): void {
    if (this.closed) throw new AgentsecError('state_failure', 'KEYSTORE_CLOSED', 'the key store is closed');
  }

  private async fileKey(kind: number, logN: number, r: number, p: number, salt: Uint8Array): Promise<Uint8Array> {
    if (kind !== this.mode) {
      throw new AgentsecError('auth_failure', 'KEYFILE_SECRET_KIND', `key file is protected by a ${kind === KIND_SCRYPT ? 'passphrase' : 'raw key'}, but the store was opened with the other`);
    }
    if (kind === KIND_SCRYPT) return scrypt(this.secret, salt, logN, r, p); // @req KEY-010
    return this.provider.hkdf('SHA-256', this.secret, salt, utf8('agentsec/keyfile/v1'), 32);
  }

  async createIdentityKeys(): Promise<{ handle: string } & IdentityPublicKeys> {
    this.live();
    const handle = toHex(this.provider.randomBytes(16));
    const ed = this.provider.ed25519.generateKeyPair(); // @req ID-011
    const x = this.provider.x25519.generateKeyPair();
    const salt = this.provider.randomBytes(16);
    const nonce = this.provider.randomBytes(12);
    const header = concatBytes(keyFileHeader(this.mode), new Uint8Array([this.mode === KIND_SCRYPT ? this.logN : 0, SCRYPT_R, SCRYPT_P]), salt, nonce, ed.publicKey, x.publicKey);
    const key = await this.fileKey(this.mode, this.logN, SCRYPT_R, SCRYPT_P, salt);
    const plain = concatBytes(ed.privateKey, x.privateKey);
    const ct = this.provider.aead('AES-256-GCM').seal(key, nonce, plain, concatBytes(header, utf8(handle))); // @req KEY-010
    wipe(key, plain);
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(this.path(handle), concatBytes(header, ct), { exclusive: true }); // @req KEY-011
    const pub = { signingPublic: ed.publicKey, agreementPublic: x.publicKey };
    this.cache.set(handle, { seed: new Uint8Array(ed.privateKey), xPriv: new Uint8Array(x.privateKey), pub });
    wipe(ed.privateKey, x.privateKey);
    return { handle, ...pub };
  }

  private async load(handle: string): Promise<Loaded> {
    this.live();
    const cached = this.cache.get(handle);
    if (cached) return cached;
    const path = this.path(handle);
    let file: Uint8Array;
    try {
      file = new Uint8Array(await readFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentsecError('state_failure', 'KEY_NOT_FOUND', `no identity with handle ${handle} in the software key store`);
      throw e;
    }
    await checkPrivateFile(path); // @req KEY-012
    const name = handle + KEYFILE_SUFFIX;
    const kind = readKeyFileHeader(file, name);
    if (kind !== KIND_SCRYPT && kind !== KIND_RAW_KEY) throw new AgentsecError('decode_failure', 'KEYFILE_KIND', `key file ${name} is not a software key file (kind ${kind})`);
    const r = new Reader(file, `key file ${name}`);
    r.take(6);
    const logN = r.u8();
    const rr = r.u8();
    const pp = r.u8();
    if (kind === KIND_SCRYPT && (logN < SCRYPT_MIN_LOGN || logN > SCRYPT_MAX_LOGN || rr < 1 || rr > 32 || pp < 1 || pp > 16)) {
      throw new AgentsecError('decode_failure', 'KEYFILE_CORRUPT', `key file ${name} is corrupted: scrypt parameters out of range`);
    }
    // @req KEY-041: checked before any scrypt work, from the unauthenticated header.
    if (kind === KIND_SCRYPT && 128 * rr * 2 ** logN * pp > SCRYPT_MAX_COST) {
      throw new AgentsecError('decode_failure', 'KEYFILE_CORRUPT', `key file ${name} asks for scrypt N=2^${logN}, r=${rr}, p=${pp}, beyond the 1 GiB bound (128*r*N*p)`);
    }
    const salt = r.take(16);
    const nonce = r.take(12);
    const signingPublic = new Uint8Array(r.take(32));
    const agreementPublic = new Uint8Array(r.take(32));
    const ct = r.take(CT_LEN);
    r.end();
    const key = await this.fileKey(kind, logN, rr, pp, salt);
    let plain: Uint8Array;
    try {
      plain = this.provider.aead('AES-256-GCM').open(key, nonce, ct, concatBytes(file.subarray(0, HEADER_LEN), utf8(handle)));
    } catch {
      // @req KEY-013
      throw new AgentsecError('auth_failure', 'KEYFILE_AUTH', `key file ${name} failed authentication: wrong passphrase/key, or the file is corrupted (left unchanged)`);
    } finally {
      wipe(key);
    }
    const seed = plain.slice(0, 32);
    const xPriv = plain.slice(32, 64);
    wipe(plain);
    if (!equalBytes(this.provider.ed25519.publicKey(seed), signingPublic) || !equalBytes(this.provider.x25519.publicKey(xPriv), agreementPublic)) {
      wipe(seed, xPriv);
      throw new AgentsecError('decode_failure', 'KEYFILE_CORRUPT', `key file ${name} is corrupted: private keys do not match the recorded public keys`);
    }
    const loaded = { seed, xPriv, pub: { signingPublic, agreementPublic } };
    this.cache.set(handle, loaded);
    return loaded;
  }

  async publicKeys(handle: string): Promise<IdentityPublicKeys> {
    const { pub } = await this.load(handle);
    return { signingPublic: new Uint8Array(pub.signingPublic), agreementPublic: new Uint8Array(pub.agreementPublic) };
  }

  async sign(handle: string, message: Uint8Array): Promise<Uint8Array> {
    abytes(message, 'message');
    const k = await this.load(handle);
    return this.provider.ed25519.sign(k.seed, message);
  }

  async dh(handle: string, peerPublic: Uint8Array): Promise<Uint8Array> {
    abytes(peerPublic, 'peerPublic', 32);
    const k = await this.load(handle);
    return this.provider.x25519.dh(k.xPriv, peerPublic);
  }

  async list(): Promise<string[]> {
    this.live();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => n.endsWith(KEYFILE_SUFFIX)).map((n) => n.slice(0, -KEYFILE_SUFFIX.length)).filter((h) => /^[0-9a-f]{32}$/.test(h)).sort();
  }

  async delete(handle: string): Promise<void> {
    this.live();
    const path = this.path(handle);
    const k = this.cache.get(handle);
    if (k) wipe(k.seed, k.xPriv);
    this.cache.delete(handle);
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentsecError('state_failure', 'KEY_NOT_FOUND', `no identity with handle ${handle} in the software key store`);
      throw e;
    }
  }

  async close(): Promise<void> {
    for (const k of this.cache.values()) wipe(k.seed, k.xPriv);
    this.cache.clear();
    wipe(this.secret);
    this.closed = true;
  }

  toJSON(): { kind: 'software'; dir: string } {
    return { kind: 'software', dir: this.dir };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SoftwareKeyStore(${this.dir})`;
  }
}
