/**
 * Ciphertext blobs of the two modes (spec/kms.md "Ciphertext blobs").
 * - aws (strict): u8(1) || keyId (36 ASCII) || keyMaterialId (32 bytes) || iv (12) || ct || tag (16);
 *   AAD = "agentsec-kms/v1" || the 69-byte header || length-prefixed canonical context.
 * - localstack: keyId (36 bytes, NUL-padded) || iv (16) || tag (16) || AES-256-GCM(PKCS#7(plaintext)),
 *   AAD = concatenation of sorted key+value (no lengths), `aws-crypto-public-key` dropped.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KmsError } from './errors.js';

export type KmsMode = 'aws' | 'localstack';

export interface ParsedBlob {
  readonly keyId: string;
  /** Present in strict blobs only; LocalStack blobs carry no material id (decrypt tries every version). */
  readonly materialId?: string;
  open(material: Buffer, context: Record<string, string>): Buffer | undefined;
}

const KEY_ID_LEN = 36;
const STRICT_VERSION = 1;
const MATERIAL_ID_LEN = 32;
const invalid = (m = 'The ciphertext is invalid'): KmsError => new KmsError('InvalidCiphertextException', m);

/** Length-prefixed canonical encoding: u32(n) then u32-length-prefixed key and value, sorted by UTF-8 key bytes. */
// @req KMS-006
export function strictContextAad(ctx: Record<string, string>): Buffer {
  const pairs = Object.entries(ctx).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u32(pairs.length)];
  for (const [k, v] of pairs) parts.push(u32(k.length), k, u32(v.length), v);
  return Buffer.concat(parts);
}

/** LocalStack's `_serialize_encryption_context`: no lengths, so {a:"bc"} and {ab:"c"} collide. */
// @req KMS-006 KMS-020
export function localstackContextAad(ctx: Record<string, string>): Buffer | undefined {
  const keys = Object.keys(ctx).filter((k) => k !== 'aws-crypto-public-key').sort();
  if (keys.length === 0) return undefined;
  return Buffer.from(keys.map((k) => k + ctx[k]!).join(''), 'utf8');
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function sealBlob(mode: KmsMode, keyId: string, materialId: string, material: Buffer, plaintext: Buffer, context: Record<string, string>): Buffer {
  if (mode === 'localstack') {
    const iv = randomBytes(16);
    const c = createCipheriv('aes-256-gcm', material, iv);
    const aad = localstackContextAad(context);
    if (aad) c.setAAD(aad);
    const pad = 16 - (plaintext.length % 16);
    const ct = Buffer.concat([c.update(Buffer.concat([plaintext, Buffer.alloc(pad, pad)])), c.final()]);
    const id = Buffer.alloc(KEY_ID_LEN);
    Buffer.from(keyId, 'ascii').copy(id, 0, 0, KEY_ID_LEN);
    return Buffer.concat([id, iv, c.getAuthTag(), ct]);
  }
  const header = Buffer.concat([Buffer.from([STRICT_VERSION]), Buffer.from(keyId.padEnd(KEY_ID_LEN, '\0'), 'ascii'), Buffer.from(materialId, 'hex')]);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', material, iv);
  c.setAAD(Buffer.concat([Buffer.from('agentsec-kms/v1'), header, strictContextAad(context)]));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([header, iv, ct, c.getAuthTag()]);
}

export function parseBlob(mode: KmsMode, blob: Buffer): ParsedBlob {
  if (mode === 'localstack') {
    if (blob.length < KEY_ID_LEN + 32 + 16) {
      throw invalid("LocalStack is unable to deserialize the ciphertext blob. Perhaps the blob didn't come from LocalStack");
    }
    const keyId = blob.subarray(0, KEY_ID_LEN).toString('ascii').replace(/\0+$/, '');
    const iv = blob.subarray(KEY_ID_LEN, KEY_ID_LEN + 16);
    const tag = blob.subarray(KEY_ID_LEN + 16, KEY_ID_LEN + 32);
    const ct = blob.subarray(KEY_ID_LEN + 32);
    return {
      keyId,
      open(material, context) {
        try {
          const d = createDecipheriv('aes-256-gcm', material, iv);
          const aad = localstackContextAad(context);
          if (aad) d.setAAD(aad);
          d.setAuthTag(tag);
          const padded = Buffer.concat([d.update(ct), d.final()]);
          const pad = padded[padded.length - 1]!;
          if (pad < 1 || pad > 16 || pad > padded.length) return undefined;
          return padded.subarray(0, padded.length - pad);
        } catch {
          return undefined;
        }
      },
    };
  }
  const headerLen = 1 + KEY_ID_LEN + MATERIAL_ID_LEN;
  if (blob.length < headerLen + 12 + 16 || blob[0] !== STRICT_VERSION) throw invalid();
  const header = blob.subarray(0, headerLen);
  const keyId = header.subarray(1, 1 + KEY_ID_LEN).toString('ascii').replace(/\0+$/, '');
  const materialId = header.subarray(1 + KEY_ID_LEN).toString('hex');
  const iv = blob.subarray(headerLen, headerLen + 12);
  const ct = blob.subarray(headerLen + 12, blob.length - 16);
  const tag = blob.subarray(blob.length - 16);
  return {
    keyId,
    materialId,
    open(material, context) {
      try {
        const d = createDecipheriv('aes-256-gcm', material, iv);
        d.setAAD(Buffer.concat([Buffer.from('agentsec-kms/v1'), header, strictContextAad(context)]));
        d.setAuthTag(tag);
        return Buffer.concat([d.update(ct), d.final()]);
      } catch {
        return undefined;
      }
    },
  };
}
