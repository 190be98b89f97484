/**
 * A KEK held by a TPM (swtpm or a real one): one TPM KEK per version, made and used through the
 * identity area's TpmKek (AES-256-CFB + HMAC-SHA-256 inside the TPM, encrypt-then-MAC over the
 * associated data), so the binding (KEK id, version, context digest) is authenticated by the TPM.
 * A version's record is its TPM-encrypted key blob, loadable only on the TPM that made it; retiring
 * a version drops the blob from the metadata file. Without a metadata file the versions live in
 * memory only.
 */
import { fromHex, toHex } from '../../bytes.js';
import { getProvider, type CryptoProvider } from '../../crypto/index.js';
import { createTpmKek, loadTpmKek, type TpmKek } from '../../device/tpm/kek.js';
import type { TpmAddress } from '../../device/tpm/transport.js';
import type { Clock } from '../kek.js';
import { SlotKekRing, type KekSlotBackend } from './slot-ring.js';

export interface TpmKekRingOptions {
  readonly address: TpmAddress;
  /** KEK id in envelopes; default `tpm:<name>`. */
  readonly name: string;
  readonly kekId?: string;
  readonly path?: string;
  readonly graceMs?: number;
  readonly clock?: Clock;
  readonly crypto?: CryptoProvider;
  readonly timeoutMs?: number;
}

/**
 * The handle of a version is its blob: a TPM serves one connection at a time, so each operation
 * loads the version's key, uses it and disconnects, instead of holding a connection per version.
 */
export function tpmBackend(o: TpmKekRingOptions): KekSlotBackend<Uint8Array> {
  const provider = o.crypto ?? getProvider('noble');
  const conn = { address: o.address, provider, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) };
  const using = async <T>(blob: Uint8Array, f: (k: TpmKek) => Promise<T>): Promise<T> => {
    const k = await loadTpmKek(conn, blob);
    try {
      return await f(k);
    } finally {
      await k.close();
    }
  };
  return {
    kind: 'tpm',
    async create() {
      const kek = await createTpmKek(conn);
      const blob = kek.blob;
      await kek.close();
      return { handle: blob, record: toHex(blob) };
    },
    async load(_version, record) {
      return record === undefined ? undefined : fromHex(record, 'record');
    },
    // @req ENV-007
    wrap: (blob, dek, aad) => using(blob, (k) => k.wrap(dek, aad)),
    unwrap: (blob, wrapped, aad) => using(blob, (k) => k.unwrap(wrapped, aad)),
    async destroy() {
      // The blob is dropped from the ring (and its file): without it the TPM cannot load the key.
    },
  };
}

export function openTpmKekRing(o: TpmKekRingOptions): Promise<SlotKekRing<Uint8Array>> {
  return SlotKekRing.open(tpmBackend(o), {
    kekId: o.kekId ?? `tpm:${o.name}`,
    ...(o.path ? { path: o.path } : {}),
    ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
  });
}
