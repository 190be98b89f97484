/**
 * SQLite store (sql.js: SQLite compiled to WebAssembly, so no native build on any Node version).
 * The database lives in memory and, when a path is given, is written back to the file after every
 * change atomically (temp file, fsync, rename), so a crash never leaves a half-written database.
 */
import { existsSync, readFileSync } from 'node:fs';
import initSqlJs, { type Database } from 'sql.js';
import { AgentsecError } from '../../reference/errors.js';
import { writeFileAtomicSync } from '../../reference/atomic-file.js';
import type { AgentInfo, DirectoryStore, PublishBatch, StoredIdentity, TakeResult } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agents (name TEXT PRIMARY KEY, signing TEXT NOT NULL, agreement TEXT NOT NULL, reusable TEXT);
CREATE TABLE IF NOT EXISTS bundles (seq INTEGER PRIMARY KEY AUTOINCREMENT, agent TEXT NOT NULL, bundle TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bundles_agent ON bundles (agent, seq);
`;

export async function openSqliteStore(path: string | undefined): Promise<DirectoryStore> {
  const SQL = await initSqlJs();
  let db: Database;
  if (path && existsSync(path)) {
    try {
      db = new SQL.Database(readFileSync(path));
      db.exec('SELECT count(*) FROM sqlite_master');
    } catch {
      throw new AgentsecError('decode_failure', 'STORE_CORRUPT', `directory store ${path} is not a readable SQLite database (left untouched)`);
    }
  } else {
    db = new SQL.Database();
  }
  db.exec(SCHEMA);
  // One operation at a time: each is a transaction followed by the write-back.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => T): Promise<T> => {
    const next = queue.then(() => {
      const out = fn();
      if (path) writeFileAtomicSync(path, db.export());
      return out;
    });
    queue = next.catch(() => undefined);
    return next;
  };
  const one = (sql: string, params: (string | number | null)[]): Record<string, unknown> | undefined => {
    const st = db.prepare(sql);
    try {
      st.bind(params);
      return st.step() ? (st.getAsObject() as Record<string, unknown>) : undefined;
    } finally {
      st.free();
    }
  };
  const identityOf = (agent: string): StoredIdentity | undefined => {
    const row = one('SELECT signing, agreement FROM agents WHERE name = ?', [agent]);
    return row ? { signing: String(row.signing), agreement: String(row.agreement) } : undefined;
  };
  const count = (agent: string): number => Number(one('SELECT count(*) AS n FROM bundles WHERE agent = ?', [agent])?.n ?? 0);

  return {
    description: path ? `sqlite:${path}` : 'sqlite (in memory)',
    async identity(agent) {
      return identityOf(agent);
    },
    publish(agent: string, batch: PublishBatch) {
      return serial(() => {
        db.exec('BEGIN');
        try {
          db.run('INSERT INTO agents (name, signing, agreement) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING', [agent, batch.identity.signing, batch.identity.agreement]);
          for (const b of batch.singleUse) db.run('INSERT INTO bundles (agent, bundle) VALUES (?, ?)', [agent, b]);
          if (batch.reusable) db.run('UPDATE agents SET reusable = ? WHERE name = ?', [batch.reusable, agent]);
          db.exec('COMMIT');
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      });
    },
    take(agent: string): Promise<TakeResult | undefined> {
      return serial(() => {
        const row = one('SELECT seq, bundle FROM bundles WHERE agent = ? ORDER BY seq LIMIT 1', [agent]);
        if (row) {
          db.run('DELETE FROM bundles WHERE seq = ?', [Number(row.seq)]);
          return { bundle: String(row.bundle), oneTime: true, remaining: count(agent) };
        }
        const reusable = one('SELECT reusable FROM agents WHERE name = ?', [agent])?.reusable;
        return typeof reusable === 'string' ? { bundle: reusable, oneTime: false, remaining: 0 } : undefined;
      });
    },
    async info(agent): Promise<AgentInfo | undefined> {
      const identity = identityOf(agent);
      if (!identity) return undefined;
      const reusable = one('SELECT reusable FROM agents WHERE name = ?', [agent])?.reusable;
      return { identity, singleUseRemaining: count(agent), hasReusable: typeof reusable === 'string' };
    },
    async close() {
      await queue;
      db.close();
    },
  };
}
