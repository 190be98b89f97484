/**
 * Where a persistent Noise channel keeps its one record. `save` must be durable and atomic when it
 * returns: the nonce reservation relies on it (NOISE-064).
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../atomic-file.js';

export interface NoiseStateStore {
  save(record: Uint8Array): void;
  /** The last saved record, or undefined when none was saved. */
  load(): Uint8Array | undefined;
}

/** In memory: for tests and for processes whose restarts do not need to be survived. */
export class MemoryNoiseStateStore implements NoiseStateStore {
  #record: Uint8Array | undefined;
  save(record: Uint8Array): void {
    this.#record = record.slice();
  }
  load(): Uint8Array | undefined {
    return this.#record?.slice();
  }
}

/** One file, replaced atomically (temp file, fsync, rename, fsync of the folder: REC-006). */
export class FileNoiseStateStore implements NoiseStateStore {
  constructor(readonly path: string) {}
  save(record: Uint8Array): void {
    writeFileAtomicSync(this.path, record);
  }
  load(): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
