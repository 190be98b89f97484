/** Shared set-up for the directory tests: the stores every suite runs on, agents with signing clients. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { AgentsecError, getProvider, SessionAgent, type HandshakeKind } from '../../../reference/index.js';
import { requireService } from '../../../vectors/external.js';
import { agentSigner, DirectoryClient } from '../client.js';
import { openPostgresStore } from '../postgres-store.js';
import { openSqliteStore, sqliteDrivers } from '../sqlite-store.js';
import type { DirectoryStore } from '../store.js';

export const p = getProvider('node');
export const pgUrl = process.env.AGENTSEC_POSTGRES_URL;
export const havePg = requireService('PostgreSQL (AGENTSEC_POSTGRES_URL)', Boolean(pgUrl), 'apt-get install postgresql; .ci/run starts it and sets AGENTSEC_POSTGRES_URL');

/** A place for one test's data: a fresh SQLite file or a fresh PostgreSQL schema; `open` may be called by several directories. */
export interface StoreKind {
  readonly name: string;
  /** A new, empty location; returns how to open it (again). */
  fresh(): Promise<{ spec: string; schema?: string; open: () => Promise<DirectoryStore> }>;
}

export const STORE_KINDS: StoreKind[] = [
  ...sqliteDrivers().map(
    (driver): StoreKind => ({
      name: `sqlite (${driver})`,
      async fresh() {
        const path = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-')), 'dir.sqlite');
        return { spec: `sqlite:${path}`, open: () => openSqliteStore(path, { driver }) };
      },
    }),
  ),
  ...(havePg
    ? [
        {
          name: 'postgres',
          async fresh() {
            const schema = `t_${randomBytes(6).toString('hex')}`;
            return { spec: pgUrl!, schema, open: () => openPostgresStore(pgUrl!, { schema }) };
          },
        } satisfies StoreKind,
      ]
    : []),
];

/** Drops the test schemas made by `fresh` (PostgreSQL); SQLite files live in the temp dir. */
export async function dropSchema(schema: string | undefined): Promise<void> {
  if (!schema || !pgUrl) return;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

export interface TestAgent {
  readonly name: string;
  readonly agent: SessionAgent;
  readonly client: DirectoryClient;
}

export function testAgent(url: string, name: string, kind: HandshakeKind = 'x3dh', opts: { token?: string; clock?: () => number } = {}): TestAgent {
  const agent = SessionAgent.create(p, { kind, oneTimePrekeys: 0 });
  return { name, agent, client: new DirectoryClient(url, { signer: agentSigner(name, agent.identity), ...(opts.token ? { registrationToken: opts.token } : {}), ...(opts.clock ? { clock: opts.clock } : {}) }) };
}

/** An agent that has published `n` one-time bundles and its reusable one. */
export async function published(url: string, name: string, n = 0, kind: HandshakeKind = 'x3dh'): Promise<TestAgent> {
  const a = testAgent(url, name, kind);
  await a.client.publish(name, a.agent.bundleBatch(n));
  return a;
}

export async function refusal(pr: Promise<unknown>): Promise<AgentsecError> {
  const e = await pr.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(AgentsecError);
  return e as AgentsecError;
}
