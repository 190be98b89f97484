/**
 * PostgreSQL store (DIR-003, DIR-017). Each write is one transaction that first locks the agent's
 * row (SELECT ... FOR UPDATE), so the identity pin, the signed-prekey floor, the quotas and the
 * mailbox quotas are checked and written under one lock by whichever directory process holds it;
 * one-time prekey ids and message ids are primary / unique keys; a bundle is handed out by one
 * DELETE ... RETURNING over FOR UPDATE SKIP LOCKED, so two processes never hand out the same one.
 */
import pg from 'pg';
import { AgentsecError } from '../../reference/errors.js';
import type { DirectoryLimits } from './limits.js';
import { checkQueue, idempotentResend } from './mailbox.js';
import { checkPublication, prekeyReused, type VerifiedBatch } from './publication.js';
import type { AgentInfo, DirectoryStore, MailboxMessage, PublishResult, QueuedMessage, StoredIdentity, TakeResult } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dir_agents (name TEXT PRIMARY KEY, signing TEXT NOT NULL, agreement TEXT NOT NULL, spk_id BIGINT, reusable BYTEA);
CREATE TABLE IF NOT EXISTS dir_bundles (seq BIGSERIAL PRIMARY KEY, agent TEXT NOT NULL, bundle BYTEA NOT NULL);
CREATE INDEX IF NOT EXISTS dir_bundles_agent ON dir_bundles (agent, seq);
CREATE TABLE IF NOT EXISTS dir_prekey_ids (agent TEXT NOT NULL, prekey TEXT NOT NULL, PRIMARY KEY (agent, prekey));
CREATE TABLE IF NOT EXISTS dir_messages (seq BIGSERIAL PRIMARY KEY, recipient TEXT NOT NULL, sender TEXT NOT NULL, id TEXT NOT NULL,
  digest TEXT NOT NULL, body BYTEA, size INTEGER NOT NULL, sent_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, UNIQUE (recipient, sender, id));
CREATE INDEX IF NOT EXISTS dir_messages_queue ON dir_messages (recipient, seq);
`;

export interface PostgresOptions {
  /** A schema to create and use (search_path), e.g. one per test. */
  readonly schema?: string;
  readonly poolSize?: number;
}

export async function openPostgresStore(url: string, opts: PostgresOptions = {}): Promise<DirectoryStore> {
  const host = new URL(url).hostname;
  // @req DIR-006: loopback only: the directory never talks to another machine in this project.
  if (!['127.0.0.1', 'localhost', '[::1]', '::1', ''].includes(host)) {
    throw new AgentsecError('policy_reject', 'NOT_LOOPBACK', `postgres host must be 127.0.0.1 or ::1, got ${host}`);
  }
  if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new AgentsecError('decode_failure', 'BAD_SCHEMA', 'schema must match [a-z_][a-z0-9_]*');
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 8, ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}) });
  pool.on('error', () => undefined); // an idle client's lost connection is reported on its next query
  try {
    // Two processes creating the tables at once: serialize with an advisory lock.
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query("SELECT pg_advisory_xact_lock(hashtext('agentsec directory schema'))");
      if (opts.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
      await c.query(SCHEMA);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  } catch (e) {
    await pool.end();
    throw new AgentsecError('internal', 'STORE_UNAVAILABLE', `cannot open postgres store: ${(e as Error).message}`);
  }

  const tx = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect().catch((e: unknown) => {
      throw unavailable(e);
    });
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e instanceof AgentsecError ? e : unavailable(e);
    } finally {
      c.release();
    }
  };
  const one = async <T>(sql: string, params: unknown[]): Promise<T | undefined> => {
    try {
      return (await pool.query(sql, params)).rows[0] as T | undefined;
    } catch (e) {
      throw unavailable(e);
    }
  };
  const count = async (agent: string) => Number((await one<{ n: string }>('SELECT count(*) AS n FROM dir_bundles WHERE agent = $1', [agent]))!.n);

  return {
    description: `postgres${opts.schema ? ` (schema ${opts.schema})` : ''}`,
    async identity(agent): Promise<StoredIdentity | undefined> {
      const r = await one<StoredIdentity>('SELECT signing, agreement FROM dir_agents WHERE name = $1', [agent]);
      return r ? { signing: r.signing, agreement: r.agreement } : undefined;
    },
    publish: (agent: string, batch: VerifiedBatch, limits: DirectoryLimits) =>
      tx(async (c): Promise<PublishResult> => {
        // @req DIR-002: the first publisher's row is inserted, then every publisher locks it and compares
        // inside its own transaction: of two concurrent first publications one waits and then fails.
        await c.query('INSERT INTO dir_agents (name, signing, agreement) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [agent, batch.identity.signing, batch.identity.agreement]);
        const a = (await c.query('SELECT signing, agreement, spk_id, length(reusable) AS rlen FROM dir_agents WHERE name = $1 FOR UPDATE', [agent])).rows[0] as { signing: string; agreement: string; spk_id: string | null; rlen: number | null };
        const u = (await c.query('SELECT count(*) AS n, coalesce(sum(length(bundle)), 0) AS bytes FROM dir_bundles WHERE agent = $1', [agent])).rows[0] as { n: string; bytes: string };
        checkPublication(agent, { signing: a.signing, agreement: a.agreement, spkId: a.spk_id === null ? null : Number(a.spk_id), storedBundles: Number(u.n), storedBytes: Number(u.bytes) + (a.rlen ?? 0) }, batch, limits);
        const ids = batch.singleUse.flatMap((b) => b.prekeyIds);
        if (ids.length > 0) {
          // @req DIR-013
          const r = await c.query('INSERT INTO dir_prekey_ids (agent, prekey) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [agent, ids]);
          if (r.rowCount !== ids.length) throw prekeyReused(agent);
          await c.query('INSERT INTO dir_bundles (agent, bundle) SELECT $1, unnest($2::bytea[])', [agent, batch.singleUse.map((b) => Buffer.from(b.bytes))]);
        }
        if (batch.reusable) await c.query('UPDATE dir_agents SET reusable = $1, spk_id = $2 WHERE name = $3', [Buffer.from(batch.reusable.bytes), batch.reusable.spkId, agent]);
        return { stored: batch.singleUse.length + (batch.reusable ? 1 : 0), singleUse: batch.singleUse.length, reusable: batch.reusable !== undefined };
      }),
    async take(agent): Promise<TakeResult | undefined> {
      // @req DIR-003
      const row = await one<{ bundle: Buffer }>(
        'DELETE FROM dir_bundles WHERE seq = (SELECT seq FROM dir_bundles WHERE agent = $1 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING bundle',
        [agent],
      );
      if (row) return { bundle: new Uint8Array(row.bundle), oneTime: true, remaining: await count(agent) };
      const a = await one<{ reusable: Buffer | null }>('SELECT reusable FROM dir_agents WHERE name = $1', [agent]);
      return a?.reusable ? { bundle: new Uint8Array(a.reusable), oneTime: false, remaining: 0 } : undefined;
    },
    async info(agent): Promise<AgentInfo | undefined> {
      const a = await one<{ signing: string; agreement: string; has: boolean }>('SELECT signing, agreement, reusable IS NOT NULL AS has FROM dir_agents WHERE name = $1', [agent]);
      if (!a) return undefined;
      return { identity: { signing: a.signing, agreement: a.agreement }, singleUseRemaining: await count(agent), hasReusable: a.has };
    },
    send: (m: MailboxMessage, limits: DirectoryLimits) =>
      tx(async (c) => {
        // The recipient's row serializes the quota check with concurrent senders in any process.
        await c.query('SELECT 1 FROM dir_agents WHERE name = $1 FOR UPDATE', [m.recipient]);
        await c.query('DELETE FROM dir_messages WHERE recipient = $1 AND expires_at <= $2', [m.recipient, m.sentAt]);
        const seen = (await c.query('SELECT seq, digest FROM dir_messages WHERE recipient = $1 AND sender = $2 AND id = $3', [m.recipient, m.sender, m.id])).rows[0] as { seq: string; digest: string } | undefined;
        if (seen) return idempotentResend(seen.digest, m.digest, Number(seen.seq));
        const u = (await c.query('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM dir_messages WHERE recipient = $1 AND body IS NOT NULL', [m.recipient])).rows[0] as { n: string; bytes: string };
        checkQueue(m, Number(u.n), Number(u.bytes), limits);
        const r = await c.query(
          'INSERT INTO dir_messages (recipient, sender, id, digest, body, size, sent_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq',
          [m.recipient, m.sender, m.id, m.digest, Buffer.from(m.body), m.body.length, m.sentAt, m.expiresAt],
        );
        return { seq: Number((r.rows[0] as { seq: string }).seq), duplicate: false };
      }),
    async inbox(recipient, now, max): Promise<QueuedMessage[]> {
      try {
        const r = await pool.query('SELECT seq, sender, id, body, sent_at FROM dir_messages WHERE recipient = $1 AND body IS NOT NULL AND expires_at > $2 ORDER BY seq LIMIT $3', [recipient, now, max]);
        return (r.rows as { seq: string; sender: string; id: string; body: Buffer; sent_at: string }[]).map((x) => ({ seq: Number(x.seq), sender: x.sender, id: x.id, body: new Uint8Array(x.body), sentAt: Number(x.sent_at) }));
      } catch (e) {
        throw unavailable(e);
      }
    },
    async ack(recipient, seqs): Promise<number> {
      // @req DIR-021
      const r = await one<{ n: string }>('WITH d AS (UPDATE dir_messages SET body = NULL WHERE recipient = $1 AND seq = ANY($2::bigint[]) AND body IS NOT NULL RETURNING 1) SELECT count(*) AS n FROM d', [recipient, seqs]);
      return Number(r!.n);
    },
    async close() {
      await pool.end();
    },
  };
}

function unavailable(e: unknown): AgentsecError {
  if (e instanceof AgentsecError) return e;
  return new AgentsecError('internal', 'STORE_UNAVAILABLE', `postgres store: ${(e as { code?: string }).code ?? 'unavailable'}`);
}
