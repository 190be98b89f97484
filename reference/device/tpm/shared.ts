/**
 * One connection per TPM per process. swtpm serves one client at a time (a second connection waits
 * in the listen backlog until the first closes), and the TPM has only three transient object
 * slots, so every store and KEK on the same TPM shares one client and runs its command sequences
 * one after another. The connection closes when the last user releases it, and is replaced on the
 * next operation after it dies (swtpm restarted).
 */
import { AgentsecError } from '../../errors.js';
import { TpmClient } from './client.js';
import type { TpmAddress } from './transport.js';

interface Entry {
  client: Promise<TpmClient>;
  refs: number;
  lock: Promise<unknown>;
}

const entries = new Map<string, Entry>();

function keyOf(a: TpmAddress): string {
  return 'path' in a ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
}

export interface TpmLease {
  /** Runs `fn` with exclusive use of the TPM (no other sequence interleaves). */
  run<T>(fn: (c: TpmClient) => Promise<T>): Promise<T>;
  release(): void;
}

export async function acquireTpm(address: TpmAddress, opts: { timeoutMs?: number } = {}): Promise<TpmLease> {
  const key = keyOf(address);
  let e = entries.get(key);
  if (!e) {
    const client = TpmClient.connect(address, opts);
    e = { client, refs: 0, lock: Promise.resolve() };
    entries.set(key, e);
    try {
      await client;
    } catch (err) {
      entries.delete(key);
      throw err;
    }
  } else {
    await e.client;
  }
  const entry = e;
  entry.refs++;
  let released = false;
  return {
    run<T>(fn: (c: TpmClient) => Promise<T>): Promise<T> {
      if (released) return Promise.reject(new AgentsecError('state_failure', 'TPM_RELEASED', 'this TPM lease was released'));
      const go = async () => {
        const c = await entry.client;
        if (!c.alive) await c.reconnect();
        return fn(c);
      };
      const p = entry.lock.then(go, go);
      entry.lock = p.catch(() => undefined);
      return p;
    },
    release() {
      if (released) return;
      released = true;
      if (--entry.refs === 0) {
        entries.delete(key);
        // Close once queued work has finished.
        void entry.lock.then(async () => (await entry.client).close());
      }
    },
  };
}
