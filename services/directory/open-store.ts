import { AgentsecError } from '../../reference/index.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { DirectoryStore } from './store.js';

/** `sqlite:PATH`, `sqlite:` (in memory) or `postgres://...` / `postgres:URL`. */
export async function openStore(spec: string | undefined): Promise<DirectoryStore> {
  if (spec === undefined || spec === 'sqlite:' || spec === 'sqlite::memory:') return openSqliteStore(undefined);
  if (spec.startsWith('sqlite:')) return openSqliteStore(spec.slice('sqlite:'.length));
  if (spec.startsWith('postgres://') || spec.startsWith('postgresql://')) return openPostgresStore(spec);
  if (spec.startsWith('postgres:')) return openPostgresStore(spec.slice('postgres:'.length));
  throw new AgentsecError('decode_failure', 'BAD_STORE', `--store must be sqlite:PATH or postgres:URL, got "${spec}"`);
}
