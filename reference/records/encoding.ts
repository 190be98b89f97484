/**
 * Unambiguous byte encodings shared by bundles, initial messages and records (spec/session.md
 * "Encodings"): tagged, length-prefixed fields read strictly (expected tags in order, no
 * duplicates, no trailing bytes), and typed public-key encodings whose ranges are disjoint.
 */
import { concatBytes, u16be, u32be } from '../bytes.js';
import { AgentsecError } from '../errors.js';

/** A wire field: one tag byte, a u16 length, the value. */
export function field(tag: number, value: Uint8Array): Uint8Array {
  if (value.length > 0xffff) throw new AgentsecError('internal', 'FIELD_TOO_LONG', `field ${tag} is ${value.length} bytes (max 65535)`);
  return concatBytes(new Uint8Array([tag]), u16be(value.length), value);
}

/** A record field: one tag byte, a u32 length, the value (records can exceed 64 KiB). */
export function field32(tag: number, value: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([tag]), u32be(value.length), value);
}

/** Reads fields in order. Every read checks the tag and the bounds; `end()` refuses trailing bytes. */
export class FieldReader {
  private off = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
    start = 0,
    /** Width of the length prefix: 2 on the wire, 4 in records. */
    private readonly lengthBytes: 2 | 4 = 2,
  ) {
    this.off = start;
  }

  /** The next field's tag, or undefined at the end. */
  peekTag(): number | undefined {
    return this.off < this.buf.length ? this.buf[this.off] : undefined;
  }

  /** Reads the next field, which must carry `tag`. */
  read(tag: number, name: string): Uint8Array {
    const t = this.buf[this.off];
    if (t !== tag) throw new AgentsecError('decode_failure', 'BAD_FIELD', `${this.what}: expected field "${name}" (tag ${tag}), got ${t === undefined ? 'end of input' : `tag ${t}`}`);
    const w = this.lengthBytes;
    if (this.off + 1 + w > this.buf.length) throw new AgentsecError('decode_failure', 'TRUNCATED', `${this.what}: field "${name}" truncated`);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.off + 1, w);
    const len = w === 2 ? view.getUint16(0, false) : view.getUint32(0, false);
    const start = this.off + 1 + w;
    if (start + len > this.buf.length) throw new AgentsecError('decode_failure', 'TRUNCATED', `${this.what}: field "${name}" expected ${len} bytes, got ${this.buf.length - start}`);
    this.off = start + len;
    return this.buf.subarray(start, start + len);
  }

  /** Reads the field if the next tag is `tag`. */
  optional(tag: number, name: string): Uint8Array | undefined {
    return this.peekTag() === tag ? this.read(tag, name) : undefined;
  }

  /** Reads every consecutive field carrying `tag` (a repeated field). */
  all(tag: number, name: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.peekTag() === tag) out.push(this.read(tag, name));
    return out;
  }

  end(): void {
    if (this.off !== this.buf.length) throw new AgentsecError('decode_failure', 'TRAILING_BYTES', `${this.what}: ${this.buf.length - this.off} unexpected bytes after the last field`);
  }
}

/** Public-key type bytes: the ranges of EncodeEC, EncodeSig and EncodeKEM are disjoint (R-PQXDH-1). */
export const KEY_TYPE = { X25519: 0x01, Ed25519: 0x02, 'ML-KEM-1024': 0x03 } as const;
export type KeyType = keyof typeof KEY_TYPE;
const KEY_LENGTH: Record<KeyType, number> = { X25519: 32, Ed25519: 32, 'ML-KEM-1024': 1568 };

// @req SESS-002
export function encodeKey(type: KeyType, key: Uint8Array): Uint8Array {
  if (key.length !== KEY_LENGTH[type]) throw new AgentsecError('internal', 'KEY_LENGTH_INVARIANT', `${type} key expected ${KEY_LENGTH[type]} bytes, got ${key.length}`);
  return concatBytes(new Uint8Array([KEY_TYPE[type]]), key);
}

/** Decodes a typed key; an unknown or unexpected type byte is refused (R-PQXDH-2). */
export function decodeKey(type: KeyType, bytes: Uint8Array, name: string): Uint8Array {
  const t = bytes[0];
  if (t !== KEY_TYPE[type]) throw new AgentsecError('decode_failure', 'UNKNOWN_KEY_TYPE', `"${name}" expected key type ${KEY_TYPE[type]} (${type}), got ${t === undefined ? 'nothing' : t}`);
  if (bytes.length !== KEY_LENGTH[type] + 1) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected ${KEY_LENGTH[type] + 1} bytes, got ${bytes.length}`);
  return bytes.slice(1);
}

export function u32(bytes: Uint8Array, name: string): number {
  if (bytes.length !== 4) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected 4 bytes, got ${bytes.length}`);
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
}

export function u8(bytes: Uint8Array, name: string): number {
  if (bytes.length !== 1) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected 1 byte, got ${bytes.length}`);
  return bytes[0]!;
}

export { u32be };

/** Length-prefixed concatenation for signed and hashed inputs: lp(x) = u32(len(x)) || x. */
export function lp(...parts: Uint8Array[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const p of parts) out.push(u32be(p.length), p);
  return concatBytes(...out);
}
