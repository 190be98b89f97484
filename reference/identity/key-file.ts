/**
 * The versioned key-file record shared by the software and TPM stores:
 *   magic "AGKF" | version u8 | kind u8 | body
 * Software body (kind 1 = passphrase/scrypt, 2 = provided key/HKDF):
 *   logN u8 | r u8 | p u8 | salt[16] | nonce[12] | signingPublic[32] | agreementPublic[32] | AES-256-GCM(seed || x25519 private)[80]
 *   with the whole header and the handle as associated data.
 * TPM body (kind 3): signingPublic[32] | agreementPublic[32] | lp16(TPM2B_PUBLIC) | lp16(TPM2B_PRIVATE) | pcrMask u32
 */
import { concatBytes, u16be } from '../bytes.js';
import { AgentsecError } from '../errors.js';

export const KEYFILE_MAGIC = new Uint8Array([0x41, 0x47, 0x4b, 0x46]); // "AGKF"
export const KEYFILE_VERSION = 1;
export const KIND_SCRYPT = 1;
export const KIND_RAW_KEY = 2;
export const KIND_TPM_SEALED = 3;

export function keyFileHeader(kind: number): Uint8Array {
  return concatBytes(KEYFILE_MAGIC, new Uint8Array([KEYFILE_VERSION, kind]));
}

/** Checks magic and version; returns the kind byte. Too old and too new are different errors. */
export function readKeyFileHeader(b: Uint8Array, name: string): number {
  if (b.length < 6 || b[0] !== 0x41 || b[1] !== 0x47 || b[2] !== 0x4b || b[3] !== 0x46) {
    throw new AgentsecError('decode_failure', 'KEYFILE_CORRUPT', `key file ${name} is corrupted: bad magic or truncated`);
  }
  const v = b[4]!;
  if (v > KEYFILE_VERSION) throw new AgentsecError('unsupported', 'KEYFILE_VERSION_TOO_NEW', `key file ${name} has version ${v}; this build reads version ${KEYFILE_VERSION} (upgrade agentsec)`);
  if (v < KEYFILE_VERSION) throw new AgentsecError('unsupported', 'KEYFILE_VERSION_TOO_OLD', `key file ${name} has version ${v}, no longer supported (re-create the identity)`);
  return b[5]!;
}

/** A bounds-checked reader: every overrun is a KEYFILE_CORRUPT decode failure. */
export class Reader {
  off = 0;
  constructor(
    readonly b: Uint8Array,
    private readonly name: string,
  ) {}
  take(n: number): Uint8Array {
    if (this.off + n > this.b.length) throw new AgentsecError('decode_failure', 'KEYFILE_CORRUPT', `${this.name} is corrupted: truncated`);
    const out = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const t = this.take(2);
    return (t[0]! << 8) | t[1]!;
  }
  u32(): number {
    const t = this.take(4);
    return new DataView(t.buffer, t.byteOffset, 4).getUint32(0, false);
  }
  lp16(): Uint8Array {
    return this.take(this.u16());
  }
  end(): void {
    if (this.off !== this.b.length) throw new AgentsecError('decode_failure', 'KEYFILE_CORRUPT', `${this.name} is corrupted: trailing bytes`);
  }
}

export function lp16(b: Uint8Array): Uint8Array {
  return concatBytes(u16be(b.length), b);
}
