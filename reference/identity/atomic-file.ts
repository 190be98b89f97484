/**
 * Atomic, private file writes for key files and blobs: write a temp file (mode 0600) beside the
 * target, fsync it, rename it over the target, fsync the folder. A crash leaves either the old
 * file or the new one, never a torn file; `exclusive` refuses to replace an existing file.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentsecError } from '../errors.js';

export const PRIVATE_FILE_MODE = 0o600;

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function writeFileAtomic(path: string, data: Uint8Array, opts: { exclusive?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.chmod(PRIVATE_FILE_MODE); // umask cannot widen it, but make it explicit
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (opts.exclusive) {
      // link() fails if the target exists: no window in which an existing file is replaced.
      try {
        await link(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AgentsecError('duplicate', 'FILE_EXISTS', `refusing to overwrite existing file ${basename(path)}`);
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
  const dh = await open(dir, constants.O_RDONLY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Refuses key files readable or writable by group or others. */
export async function checkPrivateFile(path: string): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new AgentsecError('policy_reject', 'KEYFILE_PERMISSIONS', `key file ${basename(path)} has mode ${(st.mode & 0o777).toString(8)}; it must be 600 (chmod 600 it)`);
  }
}
