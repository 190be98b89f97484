/**
 * A folder of records, each written by the atomic writer (spec/records.md REC-006): a crash leaves
 * either the old or the new record, never a torn one.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../atomic-file.js';
import { AgentsecError } from '../errors.js';

/** A folder of named records. */
export class FileRecordStore {
  constructor(private readonly dir: string) {}

  private path(name: string): string {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(name) || name.startsWith('.')) throw new AgentsecError('decode_failure', 'BAD_NAME', `record name "${name}" must be 1-128 of [A-Za-z0-9._-], not starting with "."`);
    return join(this.dir, name);
  }

  save(name: string, record: Uint8Array): void {
    writeFileAtomicSync(this.path(name), record); // @req REC-006
  }

  /** The names of the records whose name starts with `prefix` (temp files of the atomic writer start with "."). */
  names(prefix = ''): string[] {
    return readdirSync(this.dir)
      .filter((n) => n.startsWith(prefix) && !n.startsWith('.'))
      .sort();
  }

  remove(name: string): void {
    rmSync(this.path(name), { force: true });
  }

  load(name: string): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.path(name)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
