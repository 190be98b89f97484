import { AgentsecError } from '../reference/errors.js';

/** Ids handed to the harness for objects living in the adapter (handshakes, agents, ...). */
export class ObjectTable {
  private next = 1;
  private readonly items = new Map<string, { kind: string; value: unknown }>();

  put(kind: string, value: unknown): string {
    const id = `${kind}-${this.next++}`;
    this.items.set(id, { kind, value });
    return id;
  }

  get<T>(id: unknown, kind: string): T {
    if (typeof id !== 'string') throw new AgentsecError('decode_failure', 'BAD_PARAM', `"id" must be a string naming a ${kind}`);
    const item = this.items.get(id);
    if (!item || item.kind !== kind) throw new AgentsecError('state_failure', 'UNKNOWN_ID', `no ${kind} with id ${JSON.stringify(id.slice(0, 64))}`);
    return item.value as T;
  }

  set(id: string, kind: string, value: unknown): void {
    this.get(id, kind);
    this.items.set(id, { kind, value });
  }

  free(id: unknown): void {
    if (typeof id !== 'string') throw new AgentsecError('decode_failure', 'BAD_PARAM', '"id" must be a string');
    if (!this.items.delete(id)) throw new AgentsecError('state_failure', 'UNKNOWN_ID', `no object with id ${JSON.stringify(id.slice(0, 64))}`);
  }
}
