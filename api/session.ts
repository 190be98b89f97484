/** `agentsec/session`: X3DH / PQXDH session agents with the Double Ratchet, their records and stores. */
export { SessionAgent, agentOptionsFromConfig, type AgentOptions, type AgentRuntime, type AgentState, type PeerSessions, type SessionEntry } from '../reference/session/agent.js';
export type { PrekeyStatus } from '../reference/session/prekeys.js';
export { exportAgent, importAgent } from '../reference/session/agent-record.js';
export { decodeBundle, encodeBundle, type Bundle, type PqKind } from '../reference/session/bundle.js';
export { softwareIdentity, keyStoreIdentity, PreparedIdentity, type SessionIdentity, type AsyncSessionIdentity, type SessionKeyStore } from '../reference/session/identity.js';
export { isInitial } from '../reference/session/initial-message.js';
export { DEFAULT_RATCHET_LIMITS, type RatchetLimits } from '../reference/session/limits.js';
export { selectHandshake, type Selection, type SelectorInput, type HandshakeChoice } from '../reference/session/selector.js';
export type { HandshakeKind } from '../reference/session/x3dh.js';
export { FileRecordStore } from '../reference/session/store.js';
export { AgentStore, type AgentStoreLoadOptions } from '../reference/session/agent-store.js';
export { MemoryWatermarkStore, FileWatermarkStore, type Watermark, type WatermarkStore } from '../reference/session/watermark.js';
