/**
 * SQLite store on a real driver (DIR-017): node:sqlite where the runtime has it (Node >= 22.13),
 * better-sqlite3 elsewhere (Node 20). The file is opened in WAL mode with a busy timeout, and every
 * write is one `BEGIN IMMEDIATE` transaction holding all the rules that read stored state, so
 * several directory processes can share one file: SQLite's write lock orders them, readers never
 * block, and a committed (acknowledged) write survives a crash of the process.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AgentsecError } from '../../reference/errors.js';
import type { DirectoryLimits } from './limits.js';
import { checkPublication, prekeyReused, type AgentState, type VerifiedBatch } from './publication.js';
import { checkQueue, idempotentResend } from './mailbox.js';
import type { AgentInfo, DirectoryStore, MailboxMessage, PublishResult, QueuedMessage, StoredIdentity, TakeResult } from './store.js';

/** The part of node:sqlite's DatabaseSync and better-sqlite3's Database this store uses (they agree on it). */
interface SqlStatement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}
interface SqlDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}

export type SqliteDriver = 'node:sqlite' | 'better-sqlite3';

/** How long a writer waits for another process's write lock before the request fails. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agents (name TEXT PRIMARY KEY, signing TEXT NOT NULL, agreement TEXT NOT NULL, spk_id INTEGER, reusable BLOB);
CREATE TABLE IF NOT EXISTS bundles (seq INTEGER PRIMARY KEY AUTOINCREMENT, agent TEXT NOT NULL, bundle BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS bundles_agent ON bundles (agent, seq);
CREATE TABLE IF NOT EXISTS prekey_ids (agent TEXT NOT NULL, prekey TEXT NOT NULL, PRIMARY KEY (agent, prekey)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, sender TEXT NOT NULL, id TEXT NOT NULL,
  digest TEXT NOT NULL, body BLOB, size INTEGER NOT NULL, sent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, UNIQUE (recipient, sender, id));
CREATE INDEX IF NOT EXISTS messages_queue ON messages (recipient, seq);
`;

const require = createRequire(import.meta.url);

/** The drivers this runtime can load, preferred first. */
export function sqliteDrivers(): SqliteDriver[] {
  const out: SqliteDriver[] = [];
  if (loadNodeSqlite()) out.push('node:sqlite');
  try {
    // The native addon loads on first use: open one in-memory database to know it is built for this ABI.
    const Database = require('better-sqlite3') as new (path: string) => SqlDatabase;
    new Database(':memory:').close();
    out.push('better-sqlite3');
  } catch {
    // Not built for this Node ABI: `npm rebuild better-sqlite3`.
  }
  return out;
}

function loadNodeSqlite(): (new (path: string) => SqlDatabase) | undefined {
  const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  try {
    // process.getBuiltinModule does not print node:sqlite's experimental warning on import, require does on some lines.
    const mod = (get ? get('node:sqlite') : require('node:sqlite')) as { DatabaseSync?: new (path: string) => SqlDatabase } | undefined;
    return mod?.DatabaseSync;
  } catch {
    return undefined;
  }
}

function openDatabase(path: string, driver: SqliteDriver): SqlDatabase {
  if (driver === 'node:sqlite') {
    const DatabaseSync = loadNodeSqlite();
    if (!DatabaseSync) throw new AgentsecError('unsupported', 'NO_SQLITE_DRIVER', 'node:sqlite is not available in this Node runtime');
    return new DatabaseSync(path);
  }
  const Database = require('better-sqlite3') as new (path: string) => SqlDatabase;
  return new Database(path);
}

/** The 16-byte header every SQLite database file starts with. */
const SQLITE_HEADER = 'SQLite format 3\0';

/** True when `path` holds bytes that are plainly not a SQLite database (an empty or missing file is not). */
function notSqlite(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n > 0 && head.subarray(0, n).toString('latin1') !== SQLITE_HEADER.slice(0, n);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** SQLite's primary result code of a driver error (node:sqlite: errcode; better-sqlite3: code 'SQLITE_*'), if any. */
function sqliteCode(e: unknown): number | string | undefined {
  const x = e as { errcode?: unknown; code?: unknown };
  if (typeof x?.errcode === 'number') return x.errcode & 0xff;
  if (typeof x?.code === 'string' && x.code.startsWith('SQLITE_')) return x.code;
  return undefined;
}

/** SQLITE_NOTADB (26) and SQLITE_CORRUPT (11): the file is not a usable database. */
function isCorrupt(e: unknown): boolean {
  const c = sqliteCode(e);
  return c === 26 || c === 11 || c === 'SQLITE_NOTADB' || (typeof c === 'string' && c.startsWith('SQLITE_CORRUPT'));
}

/**
 * Opens the file, switches it to WAL and creates the schema. Another process opening the same file
 * at the same moment can make any of these steps fail transiently (a lock held while it switches the
 * journal mode or writes the first page, which SQLite reports without waiting on the busy timeout):
 * such failures are retried until SQLITE_BUSY_TIMEOUT_MS, while a file that is plainly not SQLite is
 * refused at once and never written to.
 */
// @req DIR-025
function openOnce(path: string | undefined, driver: SqliteDriver): SqlDatabase {
  const db = openDatabase(path ?? ':memory:', driver);
  try {
    db.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    // @req DIR-017
    if (path) db.exec('PRAGMA journal_mode = WAL');
    // FULL: a transaction is on disk before the request is acknowledged (also against power loss).
    db.exec('PRAGMA synchronous = FULL');
    inTransaction(db, () => db.exec(SCHEMA));
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function inTransaction<T>(db: SqlDatabase, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // Already rolled back by SQLite.
    }
    throw e;
  }
}

export async function openSqliteStore(path: string | undefined, opts: { driver?: SqliteDriver } = {}): Promise<DirectoryStore> {
  const driver = opts.driver ?? sqliteDrivers()[0];
  if (!driver) throw new AgentsecError('unsupported', 'NO_SQLITE_DRIVER', 'no SQLite driver: use Node >= 22.13 (node:sqlite) or run `npm rebuild better-sqlite3`');
  const corrupt = () => new AgentsecError('decode_failure', 'STORE_CORRUPT', `directory store ${path} is not a readable SQLite database (left untouched)`);
  if (path && notSqlite(path)) throw corrupt();
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  let db: SqlDatabase | undefined;
  for (let attempt = 1; !db; attempt++) {
    try {
      db = openOnce(path, driver);
    } catch (e) {
      if (e instanceof AgentsecError) throw e;
      if (path && notSqlite(path)) throw corrupt();
      if (Date.now() >= deadline) {
        if (isCorrupt(e)) throw corrupt();
        throw new AgentsecError('internal', 'STORE_UNAVAILABLE', `directory store ${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(10 * attempt, 200)));
    }
  }
  const opened = db;
  const tx = <T>(fn: () => T): T => inTransaction(opened, fn);
  const st = <T extends Record<string, unknown>>(sql: string) => {
    const s = opened.prepare(sql);
    return { run: (...p: unknown[]) => s.run(...p), get: (...p: unknown[]) => s.get(...p) as T | undefined, all: (...p: unknown[]) => s.all(...p) as T[] };
  };
  const q = {
    agent: st<{ signing: string; agreement: string; spk_id: number | null; reusable: Uint8Array | null }>('SELECT signing, agreement, spk_id, reusable FROM agents WHERE name = ?'),
    usage: st<{ n: number; bytes: number }>('SELECT count(*) AS n, coalesce(sum(length(bundle)), 0) AS bytes FROM bundles WHERE agent = ?'),
    pin: st('INSERT INTO agents (name, signing, agreement) VALUES (?, ?, ?)'),
    prekey: st('INSERT INTO prekey_ids (agent, prekey) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    bundle: st('INSERT INTO bundles (agent, bundle) VALUES (?, ?)'),
    reusable: st('UPDATE agents SET reusable = ?, spk_id = ? WHERE name = ?'),
    take: st<{ bundle: Uint8Array }>('DELETE FROM bundles WHERE seq = (SELECT seq FROM bundles WHERE agent = ? ORDER BY seq LIMIT 1) RETURNING bundle'),
    count: st<{ n: number }>('SELECT count(*) AS n FROM bundles WHERE agent = ?'),
    msgFind: st<{ seq: number; digest: string; expires_at: number }>('SELECT seq, digest, expires_at FROM messages WHERE recipient = ? AND sender = ? AND id = ?'),
    msgPurge: st('DELETE FROM messages WHERE recipient = ? AND expires_at <= ?'),
    msgUsage: st<{ n: number; bytes: number }>('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM messages WHERE recipient = ? AND body IS NOT NULL'),
    msgInsert: st<{ seq: number }>('INSERT INTO messages (recipient, sender, id, digest, body, size, sent_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq'),
    inbox: st<{ seq: number; sender: string; id: string; body: Uint8Array; sent_at: number }>(
      'SELECT seq, sender, id, body, sent_at FROM messages WHERE recipient = ? AND body IS NOT NULL AND expires_at > ? ORDER BY seq LIMIT ?',
    ),
    ack: st('UPDATE messages SET body = NULL WHERE recipient = ? AND seq = ? AND body IS NOT NULL'),
  };
  const stateOf = (agent: string): AgentState | undefined => {
    const a = q.agent.get(agent);
    if (!a) return undefined;
    const u = q.usage.get(agent)!;
    return { signing: a.signing, agreement: a.agreement, spkId: a.spk_id === null ? null : Number(a.spk_id), storedBundles: Number(u.n), storedBytes: Number(u.bytes) + (a.reusable?.length ?? 0) };
  };
  const guard = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      if (e instanceof AgentsecError) return Promise.reject(e);
      return Promise.reject(new AgentsecError('internal', 'STORE_UNAVAILABLE', `SQLite store: ${(e as { code?: string }).code ?? 'error'}`));
    }
  };

  const takeOne = (agent: string): TakeResult | undefined => {
    // @req DIR-003: one statement deletes and returns the bundle under SQLite's write lock.
    const row = q.take.get(agent);
    if (row) return { bundle: new Uint8Array(row.bundle), oneTime: true, remaining: Number(q.count.get(agent)!.n) };
    const a = q.agent.get(agent);
    return a?.reusable ? { bundle: new Uint8Array(a.reusable), oneTime: false, remaining: 0 } : undefined;
  };
  /**
   * Group commit: the fetches that arrive while one commit is on its way to the disk share the next
   * transaction, so a burst of concurrent fetches costs one synchronous commit instead of one each.
   * Each fetch is answered only after the transaction holding it committed.
   */
  // @req DIR-026
  let takes: { agent: string; resolve: (r: TakeResult | undefined) => void; reject: (e: unknown) => void }[] = [];
  const flushTakes = (): void => {
    const group = takes;
    takes = [];
    let results: (TakeResult | undefined)[];
    try {
      results = tx(() => group.map((t) => takeOne(t.agent)));
    } catch (e) {
      const err = e instanceof AgentsecError ? e : new AgentsecError('internal', 'STORE_UNAVAILABLE', `SQLite store: ${(e as { code?: string }).code ?? 'error'}`);
      for (const t of group) t.reject(err);
      return;
    }
    group.forEach((t, i) => t.resolve(results[i]));
  };

  return {
    description: `${path ? `sqlite:${path}` : 'sqlite (in memory)'} via ${driver}`,
    identity: (agent) =>
      guard((): StoredIdentity | undefined => {
        const a = q.agent.get(agent);
        return a ? { signing: a.signing, agreement: a.agreement } : undefined;
      }),
    publish: (agent: string, batch: VerifiedBatch, limits: DirectoryLimits) =>
      guard(
        (): PublishResult =>
          tx(() => {
            const current = stateOf(agent);
            checkPublication(agent, current, batch, limits);
            // @req DIR-002: the pin is written in the same transaction that checked it.
            if (!current) q.pin.run(agent, batch.identity.signing, batch.identity.agreement);
            for (const b of batch.singleUse) {
              // @req DIR-013: a one-time prekey id is accepted once per agent, ever (the row outlives the bundle).
              for (const id of b.prekeyIds) if (Number(q.prekey.run(agent, id).changes) !== 1) throw prekeyReused(agent);
              q.bundle.run(agent, b.bytes);
            }
            if (batch.reusable) q.reusable.run(batch.reusable.bytes, batch.reusable.spkId, agent);
            return { stored: batch.singleUse.length + (batch.reusable ? 1 : 0), singleUse: batch.singleUse.length, reusable: batch.reusable !== undefined };
          }),
      ),
    take: (agent) =>
      new Promise<TakeResult | undefined>((resolve, reject) => {
        takes.push({ agent, resolve, reject });
        if (takes.length === 1) setImmediate(flushTakes);
      }),
    info: (agent) =>
      guard((): AgentInfo | undefined => {
        const a = q.agent.get(agent);
        if (!a) return undefined;
        return { identity: { signing: a.signing, agreement: a.agreement }, singleUseRemaining: Number(q.count.get(agent)!.n), hasReusable: a.reusable !== null };
      }),
    send: (m: MailboxMessage, limits: DirectoryLimits) =>
      guard(() =>
        tx(() => {
          q.msgPurge.run(m.recipient, m.sentAt);
          const seen = q.msgFind.get(m.recipient, m.sender, m.id);
          if (seen) return idempotentResend(seen.digest, m.digest, Number(seen.seq));
          const u = q.msgUsage.get(m.recipient)!;
          checkQueue(m, Number(u.n), Number(u.bytes), limits);
          return { seq: Number(q.msgInsert.get(m.recipient, m.sender, m.id, m.digest, m.body, m.body.length, m.sentAt, m.expiresAt)!.seq), duplicate: false };
        }),
      ),
    inbox: (recipient, now, max) =>
      guard((): QueuedMessage[] =>
        q.inbox.all(recipient, now, max).map((r) => ({ seq: Number(r.seq), sender: r.sender, id: r.id, body: new Uint8Array(r.body), sentAt: Number(r.sent_at) })),
      ),
    ack: (recipient, seqs) => guard(() => tx(() => seqs.reduce((n, s) => n + Number(q.ack.run(recipient, s).changes), 0))),
    async close() {
      // Fetches already accepted are answered from the store before it closes.
      if (takes.length > 0) flushTakes();
      opened.close();
    },
  };
}
