// In-repository exports of reference/session (the public ones are listed in api/): X3DH / PQXDH with prekey bundles, the Double Ratchet,
// session agents with versioned records, rollback watermarks and the handshake selector.
export { SessionAgent, agentOptionsFromConfig, type AgentOptions, type AgentRuntime, type AgentState, type PeerSessions, type SessionEntry } from './agent.js';
export type { PrekeyStatus } from './prekeys.js';
export { exportAgent, importAgent, encodeAgentBody, decodeAgentBody, encodeRatchetState, decodeRatchetState } from './agent-record.js';
export { decodeBundle, encodeBundle, signBundle, bundleSignedMessages, prekeySignedMessage, BUNDLE_VERSION, PQ_KIND, type Bundle, type PqKind } from './bundle.js';
export { softwareIdentity, keyStoreIdentity, PreparedIdentity, type SessionIdentity, type AsyncSessionIdentity, type SessionKeyStore } from './identity.js';
export { decodeInitial, encodeInitial, encodeInitialPrefix, isInitial, type InitialMessage, type InitialPrefix } from './initial-message.js';
export {
  MAX_SKIP, MAX_SKIPPED_KEYS, MAX_OLD_CHAINS, MAX_PREVIOUS_SESSIONS, MAX_REMEMBERED_BASE_KEYS,
  DEFAULT_ONE_TIME_PREKEYS, MAX_CHAIN_MESSAGES, SIGNED_PREKEY_GRACE_MS, MAX_PREVIOUS_SIGNED_PREKEYS,
  MAX_STORED_ONE_TIME_PREKEYS, type RatchetLimits, DEFAULT_RATCHET_LIMITS,
} from './limits.js';
export { sealRecord, openRecord, RECORD_VERSION, MIN_RECORD_VERSION, RECORD_TYPE, type RecordType } from '../records/record.js';
export { selectHandshake, type Selection, type SelectorInput, type HandshakeChoice } from './selector.js';
export { FileRecordStore } from './store.js';
export { AgentStore, AGENT_RECORD_NAME, type AgentStoreLoadOptions } from './agent-store.js';
export { MemoryWatermarkStore, FileWatermarkStore, type Watermark, type WatermarkStore } from './watermark.js';
export { X3DH_INFO, PQXDH_INFO, handshakeKdf, associatedData, type HandshakeKind } from './x3dh.js';
export { initAlice, initBob, ratchetEncrypt, ratchetDecrypt, skipSending, type RatchetState, type DecryptResult } from './ratchet/session.js';
export { kdfChain, messageKeys } from './ratchet/chain.js';
export { kdfRoot } from './ratchet/root-chain.js';
export { decodeMessage, encodeHeader, HEADER_LENGTH } from './ratchet/header.js';
