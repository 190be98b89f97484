/**
 * The project's one atomic file write (REC-006): a temp file in the same folder (mode 0600 unless
 * told otherwise), fsync, rename over the target (or link, when `exclusive` must refuse an existing
 * file), fsync of the folder. A crash leaves the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentsecError } from './errors.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0600: records and keys are private). */
  readonly mode?: number;
  /** Refuse to replace an existing file (FILE_EXISTS), with no window in which it is replaced. */
  readonly exclusive?: boolean;
}

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function existsError(path: string): AgentsecError {
  return new AgentsecError('duplicate', 'FILE_EXISTS', `refusing to overwrite existing file ${basename(path)}`);
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

// @req REC-006
export function writeFileAtomicSync(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): void {
  const bytes = toBytes(data);
  const mode = opts.mode ?? 0o600;
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    if (opts.exclusive) {
      try {
        linkSync(tmp, path); // link() fails if the target exists
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(path);
        throw e;
      }
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}

/** The same write without blocking the event loop (key stores). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const mode = opts.mode ?? 0o600;
  const tmp = tempPath(path);
  const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    await fh.writeFile(toBytes(data));
    await fh.chmod(mode); // umask cannot widen it, but make it explicit
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (opts.exclusive) {
      try {
        await link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(path);
        throw e;
      }
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  try {
    const dh = await open(dirname(path), constants.O_RDONLY);
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}
