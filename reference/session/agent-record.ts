/**
 * The body of an agent record (record type 0x01, version 1): the agent's identity, prekeys and
 * sessions as tagged fields (tag u8, u32 length, value), read strictly. Tags are never reused;
 * the next free tag of each group is noted so additions stay additive (spec/records.md REC-005).
 */
import { concatBytes, fromHex, toHex, u32be, utf8 } from '../bytes.js';
import type { AeadName, CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import type { AgentRuntime, AgentState, PeerSessions, SessionEntry } from './agent.js';
import { SessionAgent } from './agent.js';
import { field32, FieldReader, u32, u8 } from '../records/encoding.js';
import { MAX_PREVIOUS_SIGNED_PREKEYS, MAX_REMEMBERED_BASE_KEYS } from './limits.js';
import { PreparedIdentity, softwareIdentity, type AsyncSessionIdentity, type SessionIdentity } from './identity.js';
import { aeadFromByte, AEAD_BYTE, type InitialPrefix } from './initial-message.js';
import { replayTag, type EcPrekey, type PqPrekey, type PrekeyState, type RetiredPqPrekey, type RetiredSignedPrekey } from './prekeys.js';
import type { RatchetState } from './ratchet/session.js';
import type { OldChain, SkippedKey } from './ratchet/skipped-keys.js';
import { openRecord, sealRecord } from '../records/record.js';
import type { WatermarkStore } from './watermark.js';
import type { HandshakeKind } from './x3dh.js';

const f = field32;
const n32 = (n: number): Uint8Array => u32be(n);
const b1 = (n: number): Uint8Array => new Uint8Array([n]);
const cat = concatBytes;
/** Packs fixed-size entries into one field value (fast for thousands of skipped keys). */
function pack<T>(items: readonly T[], size: number, write: (out: Uint8Array, view: DataView, off: number, item: T) => void): Uint8Array {
  const out = new Uint8Array(items.length * size);
  const view = new DataView(out.buffer);
  items.forEach((it, i) => write(out, view, i * size, it));
  return out;
}

function unpack<T>(v: Uint8Array | undefined, size: number, name: string, read: (v: Uint8Array) => T): T[] {
  if (!v) return [];
  if (v.length % size !== 0) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `record field "${name}" expected a multiple of ${size} bytes, got ${v.length}`);
  const out: T[] = [];
  for (let o = 0; o < v.length; o += size) out.push(read(v.subarray(o, o + size)));
  return out;
}

const reader = (b: Uint8Array, what: string): FieldReader => new FieldReader(b, what, 0, 4);
const fixed = (b: Uint8Array, len: number, name: string): Uint8Array => {
  if (b.length !== len) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `record field "${name}" expected ${len} bytes, got ${b.length}`);
  return b.slice();
};
const KIND: Record<HandshakeKind, number> = { x3dh: 1, pqxdh: 2 };
const kindFrom = (b: number): HandshakeKind => {
  if (b === 1) return 'x3dh';
  if (b === 2) return 'pqxdh';
  throw new AgentsecError('decode_failure', 'BAD_FIELD', `record: unknown session kind ${b}`);
};

// Ratchet state fields: 0x01 aead, 0x02 ad, 0x03 dhs public, 0x04 dhs private, 0x05 dhr?, 0x06 rk,
// 0x07 cks?, 0x08 ckr?, 0x09 ns, 0x0a nr, 0x0b pn, 0x0c send epoch, 0x0d receiving chain?,
// 0x0e receiving eviction mark, 0x0f old chains (packed: chain 32 || end u32 || evictedBelow u32),
// 0x10 skipped keys (packed: chain 32 || n u32 || mk 32). Next free: 0x11.
export function encodeRatchetState(r: RatchetState): Uint8Array {
  const parts = [f(0x01, b1(AEAD_BYTE[r.aead])), f(0x02, r.ad), f(0x03, r.dhsPublic), f(0x04, r.dhsPrivate)];
  if (r.dhr) parts.push(f(0x05, r.dhr));
  parts.push(f(0x06, r.rk));
  if (r.cks) parts.push(f(0x07, r.cks));
  if (r.ckr) parts.push(f(0x08, r.ckr));
  parts.push(f(0x09, n32(r.ns)), f(0x0a, n32(r.nr)), f(0x0b, n32(r.pn)), f(0x0c, n32(r.sendEpoch)));
  if (r.skip.recvChain !== undefined) parts.push(f(0x0d, fromHex(r.skip.recvChain)));
  parts.push(f(0x0e, n32(r.skip.recvEvictedBelow)));
  parts.push(
    f(0x0f, pack(r.skip.oldChains, 40, (o, v, off, c) => (o.set(fromHex(c.chain), off), v.setUint32(off + 32, c.end), v.setUint32(off + 36, c.evictedBelow)))),
    f(0x10, pack(r.skip.skipped, 68, (o, v, off, k) => (o.set(fromHex(k.chain), off), v.setUint32(off + 32, k.n), o.set(k.mk, off + 36)))),
  );
  return cat(...parts);
}

export function decodeRatchetState(b: Uint8Array): RatchetState {
  const r = reader(b, 'ratchet state');
  const aead: AeadName = aeadFromByte(u8(r.read(0x01, 'aead'), 'aead'));
  const ad = r.read(0x02, 'ad').slice();
  const dhsPublic = fixed(r.read(0x03, 'dhs public'), 32, 'dhs public');
  const dhsPrivate = fixed(r.read(0x04, 'dhs private'), 32, 'dhs private');
  const dhr = r.optional(0x05, 'dhr');
  const rk = fixed(r.read(0x06, 'rk'), 32, 'rk');
  const cks = r.optional(0x07, 'cks');
  const ckr = r.optional(0x08, 'ckr');
  const ns = u32(r.read(0x09, 'ns'), 'ns');
  const nr = u32(r.read(0x0a, 'nr'), 'nr');
  const pn = u32(r.read(0x0b, 'pn'), 'pn');
  const sendEpoch = u32(r.read(0x0c, 'send epoch'), 'send epoch');
  const recvChain = r.optional(0x0d, 'receiving chain');
  const recvEvictedBelow = u32(r.read(0x0e, 'eviction mark'), 'eviction mark');
  const oldChains: OldChain[] = unpack(r.read(0x0f, 'old chains'), 40, 'old chains', (v) => ({ chain: toHex(v.subarray(0, 32)), end: u32(v.subarray(32, 36), 'end'), evictedBelow: u32(v.subarray(36, 40), 'evictedBelow') }));
  const skipped: SkippedKey[] = unpack(r.read(0x10, 'skipped keys'), 68, 'skipped keys', (v) => ({ chain: toHex(v.subarray(0, 32)), n: u32(v.subarray(32, 36), 'n'), mk: v.slice(36, 68) }));
  r.end();
  return {
    aead,
    ad,
    dhsPublic,
    dhsPrivate,
    dhr: dhr ? fixed(dhr, 32, 'dhr') : undefined,
    rk,
    cks: cks ? fixed(cks, 32, 'cks') : undefined,
    ckr: ckr ? fixed(ckr, 32, 'ckr') : undefined,
    ns,
    nr,
    pn,
    sendEpoch,
    skip: { skipped, oldChains, recvEvictedBelow, recvChain: recvChain ? toHex(fixed(recvChain, 32, 'receiving chain')) : undefined },
  };
}

// Pending prefix fields: 0x01 kind, 0x02 aead, 0x03 base key, 0x04 spk id, 0x05 opk id?, 0x06 pq id || ct?. Next free: 0x07.
function encodePrefix(x: InitialPrefix): Uint8Array {
  const parts = [f(0x01, b1(KIND[x.kind])), f(0x02, b1(AEAD_BYTE[x.aead])), f(0x03, x.baseKey), f(0x04, n32(x.signedPrekeyId))];
  if (x.oneTimePrekeyId !== undefined) parts.push(f(0x05, n32(x.oneTimePrekeyId)));
  if (x.pq) parts.push(f(0x06, cat(n32(x.pq.id), x.pq.ciphertext)));
  return cat(...parts);
}

function decodePrefix(b: Uint8Array, identity: SessionIdentity): InitialPrefix {
  const r = reader(b, 'pending prefix');
  const kind = kindFrom(u8(r.read(0x01, 'kind'), 'kind'));
  const aead = aeadFromByte(u8(r.read(0x02, 'aead'), 'aead'));
  const baseKey = fixed(r.read(0x03, 'base key'), 32, 'base key');
  const signedPrekeyId = u32(r.read(0x04, 'spk id'), 'spk id');
  const opk = r.optional(0x05, 'opk id');
  const pq = r.optional(0x06, 'pq');
  r.end();
  return {
    kind,
    aead,
    identitySigning: identity.signingPublic,
    identityAgreement: identity.agreementPublic,
    baseKey,
    signedPrekeyId,
    ...(opk ? { oneTimePrekeyId: u32(opk, 'opk id') } : {}),
    ...(pq ? { pq: { id: u32(fixed(pq, 4 + 1568, 'pq').subarray(0, 4), 'pq id'), ciphertext: pq.slice(4) } } : {}),
  };
}

// Session entry fields: 0x01 id, 0x02 peer signing, 0x03 peer agreement, 0x04 base key, 0x05 initiator,
// 0x06 pending prefix?, 0x07 ratchet state. Next free: 0x08.
function encodeEntry(e: SessionEntry): Uint8Array {
  const parts = [f(0x01, e.id), f(0x02, e.peerSigning), f(0x03, e.peerAgreement), f(0x04, e.baseKey), f(0x05, b1(e.initiator ? 1 : 0))];
  if (e.pending) parts.push(f(0x06, encodePrefix(e.pending)));
  parts.push(f(0x07, encodeRatchetState(e.ratchet)));
  return cat(...parts);
}

function decodeEntry(b: Uint8Array, identity: SessionIdentity): SessionEntry {
  const r = reader(b, 'session');
  const id = fixed(r.read(0x01, 'id'), 16, 'id');
  const peerSigning = fixed(r.read(0x02, 'peer signing'), 32, 'peer signing');
  const peerAgreement = fixed(r.read(0x03, 'peer agreement'), 32, 'peer agreement');
  const baseKey = fixed(r.read(0x04, 'base key'), 32, 'base key');
  const initiator = u8(r.read(0x05, 'initiator'), 'initiator') === 1;
  const pending = r.optional(0x06, 'pending');
  const ratchet = decodeRatchetState(r.read(0x07, 'ratchet'));
  r.end();
  return { id, peerSigning, peerAgreement, baseKey, initiator, pending: pending ? decodePrefix(pending, identity) : undefined, ratchet };
}

// Prekey fields: 0x01 first id, 0x02 next id, 0x03 spk (id || private), 0x04 one-time (packed: id || private),
// 0x05 one-time cursor, 0x06 pq last resort? (id || seed), 0x07 pq one-time (packed: id || seed), 0x08 pq cursor,
// 0x09 replay digests of version-1 records before they were tagged (packed, 16 bytes each; written empty),
// 0x0a replaced signed prekeys in their grace period
// (packed: id u32 || private 32 || replaced-at u64 ms; only present when there are any, so records of
// agents that never rotated keep their version-1 bytes), 0x0b replaced last-resort PQ prekeys in their grace
// period (packed: id u32 || seed 64 || replaced-at u64 ms; only when there are any), 0x0c replay digests
// tagged with their signed prekey (packed: spk id u32 || digest 16; only when there are any). Next free: 0x0d.
function encodePrekeys(s: PrekeyState): Uint8Array {
  const ec = (k: EcPrekey): Uint8Array => cat(n32(k.id), k.privateKey);
  const pq = (k: PqPrekey): Uint8Array => cat(n32(k.id), k.seed);
  const parts = [f(0x01, n32(s.firstId)), f(0x02, n32(s.nextId)), f(0x03, ec(s.signedPrekey))];
  parts.push(f(0x04, pack(s.oneTime, 36, (o, _v, off, k) => o.set(ec(k), off))), f(0x05, n32(s.oneTimeCursor)));
  if (s.pqLastResort) parts.push(f(0x06, pq(s.pqLastResort)));
  parts.push(f(0x07, pack(s.pqOneTime, 68, (o, _v, off, k) => o.set(pq(k), off))), f(0x08, n32(s.pqCursor)));
  parts.push(f(0x09, new Uint8Array(0)));
  if (s.previousSignedPrekeys.length > 0) {
    parts.push(f(0x0a, pack(s.previousSignedPrekeys, 44, (o, v, off, k) => (v.setUint32(off, k.id), o.set(k.privateKey, off + 4), v.setBigUint64(off + 36, BigInt(k.retiredAt))))));
  }
  if (s.previousPqLastResort.length > 0) {
    parts.push(f(0x0b, pack(s.previousPqLastResort, 76, (o, v, off, k) => (v.setUint32(off, k.id), o.set(k.seed, off + 4), v.setBigUint64(off + 68, BigInt(k.retiredAt))))));
  }
  if (s.replayDigests.length > 0) parts.push(f(0x0c, pack(s.replayDigests, 20, (o, _v, off, t) => o.set(fromHex(t), off))));
  return cat(...parts);
}

/** A u64 time in ms, within the safe integer range. */
function time(v: Uint8Array): number {
  const at = new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0);
  if (at > BigInt(Number.MAX_SAFE_INTEGER)) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'record: a prekey replacement time is out of range');
  return Number(at);
}

function decodePrekeys(b: Uint8Array): PrekeyState {
  const r = reader(b, 'prekeys');
  const ec = (v: Uint8Array): EcPrekey => ({ id: u32(fixed(v, 36, 'prekey').subarray(0, 4), 'id'), privateKey: v.slice(4) });
  const pq = (v: Uint8Array): PqPrekey => ({ id: u32(fixed(v, 68, 'pq prekey').subarray(0, 4), 'id'), seed: v.slice(4) });
  const firstId = u32(r.read(0x01, 'first id'), 'first id');
  const nextId = u32(r.read(0x02, 'next id'), 'next id');
  const signedPrekey = ec(r.read(0x03, 'signed prekey'));
  const oneTime = unpack(r.read(0x04, 'one-time prekeys'), 36, 'one-time prekeys', ec);
  const oneTimeCursor = u32(r.read(0x05, 'cursor'), 'cursor');
  const last = r.optional(0x06, 'pq last resort');
  const pqOneTime = unpack(r.read(0x07, 'pq one-time prekeys'), 68, 'pq one-time prekeys', pq);
  const pqCursor = u32(r.read(0x08, 'pq cursor'), 'pq cursor');
  // Untagged digests of older records: kept under the current signed prekey (longer than needed, never shorter).
  const legacy = unpack(r.read(0x09, 'used base keys'), 16, 'used base keys', (v) => replayTag(signedPrekey.id, toHex(v)));
  const prev = r.optional(0x0a, 'previous signed prekeys');
  // Written only when non-empty and bounded: anything else is not a record this code wrote (canonical encoding).
  if (prev && (prev.length === 0 || prev.length > 44 * MAX_PREVIOUS_SIGNED_PREKEYS)) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'record: bad list of previous signed prekeys');
  const previousSignedPrekeys = unpack(prev, 44, 'previous signed prekeys', (v): RetiredSignedPrekey => {
    return { id: u32(v.subarray(0, 4), 'id'), privateKey: v.slice(4, 36), retiredAt: time(v.subarray(36, 44)) };
  });
  const prevPq = r.optional(0x0b, 'previous pq last resort');
  if (prevPq && (prevPq.length === 0 || prevPq.length > 76 * MAX_PREVIOUS_SIGNED_PREKEYS)) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'record: bad list of previous last-resort PQ prekeys');
  const previousPqLastResort = unpack(prevPq, 76, 'previous pq last resort', (v): RetiredPqPrekey => ({ id: u32(v.subarray(0, 4), 'id'), seed: v.slice(4, 68), retiredAt: time(v.subarray(68, 76)) }));
  const tagged = r.optional(0x0c, 'replay digests');
  const bound = MAX_REMEMBERED_BASE_KEYS * (1 + MAX_PREVIOUS_SIGNED_PREKEYS);
  if (tagged && (tagged.length === 0 || tagged.length > 20 * bound)) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'record: bad list of replay digests');
  if (legacy.length > MAX_REMEMBERED_BASE_KEYS) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'record: too many replay digests');
  const replayDigests = legacy.concat(unpack(tagged, 20, 'replay digests', (v) => toHex(v)));
  r.end();
  return { firstId, nextId, signedPrekey, previousSignedPrekeys, oneTime, oneTimeCursor, pqLastResort: last ? pq(last) : undefined, previousPqLastResort, pqOneTime, pqCursor, replayDigests };
}

// Agent body fields: 0x01 kind, 0x02 aead, 0x03 identity (0x01 || sig priv || dh priv, software;
// 0x02 || sig pub || dh pub, held elsewhere), 0x04 prekeys, 0x05 peer* (fields: 0x01 address,
// 0x02 current, 0x03 previous*). Next free: 0x06.
export function encodeAgentBody(state: AgentState, identity: SessionIdentity): Uint8Array {
  const priv = identity.exportPrivate?.();
  const id = priv ? cat(b1(1), priv.signingPrivate, priv.agreementPrivate) : cat(b1(2), identity.signingPublic, identity.agreementPublic);
  const parts = [f(0x01, b1(KIND[state.kind])), f(0x02, b1(AEAD_BYTE[state.aead])), f(0x03, id), f(0x04, encodePrekeys(state.prekeys))];
  for (const ps of state.peers) parts.push(f(0x05, encodePeer(ps)));
  return cat(...parts);
}

/** One peer's sessions: 0x01 address, 0x02 current, 0x03* previous (field 0x05 of the agent body; a peer record's body). */
export function encodePeer(ps: PeerSessions): Uint8Array {
  return cat(f(0x01, utf8(ps.address)), f(0x02, encodeEntry(ps.current)), ...ps.previous.map((e) => f(0x03, encodeEntry(e))));
}

export function decodePeer(v: Uint8Array, identity: SessionIdentity): PeerSessions {
  const pr = reader(v, 'peer');
  const address = new TextDecoder('utf-8', { fatal: true }).decode(pr.read(0x01, 'address'));
  const current = decodeEntry(pr.read(0x02, 'current'), identity);
  const previous = pr.all(0x03, 'previous').map((e) => decodeEntry(e, identity));
  pr.end();
  return { address, current, previous };
}

export function decodeAgentBody(p: CryptoProvider, body: Uint8Array, external?: SessionIdentity): { state: AgentState; identity: SessionIdentity } {
  const r = reader(body, 'agent record');
  const kind = kindFrom(u8(r.read(0x01, 'kind'), 'kind'));
  const aead = aeadFromByte(u8(r.read(0x02, 'aead'), 'aead'));
  const idv = fixed(r.read(0x03, 'identity'), 65, 'identity');
  let identity: SessionIdentity;
  if (idv[0] === 1) identity = softwareIdentity(p, { signingPrivate: idv.slice(1, 33), agreementPrivate: idv.slice(33, 65) });
  else if (idv[0] === 2) {
    if (!external) throw new AgentsecError('state_failure', 'IDENTITY_REQUIRED', 'this agent record names an identity held in a key store: pass it to importAgent');
    if (toHex(external.signingPublic) !== toHex(idv.subarray(1, 33)) || toHex(external.agreementPublic) !== toHex(idv.subarray(33, 65))) {
      throw new AgentsecError('state_failure', 'IDENTITY_MISMATCH', 'the identity passed does not match the agent record');
    }
    identity = external;
  } else throw new AgentsecError('decode_failure', 'BAD_FIELD', `record: unknown identity form ${idv[0]}`);
  const prekeys = decodePrekeys(r.read(0x04, 'prekeys'));
  const peers: PeerSessions[] = r.all(0x05, 'peer').map((v) => decodePeer(v, identity));
  r.end();
  return { state: { kind, aead, prekeys, peers }, identity };
}

/** Serializes an agent into a sealed record under the storage key (REC-001). */
export function exportAgent(p: CryptoProvider, agent: SessionAgent, storageKey: Uint8Array): Uint8Array {
  return sealRecord(p, storageKey, 'agent', encodeAgentBody(agent.state, agent.identity));
}

/** Restores an agent from its record; the watermark store is the one kept outside the record. */
export function importAgent(
  p: CryptoProvider,
  record: Uint8Array,
  storageKey: Uint8Array,
  opts: { identity?: SessionIdentity; keyStoreIdentity?: AsyncSessionIdentity; watermarks?: WatermarkStore } & AgentRuntime = {},
): SessionAgent {
  const decoded = openAgentRecord(p, record, storageKey, opts);
  return agentFromDecoded(p, decoded, opts);
}

/** Opens and decodes an agent record (identity, prekeys and any peers it holds). */
export function openAgentRecord(
  p: CryptoProvider,
  record: Uint8Array,
  storageKey: Uint8Array,
  opts: { identity?: SessionIdentity; keyStoreIdentity?: AsyncSessionIdentity } = {},
): { state: AgentState; identity: SessionIdentity } {
  const body = openRecord(p, storageKey, 'agent', record);
  try {
    return decodeAgentBody(p, body, opts.keyStoreIdentity ? new PreparedIdentity(opts.keyStoreIdentity) : opts.identity);
  } catch (e) {
    if (e instanceof AgentsecError) throw e;
    throw new AgentsecError('decode_failure', 'BAD_RECORD', 'agent record body is malformed');
  }
}

/** A SessionAgent over decoded state, with the deployment's runtime settings. */
export function agentFromDecoded(p: CryptoProvider, decoded: { state: AgentState; identity: SessionIdentity }, opts: { watermarks?: WatermarkStore } & AgentRuntime = {}): SessionAgent {
  return new SessionAgent(p, decoded.identity, decoded.state, opts.watermarks, { ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.maxReplayDigests !== undefined ? { maxReplayDigests: opts.maxReplayDigests } : {}) });
}
