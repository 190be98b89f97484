import { AgentsecError } from '../../reference/index.js';
import type { PostgresOptions } from './postgres-store.js';
import { openSqliteStore, type SqliteDriver } from './sqlite-store.js';
import type { DirectoryStore } from './store.js';

/** `sqlite:PATH`, `sqlite:` (in memory) or `postgres://...` / `postgres:URL`. */
export async function openStore(spec: string | undefined, opts: { sqliteDriver?: SqliteDriver; postgres?: PostgresOptions } = {}): Promise<DirectoryStore> {
  const lite = opts.sqliteDriver ? { driver: opts.sqliteDriver } : {};
  if (spec === undefined || spec === 'sqlite:' || spec === 'sqlite::memory:') return openSqliteStore(undefined, lite);
  if (spec.startsWith('sqlite:')) return openSqliteStore(spec.slice('sqlite:'.length), lite);
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) return openPostgres(spec, opts.postgres);
  if (spec.startsWith('postgres:')) return openPostgres(spec.slice('postgres:'.length), opts.postgres);
  throw new AgentsecError('decode_failure', 'BAD_STORE', `--store must be sqlite:PATH or postgres:URL, got "${spec}"`);
}

/** A `schema=NAME` query parameter selects (and creates) a PostgreSQL schema for the directory's tables. */
async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<DirectoryStore> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AgentsecError('decode_failure', 'BAD_STORE', 'the postgres URL does not parse');
  }
  const schema = u.searchParams.get('schema');
  // The PostgreSQL driver loads only when asked for.
  const { openPostgresStore } = await import('./postgres-store.js');
  if (schema === null) return openPostgresStore(url, opts);
  u.searchParams.delete('schema');
  return openPostgresStore(u.toString(), { ...opts, schema });
}
