/**
 * An exclusive lock beside a state file, so several processes changing one file (a KEK ring, a KMS
 * endpoint's state) serialise their read-modify-write and none loses another's change. The lock
 * file `<path>.lock` appears atomically (link of a complete temp file, which fails if it exists) and
 * names its owner's pid; a lock whose owner process is gone is stale and is broken, under a second
 * short-lived lock so two processes never both break it and one then removes the other's fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AgentsecError } from './errors.js';

export interface FileLockOptions {
  /** How long to wait for another live process's lock before giving up (FILE_LOCKED); default 30 s. */
  readonly waitMs?: number;
}

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `lock` holding our pid, or returns false if it exists. */
function tryCreate(lock: string): boolean {
  const tmp = join(dirname(lock), `.${basename(lock)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

function ownerOf(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `lock` if its owner is dead; true if the lock is gone (removed here or released meanwhile). */
function breakIfStale(lock: string): boolean {
  const pid = ownerOf(lock);
  if (pid !== undefined && ownerAlive(pid)) return false;
  const breaker = `${lock}.break`;
  if (!tryCreate(breaker)) {
    // Held for a moment by whoever is breaking the lock; a dead breaker is removed outright.
    const b = ownerOf(breaker);
    if (b !== undefined && !ownerAlive(b)) unlinkSync(breaker);
    return false;
  }
  try {
    // Re-read under the breaker lock: the stale lock may have been replaced by a live one.
    const again = ownerOf(lock);
    if (again !== undefined && ownerAlive(again)) return false;
    try {
      unlinkSync(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return true;
  } finally {
    unlinkSync(breaker);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `f` holding the exclusive lock of `path`. */
export async function withFileLock<T>(path: string, f: () => T | Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const lock = `${path}.lock`;
  const giveUpAt = Date.now() + (opts.waitMs ?? 30_000);
  let pause = 1;
  while (!tryCreate(lock)) {
    if (breakIfStale(lock)) continue;
    if (Date.now() > giveUpAt) {
      throw new AgentsecError('state_failure', 'FILE_LOCKED', `${basename(path)} stays locked by process ${ownerOf(lock) ?? 'unknown'}`);
    }
    await sleep(pause + Math.random() * pause);
    pause = Math.min(pause * 2, 50);
  }
  try {
    return await f();
  } finally {
    unlinkSync(lock);
  }
}
