/**
 * Key files are private: their folder is created 0700, and a key file readable or writable by group
 * or others is refused. Writes go through the one atomic writer (../atomic-file.ts).
 */
import { mkdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { AgentsecError } from '../errors.js';

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Refuses key files readable or writable by group or others. */
export async function checkPrivateFile(path: string): Promise<void> {
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new AgentsecError('policy_reject', 'KEYFILE_PERMISSIONS', `key file ${basename(path)} has mode ${(st.mode & 0o777).toString(8)}; it must be 600 (chmod 600 it)`);
  }
}
