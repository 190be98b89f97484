/**
 * TPM 2.0 wire marshalling (TCG TPM 2.0 Library Part 1 sec. 18, Part 2 structures): big-endian
 * integers, TPM2B = u16 size || bytes. Just the pieces this client sends and parses.
 */
import { AgentsecError } from '../../errors.js';

export class TpmWriter {
  private parts: number[] = [];
  u8(n: number): this {
    this.parts.push(n & 0xff);
    return this;
  }
  u16(n: number): this {
    this.parts.push((n >>> 8) & 0xff, n & 0xff);
    return this;
  }
  u32(n: number): this {
    this.parts.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  /** TPM2B: u16 size then the bytes. */
  b2(b: Uint8Array): this {
    if (b.length > 0xffff) throw new AgentsecError('decode_failure', 'TPM2B_TOO_LONG', 'TPM2B field longer than 65535 bytes');
    return this.u16(b.length).bytes(b);
  }
  /** A nested structure prefixed by its u16 size (TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE). */
  sized(inner: TpmWriter): this {
    return this.b2(inner.done());
  }
  done(): Uint8Array {
    return new Uint8Array(this.parts);
  }
}

export class TpmReader {
  off = 0;
  constructor(
    readonly b: Uint8Array,
    private readonly what: string,
  ) {}
  private need(n: number): void {
    if (this.off + n > this.b.length) throw new AgentsecError('decode_failure', 'TPM_RESPONSE_TRUNCATED', `${this.what}: TPM response truncated`);
  }
  u8(): number {
    this.need(1);
    return this.b[this.off++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.b[this.off]! << 8) | this.b[this.off + 1]!;
    this.off += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.off, 4).getUint32(0, false);
    this.off += 4;
    return v;
  }
  take(n: number): Uint8Array {
    this.need(n);
    const v = this.b.slice(this.off, this.off + n);
    this.off += n;
    return v;
  }
  b2(): Uint8Array {
    return this.take(this.u16());
  }
  /** A TPM2B kept whole, size prefix included (for passing back to Load unchanged). */
  b2Raw(): Uint8Array {
    const start = this.off;
    this.b2();
    return this.b.slice(start, this.off);
  }
}

/** Algorithm and constant identifiers (TCG Algorithm Registry, Part 2). */
export const TPM_ALG = { RSA: 0x0001, SHA256: 0x000b, HMAC: 0x0005, AES: 0x0006, KEYEDHASH: 0x0008, NULL: 0x0010, ECC: 0x0023, SYMCIPHER: 0x0025, CFB: 0x0043 } as const;
export const TPM_ECC_NIST_P256 = 0x0003;
export const TPM_ST_NO_SESSIONS = 0x8001;
export const TPM_ST_SESSIONS = 0x8002;
export const TPM_RH_OWNER = 0x40000001;
export const TPM_RH_NULL = 0x40000007;
export const TPM_RS_PW = 0x40000009;
export const TPM_SE = { HMAC: 0x00, POLICY: 0x01, TRIAL: 0x03 } as const;

/** TPMA_OBJECT bits (Part 2 sec. 8.3). */
export const TPMA = {
  fixedTPM: 0x00000002,
  fixedParent: 0x00000010,
  sensitiveDataOrigin: 0x00000020,
  userWithAuth: 0x00000040,
  noDA: 0x00000400,
  restricted: 0x00010000,
  decrypt: 0x00020000,
  sign: 0x00040000,
} as const;

export const TPM_CC = {
  Startup: 0x144,
  CreatePrimary: 0x131,
  Create: 0x153,
  Load: 0x157,
  Unseal: 0x15e,
  HMAC: 0x155,
  FlushContext: 0x165,
  StartAuthSession: 0x176,
  GetCapability: 0x17a,
  GetRandom: 0x17b,
  PolicyPCR: 0x17f,
  PCR_Extend: 0x182,
  PolicyGetDigest: 0x189,
  EncryptDecrypt2: 0x193,
} as const;

export const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TPM_CC).map(([k, v]) => [v, `TPM2_${k}`]));
