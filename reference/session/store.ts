/**
 * Atomic file storage for records (spec/records.md REC-006): write a temp file in the same
 * folder, fsync it, rename it over the target, fsync the folder. A crash leaves either the old
 * or the new record, never a torn one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { AgentsecError } from '../errors.js';

export function writeFileAtomic(path: string, data: Uint8Array): void {
  // @req REC-006
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}

/** A folder of named records. */
export class FileRecordStore {
  constructor(private readonly dir: string) {}

  private path(name: string): string {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(name) || name.startsWith('.')) throw new AgentsecError('decode_failure', 'BAD_NAME', `record name "${name}" must be 1-128 of [A-Za-z0-9._-], not starting with "."`);
    return join(this.dir, name);
  }

  save(name: string, record: Uint8Array): void {
    writeFileAtomic(this.path(name), record);
  }

  load(name: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.path(name)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
