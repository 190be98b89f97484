/**
 * PostgreSQL store: the same schema; `take` removes one row with FOR UPDATE SKIP LOCKED so that two
 * directory processes sharing a database never hand out the same one-time prekey.
 */
import pg from 'pg';
import { AgentsecError } from '../../reference/errors.js';
import type { AgentInfo, DirectoryStore, PublishBatch, StoredIdentity, TakeResult } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agentsec_agents (name TEXT PRIMARY KEY, signing TEXT NOT NULL, agreement TEXT NOT NULL, reusable TEXT);
CREATE TABLE IF NOT EXISTS agentsec_bundles (seq BIGSERIAL PRIMARY KEY, agent TEXT NOT NULL, bundle TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS agentsec_bundles_agent ON agentsec_bundles (agent, seq);
`;

export async function openPostgresStore(url: string): Promise<DirectoryStore> {
  const host = new URL(url).hostname;
  // Loopback only: the directory never talks to another machine in this project.
  if (!['127.0.0.1', 'localhost', '[::1]', '::1', ''].includes(host)) {
    throw new AgentsecError('policy_reject', 'NOT_LOOPBACK', `postgres host must be 127.0.0.1 or ::1, got ${host}`);
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    await pool.query(SCHEMA);
  } catch (e) {
    await pool.end();
    throw new AgentsecError('internal', 'STORE_UNAVAILABLE', `cannot open postgres store: ${(e as Error).message}`);
  }
  const identityOf = async (agent: string): Promise<StoredIdentity | undefined> => {
    const r = await pool.query('SELECT signing, agreement FROM agentsec_agents WHERE name = $1', [agent]);
    const row = r.rows[0] as { signing: string; agreement: string } | undefined;
    return row ? { signing: row.signing, agreement: row.agreement } : undefined;
  };
  const count = async (c: pg.PoolClient | pg.Pool, agent: string): Promise<number> =>
    Number(((await c.query('SELECT count(*) AS n FROM agentsec_bundles WHERE agent = $1', [agent])).rows[0] as { n: string }).n);

  return {
    description: 'postgres',
    identity: identityOf,
    async publish(agent: string, batch: PublishBatch) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query('INSERT INTO agentsec_agents (name, signing, agreement) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [agent, batch.identity.signing, batch.identity.agreement]);
        for (const b of batch.singleUse) await c.query('INSERT INTO agentsec_bundles (agent, bundle) VALUES ($1, $2)', [agent, b]);
        if (batch.reusable) await c.query('UPDATE agentsec_agents SET reusable = $1 WHERE name = $2', [batch.reusable, agent]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      } finally {
        c.release();
      }
    },
    async take(agent: string): Promise<TakeResult | undefined> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await c.query(
          'DELETE FROM agentsec_bundles WHERE seq = (SELECT seq FROM agentsec_bundles WHERE agent = $1 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING bundle',
          [agent],
        );
        const remaining = await count(c, agent);
        await c.query('COMMIT');
        const row = r.rows[0] as { bundle: string } | undefined;
        if (row) return { bundle: row.bundle, oneTime: true, remaining };
        const a = await pool.query('SELECT reusable FROM agentsec_agents WHERE name = $1', [agent]);
        const reusable = (a.rows[0] as { reusable: string | null } | undefined)?.reusable;
        return reusable ? { bundle: reusable, oneTime: false, remaining: 0 } : undefined;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    async info(agent): Promise<AgentInfo | undefined> {
      const identity = await identityOf(agent);
      if (!identity) return undefined;
      const a = await pool.query('SELECT reusable FROM agentsec_agents WHERE name = $1', [agent]);
      return { identity, singleUseRemaining: await count(pool, agent), hasReusable: Boolean((a.rows[0] as { reusable: string | null }).reusable) };
    },
    async close() {
      await pool.end();
    },
  };
}
