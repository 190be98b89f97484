/**
 * TPM 2.0 key store. libtpms has no Curve25519/Ed25519, so the TPM cannot hold the identity keys as
 * TPM keys; instead the private keys are sealed: a KEYEDHASH data object under the TPM's storage
 * primary key (fixedTPM | fixedParent, optionally bound to PCR values by PolicyPCR). The sealed
 * blob is stored in a key file; for each operation the store loads it, unseals the 64 bytes into
 * memory, signs or agrees, and wipes them. Every transient handle is flushed, on success and error.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { abytes, concatBytes, equalBytes, toHex, u32be, utf8, wipe } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { writeFileAtomic } from '../atomic-file.js';
import { checkPrivateFile, ensurePrivateDir } from './private-file.js';
import { checkHandle } from './identity.js';
import { KIND_TPM_SEALED, Reader, keyFileHeader, lp16, readKeyFileHeader } from './key-file.js';
import type { IdentityPublicKeys, KeyStore } from './keystore.js';
import { sealedTemplate, type TpmAuth, type TpmClient } from '../device/tpm/client.js';
import { objectName, startSaltedSession, unsealEncrypted } from '../device/tpm/encrypted-session.js';
import { acquireTpm, type TpmLease } from '../device/tpm/shared.js';
import { TPM_SE } from '../device/tpm/marshal.js';
import type { TpmAddress } from '../device/tpm/transport.js';

export interface TpmKeyStoreOptions {
  /** swtpm's data socket: { path } (UNIX) or { host: '127.0.0.1', port } (TCP). */
  address: TpmAddress;
  /** Folder for the sealed blobs (key files). */
  dir: string;
  provider: CryptoProvider;
  /** Seal new identities to the current values of these SHA-256 PCRs (PolicyPCR). */
  pcrs?: number[];
  timeoutMs?: number;
}

interface Sealed {
  pub: IdentityPublicKeys;
  tpmPublic: Uint8Array;
  tpmPrivate: Uint8Array;
  pcrs: number[];
}

const SUFFIX = '.tpmkey';

function pcrMask(pcrs: readonly number[]): number {
  return pcrs.reduce((m, p) => m | (1 << p), 0) >>> 0;
}
function pcrList(mask: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 24; i++) if (mask & (1 << i)) out.push(i);
  return out;
}

export class TpmKeyStore implements KeyStore {
  readonly kind = 'tpm' as const;
  private readonly cache = new Map<string, Sealed>();
  private closed = false;

  private constructor(
    private readonly opts: TpmKeyStoreOptions,
    private readonly tpm: TpmLease,
  ) {}

  static async open(opts: TpmKeyStoreOptions): Promise<TpmKeyStore> {
    for (const p of opts.pcrs ?? []) if (!Number.isInteger(p) || p < 0 || p > 23) throw new AgentsecError('decode_failure', 'TPM_PCR_INDEX', `PCR index ${p} is not in 0..23`);
    return new TpmKeyStore(opts, await acquireTpm(opts.address, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }));
  }

  /** Runs one TPM command sequence at a time (shared per TPM; only 3 object slots). */
  private exclusive<T>(fn: (c: TpmClient) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AgentsecError('state_failure', 'KEYSTORE_CLOSED', 'the key store is closed'));
    return this.tpm.run(fn);
  }

  private path(handle: string): string {
    checkHandle(handle);
    return join(this.opts.dir, handle + SUFFIX);
  }

  async createIdentityKeys(): Promise<{ handle: string } & IdentityPublicKeys> {
    const provider = this.opts.provider;
    const pcrs = [...(this.opts.pcrs ?? [])].sort((a, b) => a - b);
    const handle = toHex(provider.randomBytes(16));
    const { secret, sealed } = await this.exclusive(async (c) => {
      // Key material mixes the TPM's RNG with the host's: either alone suffices.
      const ikm = concatBytes(await c.getRandom(32), provider.randomBytes(32));
      const secret = provider.hkdf('SHA-256', ikm, new Uint8Array(0), utf8('agentsec/tpm-keygen/v1'), 64); // @req ID-011
      wipe(ikm);
      let srk: number | undefined;
      try {
        srk = await c.createPrimary();
        const policy = pcrs.length ? await c.pcrPolicyDigest(pcrs) : undefined;
        const sealed = await c.create(srk, sealedTemplate(policy), { data: secret }); // @req KEY-020
        return { secret, sealed };
      } catch (e) {
        wipe(secret);
        throw e;
      } finally {
        await c.flushQuietly(srk); // @req KEY-022
      }
    });
    const seed = secret.subarray(0, 32);
    const xPriv = secret.subarray(32, 64);
    const pub = { signingPublic: provider.ed25519.publicKey(seed), agreementPublic: provider.x25519.publicKey(xPriv) };
    wipe(secret);
    const file = concatBytes(keyFileHeader(KIND_TPM_SEALED), pub.signingPublic, pub.agreementPublic, lp16(sealed.pub), lp16(sealed.priv), u32be(pcrMask(pcrs)));
    await ensurePrivateDir(this.opts.dir);
    await writeFileAtomic(this.path(handle), file, { exclusive: true });
    this.cache.set(handle, { pub, tpmPublic: sealed.pub, tpmPrivate: sealed.priv, pcrs });
    return { handle, ...pub };
  }

  private async sealed(handle: string): Promise<Sealed> {
    const cached = this.cache.get(handle);
    if (cached) return cached;
    const path = this.path(handle);
    let b: Uint8Array;
    try {
      b = new Uint8Array(await readFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentsecError('state_failure', 'KEY_NOT_FOUND', `no identity with handle ${handle} in the TPM key store`);
      throw e;
    }
    await checkPrivateFile(path);
    const name = handle + SUFFIX;
    if (readKeyFileHeader(b, name) !== KIND_TPM_SEALED) throw new AgentsecError('decode_failure', 'KEYFILE_KIND', `key file ${name} is not a TPM sealed key file`);
    const r = new Reader(b, `key file ${name}`);
    r.take(6);
    const signingPublic = new Uint8Array(r.take(32));
    const agreementPublic = new Uint8Array(r.take(32));
    const tpmPublic = new Uint8Array(r.lp16());
    const tpmPrivate = new Uint8Array(r.lp16());
    const pcrs = pcrList(r.u32());
    r.end();
    const s = { pub: { signingPublic, agreementPublic }, tpmPublic, tpmPrivate, pcrs };
    this.cache.set(handle, s);
    return s;
  }

  /** Loads and unseals the identity's private keys, runs `use`, wipes them, flushes every handle. */
  private async withKeys<T>(handle: string, use: (seed: Uint8Array, xPriv: Uint8Array) => T): Promise<T> {
    const s = await this.sealed(handle);
    return this.exclusive(async (c) => {
      let srk: number | undefined;
      let obj: number | undefined;
      let session: number | undefined;
      let secret: Uint8Array | undefined;
      let encSession: number | undefined;
      try {
        const primary = await c.createPrimaryWithPublic();
        srk = primary.handle;
        obj = await c.load(srk, s.tpmPrivate, s.tpmPublic);
        // The response carrying the keys is encrypted under a session salted to the storage key.
        const enc = await startSaltedSession(c, primary); // @req KEY-027
        encSession = enc.handle;
        await c.flush(srk);
        srk = undefined;
        let auth: TpmAuth = { password: new Uint8Array(0) };
        if (s.pcrs.length) {
          const sess = await c.startAuthSession(TPM_SE.POLICY);
          session = sess.handle;
          await c.policyPcr(session, s.pcrs);
          auth = { policySession: session, nonce: sess.nonce };
        }
        secret = await unsealEncrypted(c, obj, objectName(s.tpmPublic), auth, enc);
        session = undefined; // both sessions consumed: continueSession was clear
        encSession = undefined;
        if (secret.length !== 64) throw new AgentsecError('decode_failure', 'TPM_SEALED_LENGTH', `sealed object for ${handle} holds ${secret.length} bytes, expected 64`);
        const seed = secret.subarray(0, 32);
        const xPriv = secret.subarray(32, 64);
        // The unsealed keys must be the ones recorded: a swapped blob is caught here.
        if (!equalBytes(this.opts.provider.ed25519.publicKey(seed), s.pub.signingPublic) || !equalBytes(this.opts.provider.x25519.publicKey(xPriv), s.pub.agreementPublic)) {
          throw new AgentsecError('auth_failure', 'TPM_SEALED_MISMATCH', `sealed keys of ${handle} do not match its recorded public keys`);
        }
        return use(seed, xPriv);
      } finally {
        wipe(secret); // @req KEY-020
        await c.flushQuietly(encSession, session, obj, srk); // @req KEY-022
      }
    });
  }

  async publicKeys(handle: string): Promise<IdentityPublicKeys> {
    const { pub } = await this.sealed(handle);
    return { signingPublic: new Uint8Array(pub.signingPublic), agreementPublic: new Uint8Array(pub.agreementPublic) };
  }

  async sign(handle: string, message: Uint8Array): Promise<Uint8Array> {
    abytes(message, 'message');
    return this.withKeys(handle, (seed) => this.opts.provider.ed25519.sign(seed, message));
  }

  async dh(handle: string, peerPublic: Uint8Array): Promise<Uint8Array> {
    abytes(peerPublic, 'peerPublic', 32);
    return this.withKeys(handle, (_seed, xPriv) => this.opts.provider.x25519.dh(xPriv, peerPublic));
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.opts.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => n.endsWith(SUFFIX)).map((n) => n.slice(0, -SUFFIX.length)).filter((h) => /^[0-9a-f]{32}$/.test(h)).sort();
  }

  async delete(handle: string): Promise<void> {
    const path = this.path(handle);
    this.cache.delete(handle);
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentsecError('state_failure', 'KEY_NOT_FOUND', `no identity with handle ${handle} in the TPM key store`);
      throw e;
    }
  }

  /** Transient objects and sessions loaded right now (for checks that nothing leaks). */
  async transientHandles(): Promise<number[]> {
    return this.exclusive(async (c) => [...(await c.transientHandles()), ...(await c.loadedSessions())]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tpm.release();
    this.cache.clear();
  }

  toJSON(): { kind: 'tpm'; dir: string } {
    return { kind: 'tpm', dir: this.opts.dir };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `TpmKeyStore(${this.opts.dir})`;
  }
}
