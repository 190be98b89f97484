import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import { AgentStore, encodeAgentBody, exportAgent, FileRecordStore, importAgent, openRecord, SessionAgent } from '../session/index.js';
import { REPO_ROOT } from '../../vectors/external.js';
import { dec, enc, seededProvider } from './session-fixtures.js';

const KEY = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const freshDir = (): string => mkdtempSync(join(tmpdir(), 'agentsec-agent-store-'));

/** A FileRecordStore that records which names it wrote (test-side, to count writes per message). */
class CountingStore extends FileRecordStore {
  writes: string[] = [];
  override save(name: string, record: Uint8Array): void {
    this.writes.push(name);
    super.save(name, record);
  }
}

describe('per-peer session records', () => {
  it('REC-008 REC-009: after a message only that peer record is written, whatever the number of peers; the agent record only when prekeys change', () => {
    const p = seededProvider('agent-store-1');
    const hub = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 40 });
    const dir = freshDir();
    const records = new CountingStore(dir);
    const store = new AgentStore(p, records, KEY);
    store.saveAll(hub);
    const peers = Array.from({ length: 30 }, (_, i) => ({ name: `peer/${i}`, agent: SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 }) }));
    for (const { name, agent } of peers) {
      records.writes = [];
      // An accepted handshake consumes a one-time prekey: agent record first, then the peer record.
      expect(dec(hub.decrypt(name, agent.initiate('hub', hub.bundle(), enc(`hi ${name}`))))).toBe(`hi ${name}`);
      store.save(hub, name);
      expect(records.writes).toEqual(['agent.rec', store.peerRecordName(name)]);
    }
    expect(readdirSync(dir)).toHaveLength(31);
    for (const { name, agent } of peers.slice(0, 5)) {
      records.writes = [];
      agent.decrypt('hub', hub.encrypt(name, enc('ratchet on')));
      store.save(hub, name);
      expect(records.writes).toEqual([store.peerRecordName(name)]);
    }
  });

  it('REC-008 REC-009: a reloaded agent continues every session in both directions, and the peer record is refused under another name', () => {
    const p = seededProvider('agent-store-2');
    const dir = freshDir();
    const store = new AgentStore(p, dir, KEY);
    const hub = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 4 });
    const peers = ['a', 'b', 'c'].map((name) => ({ name, agent: SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 }) }));
    store.saveAll(hub);
    for (const { name, agent } of peers) {
      hub.decrypt(name, agent.initiate('hub', hub.bundle(), enc('hello')));
      store.save(hub, name);
      agent.decrypt('hub', hub.encrypt(name, enc('reply')));
      store.save(hub, name);
    }
    const back = new AgentStore(p, dir, KEY).load({ watermarks: hub.watermarks })!;
    // Same state, peers in any order.
    const body = (a: SessionAgent): string => toHex(encodeAgentBody({ ...a.state, peers: [...a.state.peers].sort((x, y) => x.address.localeCompare(y.address)) }, a.identity));
    expect(body(back)).toBe(body(hub));
    for (const { name, agent } of peers) {
      expect(dec(back.decrypt(name, agent.encrypt('hub', enc(`from ${name}`))))).toBe(`from ${name}`);
      expect(dec(agent.decrypt('hub', back.encrypt(name, enc(`to ${name}`))))).toBe(`to ${name}`);
    }
    // Swapping two peer records' names is caught: each record names its address.
    const s = new AgentStore(p, dir, KEY);
    const [na, nb] = [s.peerRecordName('a'), s.peerRecordName('b')];
    renameSync(join(dir, na), join(dir, 'swap'));
    renameSync(join(dir, nb), join(dir, na));
    renameSync(join(dir, 'swap'), join(dir, nb));
    let e: unknown;
    try {
      s.load();
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(AgentsecError);
    expect([(e as AgentsecError).kind, (e as AgentsecError).reason]).toEqual(['state_failure', 'PEER_RECORD_NAME']);
  });

  it('REC-010: the golden version-1 whole-agent record migrates to per-peer records; the migrated agent re-exports it byte-identically and decrypts its queued message', () => {
    const v = JSON.parse(readFileSync(join(REPO_ROOT, 'vectors/records/agent-v1.json'), 'utf8')) as { storage_key: string; record: string; peer: string; queued_message: string; queued_plaintext: string };
    const p = seededProvider('golden-migrate');
    const key = fromHex(v.storage_key);
    const dir = freshDir();
    writeFileSync(join(dir, 'agent.rec'), fromHex(v.record));
    const store = new AgentStore(p, dir, key);
    // Loading reads the whole-agent form as it is.
    expect(toHex(exportAgent(p, store.load()!, key))).toBe(v.record);
    store.migrate();
    const names = readdirSync(dir).sort();
    expect(names).toEqual(['agent.rec', store.peerRecordName(v.peer)].sort());
    // The agent record no longer embeds the peer: it imports as an agent without sessions.
    expect(importAgent(p, new Uint8Array(readFileSync(join(dir, 'agent.rec'))), key).state.peers).toEqual([]);
    expect(openRecord(p, key, 'peer', new Uint8Array(readFileSync(join(dir, store.peerRecordName(v.peer))))).length).toBeGreaterThan(0);
    // Migrating again (as after a crash) changes nothing.
    const before = names.map((n) => toHex(readFileSync(join(dir, n))));
    new AgentStore(p, dir, key).migrate();
    expect(readdirSync(dir).sort().map((n) => toHex(readFileSync(join(dir, n))))).toEqual(before);
    const migrated = new AgentStore(p, dir, key).load()!;
    expect(toHex(exportAgent(p, migrated, key))).toBe(v.record);
    expect(dec(migrated.decrypt(v.peer, fromHex(v.queued_message)))).toBe(v.queued_plaintext);
  });

  it('REC-010: a crash after the peer records but before the agent record is rewritten loads the same agent', () => {
    const v = JSON.parse(readFileSync(join(REPO_ROOT, 'vectors/records/agent-v1.json'), 'utf8')) as { storage_key: string; record: string };
    const p = seededProvider('golden-crash');
    const key = fromHex(v.storage_key);
    const dir = freshDir();
    writeFileSync(join(dir, 'agent.rec'), fromHex(v.record));
    const store = new AgentStore(p, dir, key);
    const agent = store.load()!;
    for (const ps of agent.state.peers) store.savePeer(agent, ps.address);
    expect(toHex(exportAgent(p, new AgentStore(p, dir, key).load()!, key))).toBe(v.record);
  });
});
