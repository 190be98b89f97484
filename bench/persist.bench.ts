/**
 * Persisting after each message: a 64 B Double Ratchet encrypt by an agent holding sessions with 1
 * or 1,000 peers, then its state written to a file store (atomic write: temp file, fsync, rename).
 * The per-peer layout (AgentStore) writes one peer record; the whole-agent record (exportAgent, as
 * before the per-peer layout) is measured beside it. Node provider only: the providers differ in the
 * crypto, which the other groups measure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentStore, exportAgent, FileRecordStore, getProvider, SessionAgent, type CryptoProvider } from '../reference/index.js';
import { benchBytes } from './_fixtures.js';
import { expectBytes, expectTrue, type BenchCase, type GroupInfo, type Suite } from './case.js';

const MSG = 64;
const KEY = benchBytes('persist-storage-key', 32);
export const PERSIST_PEERS = [1, 1000] as const;

/** A hub with sessions to `peers` addresses (all answered by one peer agent, which is enough to encrypt). */
function hubWith(p: CryptoProvider, peers: number): { hub: SessionAgent; peer: SessionAgent } {
  const hub = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
  const peer = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
  const bundle = peer.bundle();
  const hello = benchBytes('persist-hello', MSG);
  for (let i = 0; i < peers; i++) hub.initiate(`peer-${i}`, bundle, hello);
  return { hub, peer };
}

function persistCases(): { cases: BenchCase[]; cleanup: string[] } {
  const p = getProvider('node');
  const pt = benchBytes('persist-msg', MSG);
  const cases: BenchCase[] = [];
  const dirs: string[] = [];
  for (const peers of PERSIST_PEERS) {
    // Built on first use, shared by the two layouts of this size.
    let ready: { hub: SessionAgent; peer: SessionAgent } | undefined;
    const get = () => (ready ??= hubWith(p, peers));
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-bench-persist-'));
    dirs.push(dir);
    const store = new AgentStore(p, join(dir), KEY);
    let stored = false;
    cases.push({
      group: 'session-persist-64B',
      name: `per-peer records (AgentStore), ${peers} peer${peers > 1 ? 's' : ''}`,
      kind: 'provider',
      verify() {
        const { hub, peer } = get();
        if (!stored) {
          store.saveAll(hub);
          stored = true;
        }
        const m = hub.encrypt('peer-0', pt);
        store.save(hub, 'peer-0');
        const back = new AgentStore(p, dir, KEY).load()!;
        expectTrue(back.state.peers.length === peers, `reloaded ${back.state.peers.length} peers, expected ${peers}`);
        expectBytes(peer.decrypt('hub', m), pt, 'the peer decrypts the message');
        return ['reload-has-every-peer', 'peer-decrypts'];
      },
      fn: () => {
        const { hub } = get();
        hub.encrypt('peer-0', pt);
        store.save(hub, 'peer-0');
      },
    });
    const whole = new FileRecordStore(dir);
    cases.push({
      group: 'session-persist-64B',
      name: `whole-agent record (exportAgent), ${peers} peer${peers > 1 ? 's' : ''}`,
      kind: 'provider',
      verify() {
        const { hub } = get();
        hub.encrypt('peer-0', pt);
        whole.save('whole.rec', exportAgent(p, hub, KEY));
        expectTrue(whole.load('whole.rec')!.length > 0, 'record written');
        return ['written'];
      },
      fn: () => {
        const { hub } = get();
        hub.encrypt('peer-0', pt);
        whole.save('whole.rec', exportAgent(p, hub, KEY));
      },
    });
  }
  return { cases, cleanup: dirs };
}

export const PERSIST_GROUPS: GroupInfo[] = [
  { id: 'session-persist-64B', title: 'Double Ratchet 64 B encrypt + persist to a file store (atomic write with fsync), node provider', op: 'one encrypt and one write' },
];

export function persistSuite(): Suite {
  const { cases, cleanup } = persistCases();
  process.once('exit', () => {
    for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  });
  return { cases, groups: PERSIST_GROUPS, unavailable: [] };
}
