/**
 * A small TPM 2.0 client: exactly the commands the key stores and the TPM KEK use, marshalled by
 * hand (no tpm2-tss). Authorization is a password session (TPM_RS_PW) or a policy session.
 */
import { AgentsecError } from '../../errors.js';
import { COMMAND_NAMES, TPM_ALG, TPM_CC, TPM_ECC_NIST_P256, TPM_RH_NULL, TPM_RH_OWNER, TPM_RS_PW, TPM_SE, TPM_ST_NO_SESSIONS, TPM_ST_SESSIONS, TPMA, TpmReader, TpmWriter } from './marshal.js';
import { tpmError } from './rc.js';
import { connectTpm, type TpmAddress, type TpmTransport } from './transport.js';

export type TpmAuth = { password: Uint8Array } | { policySession: number; nonce: Uint8Array } | { raw: Uint8Array };

function authArea(auths: TpmAuth[]): Uint8Array {
  const w = new TpmWriter();
  for (const a of auths) {
    if ('password' in a) w.u32(TPM_RS_PW).b2(new Uint8Array(0)).u8(0x01).b2(a.password);
    else if ('raw' in a) w.bytes(a.raw);
    // continueSession clear: the TPM flushes the policy session once the command succeeds.
    else w.u32(a.policySession).b2(a.nonce).u8(0x00).b2(new Uint8Array(0));
  }
  const body = w.done();
  return new TpmWriter().u32(body.length).bytes(body).done();
}

export interface TpmResponse {
  handles: number[];
  params: TpmReader;
  /** The whole response, for callers that must wipe it (Unseal). */
  raw: Uint8Array;
  /** The response authorization area (sessions responses), when the command had sessions. */
  authArea?: Uint8Array;
}

/** PCR selection bitmap for SHA-256 PCRs (3 octets, PCR 0..23). */
export function pcrSelection(pcrs: readonly number[]): TpmWriter {
  const bitmap = new Uint8Array(3);
  for (const p of pcrs) {
    if (!Number.isInteger(p) || p < 0 || p > 23) throw new AgentsecError('decode_failure', 'TPM_PCR_INDEX', `PCR index ${p} is not in 0..23`);
    bitmap[p >> 3]! |= 1 << (p & 7);
  }
  return new TpmWriter().u32(1).u16(TPM_ALG.SHA256).u8(3).bytes(bitmap);
}

/** The SRK template: ECC P-256 restricted decryption key, AES-128-CFB, in the owner hierarchy. */
function srkTemplate(): TpmWriter {
  const attrs = TPMA.fixedTPM | TPMA.fixedParent | TPMA.sensitiveDataOrigin | TPMA.userWithAuth | TPMA.noDA | TPMA.restricted | TPMA.decrypt;
  return new TpmWriter()
    .u16(TPM_ALG.ECC).u16(TPM_ALG.SHA256).u32(attrs).b2(new Uint8Array(0))
    .u16(TPM_ALG.AES).u16(128).u16(TPM_ALG.CFB) // symmetric
    .u16(TPM_ALG.NULL) // scheme
    .u16(TPM_ECC_NIST_P256).u16(TPM_ALG.NULL) // curve, kdf
    .b2(new Uint8Array(0)).b2(new Uint8Array(0)); // unique x, y
}

export class TpmClient {
  private constructor(
    private transport: TpmTransport,
    readonly address: TpmAddress,
    private readonly timeoutMs: number,
  ) {}

  static async connect(address: TpmAddress, opts: { timeoutMs?: number } = {}): Promise<TpmClient> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const c = new TpmClient(await connectTpm(address, timeoutMs), address, timeoutMs);
    try {
      await c.startup();
      await c.flushOrphans();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  /**
   * swtpm has no resource manager: objects and sessions loaded by a connection that died (a timeout,
   * a crashed process) stay loaded and would fill the three object slots. The client assumes sole
   * use of the TPM, so at every (re)connect whatever is loaded is an orphan and is flushed.
   */
  async flushOrphans(): Promise<void> {
    for (const h of [...(await this.handles(0x80000000)), ...(await this.loadedSessions())]) await this.flush(h);
  }

  get alive(): boolean {
    return this.transport.alive;
  }

  /** Replaces a dead connection (swtpm restarted); the TPM keeps its seeds across restarts. */
  async reconnect(): Promise<void> {
    this.transport.close();
    this.transport = await connectTpm(this.address, this.timeoutMs);
    await this.startup();
    await this.flushOrphans(); // @req KEY-022
  }

  close(): void {
    this.transport.close();
  }

  async command(cc: number, handles: number[], auths: TpmAuth[] | null, params: Uint8Array, responseHandles = 0): Promise<TpmResponse> {
    const name = COMMAND_NAMES[cc] ?? `TPM command 0x${cc.toString(16)}`;
    const body = new TpmWriter();
    for (const h of handles) body.u32(h);
    if (auths) body.bytes(authArea(auths));
    body.bytes(params);
    const b = body.done();
    const cmd = new TpmWriter().u16(auths ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS).u32(10 + b.length).u32(cc).bytes(b).done();
    const resp = await this.transport.send(cmd, name);
    const r = new TpmReader(resp, name);
    const tag = r.u16();
    r.u32();
    const rc = r.u32();
    if (rc !== 0) throw tpmError(name, rc);
    const hs: number[] = [];
    for (let i = 0; i < responseHandles; i++) hs.push(r.u32());
    if (tag === TPM_ST_SESSIONS) {
      const paramSize = r.u32();
      const body = r.take(paramSize);
      return { handles: hs, params: new TpmReader(body, name), raw: resp, authArea: r.take(resp.length - r.off) };
    }
    return { handles: hs, params: r, raw: resp };
  }

  /** TPM2_Startup(CLEAR); a TPM already started (TPM_RC_INITIALIZE) is fine. */
  async startup(): Promise<void> {
    try {
      await this.command(TPM_CC.Startup, [], null, new TpmWriter().u16(0x0000).done());
    } catch (e) {
      if (!(e instanceof AgentsecError && e.reason === 'TPM_RC_INITIALIZE')) throw e;
    }
  }

  async getRandom(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const want = Math.min(32, n - off);
      const { params } = await this.command(TPM_CC.GetRandom, [], null, new TpmWriter().u16(want).done());
      const got = params.b2();
      out.set(got.subarray(0, Math.min(got.length, n - off)), off);
      off += got.length;
    }
    return out;
  }

  /** The storage primary key (deterministic from the owner seed + template: same key after restarts). */
  async createPrimary(): Promise<number> {
    return (await this.createPrimaryWithPublic()).handle;
  }

  /** The storage primary key and its public point (for salting sessions to it). */
  async createPrimaryWithPublic(): Promise<{ handle: number; x: Uint8Array; y: Uint8Array }> {
    const sensitive = new TpmWriter().b2(new Uint8Array(0)).b2(new Uint8Array(0));
    const p = new TpmWriter().sized(sensitive).sized(srkTemplate()).b2(new Uint8Array(0)).u32(0).done();
    const { handles, params } = await this.command(TPM_CC.CreatePrimary, [TPM_RH_OWNER], [{ password: new Uint8Array(0) }], p, 1);
    // outPublic: TPM2B_PUBLIC of the ECC template above; x and y are the last two fields.
    const pub = new TpmReader(params.b2(), 'TPM2_CreatePrimary');
    pub.take(2 + 2 + 4);
    pub.b2(); // authPolicy
    pub.take(6 + 2 + 2 + 2); // symmetric, scheme, curve, kdf
    const x = pub.b2();
    const y = pub.b2();
    if (x.length !== 32 || y.length !== 32) throw new AgentsecError('decode_failure', 'TPM_SRK_PUBLIC', 'storage key public point is not P-256');
    return { handle: handles[0]!, x, y };
  }

  /** TPM2_Create under `parent`; returns the TPM2B_PRIVATE and TPM2B_PUBLIC blobs (size prefixes kept). */
  async create(parent: number, template: TpmWriter, opts: { data?: Uint8Array; userAuth?: Uint8Array } = {}): Promise<{ priv: Uint8Array; pub: Uint8Array }> {
    const sensitive = new TpmWriter().b2(opts.userAuth ?? new Uint8Array(0)).b2(opts.data ?? new Uint8Array(0));
    const p = new TpmWriter().sized(sensitive).sized(template).b2(new Uint8Array(0)).u32(0).done();
    const { params } = await this.command(TPM_CC.Create, [parent], [{ password: new Uint8Array(0) }], p);
    const priv = params.b2Raw();
    const pub = params.b2Raw();
    return { priv, pub };
  }

  async load(parent: number, priv: Uint8Array, pub: Uint8Array): Promise<number> {
    const p = new TpmWriter().bytes(priv).bytes(pub).done();
    const { handles } = await this.command(TPM_CC.Load, [parent], [{ password: new Uint8Array(0) }], p, 1);
    return handles[0]!;
  }

  /** The sealed data; every other copy of it in the response is zeroed before returning. */
  async unseal(item: number, auth: TpmAuth): Promise<Uint8Array> {
    const res = await this.command(TPM_CC.Unseal, [item], [auth], new Uint8Array(0));
    try {
      return res.params.b2();
    } finally {
      res.params.b.fill(0);
      res.raw.fill(0);
    }
  }

  async flush(handle: number): Promise<void> {
    await this.command(TPM_CC.FlushContext, [], null, new TpmWriter().u32(handle).done());
  }

  /** Flushes without letting a flush failure (e.g. a dead connection) mask the original error. */
  async flushQuietly(...handles: (number | undefined)[]): Promise<void> {
    for (const h of handles) if (h !== undefined && this.alive) await this.flush(h).catch(() => undefined);
  }

  async startAuthSession(type: number): Promise<{ handle: number; nonce: Uint8Array }> {
    const nonce = await this.getRandom(32);
    const p = new TpmWriter().b2(nonce).b2(new Uint8Array(0)).u8(type).u16(TPM_ALG.NULL).u16(TPM_ALG.SHA256).done();
    const { handles } = await this.command(TPM_CC.StartAuthSession, [TPM_RH_NULL, TPM_RH_NULL], null, p, 1);
    return { handle: handles[0]!, nonce };
  }

  async policyPcr(session: number, pcrs: readonly number[]): Promise<void> {
    const p = new TpmWriter().b2(new Uint8Array(0)).bytes(pcrSelection(pcrs).done()).done();
    await this.command(TPM_CC.PolicyPCR, [session], null, p);
  }

  async policyGetDigest(session: number): Promise<Uint8Array> {
    const { params } = await this.command(TPM_CC.PolicyGetDigest, [session], null, new Uint8Array(0));
    return params.b2();
  }

  /** The PolicyPCR digest for the PCRs' current values, computed by a trial session. */
  async pcrPolicyDigest(pcrs: readonly number[]): Promise<Uint8Array> {
    const s = await this.startAuthSession(TPM_SE.TRIAL);
    try {
      await this.policyPcr(s.handle, pcrs);
      return await this.policyGetDigest(s.handle);
    } finally {
      await this.flushQuietly(s.handle);
    }
  }

  async pcrExtend(pcr: number, digest: Uint8Array): Promise<void> {
    const p = new TpmWriter().u32(1).u16(TPM_ALG.SHA256).bytes(digest).done();
    await this.command(TPM_CC.PCR_Extend, [pcr], [{ password: new Uint8Array(0) }], p);
  }

  async encryptDecrypt2(key: number, data: Uint8Array, decrypt: boolean, iv: Uint8Array): Promise<Uint8Array> {
    const p = new TpmWriter().b2(data).u8(decrypt ? 1 : 0).u16(TPM_ALG.NULL).b2(iv).done();
    const { params } = await this.command(TPM_CC.EncryptDecrypt2, [key], [{ password: new Uint8Array(0) }], p);
    return params.b2();
  }

  async hmac(key: number, data: Uint8Array): Promise<Uint8Array> {
    const p = new TpmWriter().b2(data).u16(TPM_ALG.SHA256).done();
    const { params } = await this.command(TPM_CC.HMAC, [key], [{ password: new Uint8Array(0) }], p);
    return params.b2();
  }

  /** Transient object handles currently loaded (TPM_CAP_HANDLES from 0x80000000). */
  async transientHandles(): Promise<number[]> {
    return this.handles(0x80000000);
  }

  /** Loaded sessions, HMAC (0x02......) and policy (0x03......): TPM_HT_LOADED_SESSION lists both. */
  async loadedSessions(): Promise<number[]> {
    return this.handles(0x02000000, [0x02, 0x03]);
  }

  /** TPM_CAP_HANDLES from `first` (the first handle of a handle type's range). */
  async handles(first: number, types: number[] = [first >>> 24]): Promise<number[]> {
    const p = new TpmWriter().u32(0x00000001).u32(first).u32(64).done();
    const { params } = await this.command(TPM_CC.GetCapability, [], null, p);
    params.u8(); // moreData
    params.u32(); // capability
    const n = params.u32();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const h = params.u32();
      if (types.includes(h >>> 24)) out.push(h);
    }
    return out;
  }
}

/** Template of a sealed data object: KEYEDHASH, no scheme, user auth or a policy. */
export function sealedTemplate(policyDigest?: Uint8Array): TpmWriter {
  // fixedTPM + fixedParent: the blob only ever loads under this TPM's storage key.
  // Without userWithAuth, only the policy (PCR values) can authorize Unseal.
  const attrs = TPMA.fixedTPM | TPMA.fixedParent | TPMA.noDA | (policyDigest ? 0 : TPMA.userWithAuth);
  return new TpmWriter().u16(TPM_ALG.KEYEDHASH).u16(TPM_ALG.SHA256).u32(attrs).b2(policyDigest ?? new Uint8Array(0)).u16(TPM_ALG.NULL).b2(new Uint8Array(0));
}

/** Template of a TPM-generated AES-256-CFB key for EncryptDecrypt2. */
export function aesTemplate(): TpmWriter {
  const attrs = TPMA.fixedTPM | TPMA.fixedParent | TPMA.sensitiveDataOrigin | TPMA.userWithAuth | TPMA.noDA | TPMA.decrypt | TPMA.sign;
  return new TpmWriter().u16(TPM_ALG.SYMCIPHER).u16(TPM_ALG.SHA256).u32(attrs).b2(new Uint8Array(0)).u16(TPM_ALG.AES).u16(256).u16(TPM_ALG.CFB).b2(new Uint8Array(0));
}

/** Template of a TPM-generated HMAC-SHA-256 key. */
export function hmacTemplate(): TpmWriter {
  const attrs = TPMA.fixedTPM | TPMA.fixedParent | TPMA.sensitiveDataOrigin | TPMA.userWithAuth | TPMA.noDA | TPMA.sign;
  return new TpmWriter().u16(TPM_ALG.KEYEDHASH).u16(TPM_ALG.SHA256).u32(attrs).b2(new Uint8Array(0)).u16(TPM_ALG.HMAC).u16(TPM_ALG.SHA256).b2(new Uint8Array(0));
}
