/**
 * The SQLite store's own behaviour. Opening a SQLite store while another process holds the file's write lock in rollback-journal mode
 * (what a second directory process sees while the first creates the file): SQLite refuses the switch
 * to WAL at once, without its busy timeout, and the open must wait for the lock instead of calling
 * the file corrupt.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { getProvider, SessionAgent, toHex } from '../../../reference/index.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { verifyBatch } from '../publication.js';
import { openSqliteStore, sqliteDrivers, type SqliteDriver } from '../sqlite-store.js';

const p = getProvider('node');

const ROOT = join(import.meta.dirname, '../../..');

/** A child process holding `BEGIN IMMEDIATE` on a rollback-journal database until told to commit. */
async function holdWriteLock(path: string, driver: SqliteDriver) {
  const open =
    driver === 'node:sqlite'
      ? `const { DatabaseSync } = process.getBuiltinModule('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(path)});`
      : `const Database = require('better-sqlite3'); const db = new Database(${JSON.stringify(path)});`;
  const script = `${open}
db.exec('BEGIN IMMEDIATE'); db.exec('CREATE TABLE held (x)');
console.log('holding');
process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); console.log('released'); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('holding');
  return {
    async release() {
      child.stdin!.write('commit\n');
      expect((await lines.next()).value).toBe('released');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

describe.each(sqliteDrivers())('SQLite store on %s', (driver) => {
  it('DIR-017 DIR-025: opening while another process holds the rollback-journal write lock waits for it; nothing is called corrupt', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-')), 'dir.sqlite');
    const holder = await holdWriteLock(path, driver);
    // The first attempt runs before openSqliteStore returns its promise, so it meets the held lock.
    const opening = openSqliteStore(path, { driver });
    let settled = false;
    void opening.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setImmediate(r));
    expect(settled, 'the open gave up while the lock was held').toBe(false);
    await holder.release();
    const store = await opening;
    expect(await store.info('nobody')).toBeUndefined();
    await store.close();
  });
});

describe.each(sqliteDrivers())('SQLite store on %s: fetches in one burst', (driver) => {
  it('DIR-003 DIR-026: concurrent takes share commits yet each gets its own bundle, durably, and the reusable one after the last', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-')), 'dir.sqlite');
    const store = await openSqliteStore(path, { driver });
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const batch = await verifyBatch(p, { bundles: bob.bundleBatch(20).map(toHex) }, DEFAULT_LIMITS);
    await store.publish('bob', batch, DEFAULT_LIMITS);
    // 24 takes issued in one tick: 20 one-time bundles, each once, then the reusable one.
    const got = await Promise.all(Array.from({ length: 24 }, () => store.take('bob')));
    const oneTime = got.filter((r) => r?.oneTime).map((r) => toHex(r!.bundle));
    expect(new Set(oneTime).size).toBe(20);
    expect(new Set(oneTime)).toEqual(new Set(batch.singleUse.map((b) => toHex(b.bytes))));
    expect(got.filter((r) => r && !r.oneTime)).toHaveLength(4);
    // Answered only after commit: another connection to the file sees every one of them gone.
    const other = await openSqliteStore(path, { driver });
    expect((await other.info('bob'))!.singleUseRemaining).toBe(0);
    await other.close();
    await store.close();
  });
});
