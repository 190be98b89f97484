/**
 * Per-peer persistence of a SessionAgent (spec/records.md REC-008..REC-010): one record for the
 * agent-level state (identity and prekeys; an agent record of version 1 with no peer fields) and
 * one record per peer address (type 0x03), so persisting after a message rewrites one small record
 * whatever the number of peers.
 *
 *   agent.rec          the agent record without peers
 *   peer-<h>.rec       h = first 20 bytes of SHA-256(address), hex; the body holds the address
 */
import { toHex, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { openRecord, sealRecord } from '../records/record.js';
import { agentFromDecoded, decodePeer, encodeAgentBody, encodePeer, openAgentRecord } from './agent-record.js';
import type { AgentRuntime, AgentState, PeerSessions, SessionAgent } from './agent.js';
import type { AsyncSessionIdentity, SessionIdentity } from './identity.js';
import { FileRecordStore } from './store.js';
import type { WatermarkStore } from './watermark.js';

export const AGENT_RECORD_NAME = 'agent.rec';
const PEER_PREFIX = 'peer-';

export type AgentStoreLoadOptions = { identity?: SessionIdentity; keyStoreIdentity?: AsyncSessionIdentity; watermarks?: WatermarkStore } & AgentRuntime;

export class AgentStore {
  private readonly records: FileRecordStore;
  /** The agent-level state last written (by reference: the agent replaces it on every change). */
  private saved: { prekeys: AgentState['prekeys']; agent: SessionAgent } | undefined;

  constructor(
    private readonly p: CryptoProvider,
    dir: string | FileRecordStore,
    private readonly storageKey: Uint8Array,
  ) {
    this.records = typeof dir === 'string' ? new FileRecordStore(dir) : dir;
  }

  /** The record name of a peer address. */
  peerRecordName(address: string): string {
    return `${PEER_PREFIX}${toHex(this.p.hash('SHA-256', utf8(address)).subarray(0, 20))}.rec`;
  }

  /**
   * Persists what a message to or from `peer` changed: that peer's record, and the agent record
   * only when the agent-level state changed (a handshake consumed a prekey). The agent record is
   * written first, so a crash in between loses the new session, never a prekey's consumption.
   */
  save(agent: SessionAgent, peer: string): void {
    // @req REC-009
    if (this.saved?.agent !== agent || this.saved.prekeys !== agent.state.prekeys) this.saveAgent(agent);
    this.savePeer(agent, peer);
  }

  /** Writes the agent-level record (identity, prekeys; no peers). */
  saveAgent(agent: SessionAgent): void {
    const st = agent.state;
    this.records.save(AGENT_RECORD_NAME, sealRecord(this.p, this.storageKey, 'agent', encodeAgentBody({ ...st, peers: [] }, agent.identity)));
    this.saved = { prekeys: st.prekeys, agent };
  }

  /** Writes one peer's record, or removes it when the agent holds no session with that peer. */
  savePeer(agent: SessionAgent, peer: string): void {
    const ps = agent.state.peers.find((x) => x.address === peer);
    if (!ps) this.records.remove(this.peerRecordName(peer));
    else this.records.save(this.peerRecordName(peer), sealRecord(this.p, this.storageKey, 'peer', encodePeer(ps)));
  }

  /** Writes everything: the agent record and every peer's record. */
  saveAll(agent: SessionAgent): void {
    this.saveAgent(agent);
    for (const ps of agent.state.peers) this.savePeer(agent, ps.address);
  }

  /**
   * Loads the agent: the agent record, then every peer record. An agent record of the whole-agent
   * form (version 1 with peers, as exportAgent writes) is read too; a peer record replaces the
   * sessions it embeds for the same address (REC-010).
   */
  load(opts: AgentStoreLoadOptions = {}): SessionAgent | undefined {
    const record = this.records.load(AGENT_RECORD_NAME);
    if (!record) return undefined;
    const decoded = openAgentRecord(this.p, record, this.storageKey, opts);
    const peers = new Map<string, PeerSessions>(decoded.state.peers.map((ps) => [ps.address, ps]));
    for (const name of this.records.names(PEER_PREFIX)) {
      const ps = this.openPeer(name, decoded.identity);
      if (ps) peers.set(ps.address, ps);
    }
    const agent = agentFromDecoded(this.p, { identity: decoded.identity, state: { ...decoded.state, peers: [...peers.values()] } }, opts);
    // An embedded-peers record is not the agent-level form: the next save rewrites it.
    if (decoded.state.peers.length === 0) this.saved = { prekeys: agent.state.prekeys, agent };
    return agent;
  }

  /**
   * Moves a whole-agent record (version 1, peers inside) to the per-peer layout: every peer record
   * first, then the agent record without peers. Safe to repeat after a crash (REC-010).
   */
  migrate(opts: AgentStoreLoadOptions = {}): SessionAgent | undefined {
    // @req REC-010
    const agent = this.load(opts);
    if (!agent) return undefined;
    for (const ps of agent.state.peers) this.savePeer(agent, ps.address);
    this.saveAgent(agent);
    return agent;
  }

  /** A peer record, or undefined when it was removed after it was listed. */
  private openPeer(name: string, identity: SessionIdentity): PeerSessions | undefined {
    const record = this.records.load(name);
    if (!record) return undefined;
    const body = openRecord(this.p, this.storageKey, 'peer', record);
    let ps: PeerSessions;
    try {
      ps = decodePeer(body, identity);
    } catch (e) {
      if (e instanceof AgentsecError) throw e;
      throw new AgentsecError('decode_failure', 'BAD_RECORD', 'peer record body is malformed');
    }
    // @req REC-008
    if (name !== this.peerRecordName(ps.address)) throw new AgentsecError('state_failure', 'PEER_RECORD_NAME', `peer record ${name} holds another address`);
    return ps;
  }
}
