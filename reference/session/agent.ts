/**
 * A session agent: its identity, prekeys and the sessions with each peer (spec/session.md).
 * Every operation computes a new plain AgentState and commits it only when the whole operation
 * succeeded, so a refused input leaves the agent (and its exported record) unchanged (CONV-003).
 */
import { inspect } from 'node:util';
import { concatBytes, equalBytes, toHex, u32be, utf8, wipe } from '../bytes.js';
import type { AeadName, CryptoProvider } from '../crypto/provider.js';
import type { SecurityConfig } from '../config/security-config.js';
import { parseSecurityConfig } from '../config/security-config.js';
import { AgentsecError } from '../errors.js';
import { HIGH_FREQUENCY_ATTRIBUTE, tracedSync } from '../observability/tracing.js';
import { bundleSignedMessages, decodeBundle, encodeBundle } from './bundle.js';
import { PreparedIdentity, softwareIdentity, type AsyncSessionIdentity, type SessionIdentity } from './identity.js';
import { decodeInitial, encodeInitial, encodeInitialPrefix, isInitial, type InitialPrefix } from './initial-message.js';
import { DEFAULT_ONE_TIME_PREKEYS, DEFAULT_RATCHET_LIMITS, MAX_PREVIOUS_SESSIONS, MAX_REMEMBERED_BASE_KEYS, type RatchetLimits } from './limits.js';
import {
  consumePrekeys,
  generatePrekeys,
  lookupPrekeys,
  nextBundle,
  nextUnsignedBundle,
  prekeyStatus,
  pruneSignedPrekeys,
  replenishPrekeys,
  rotateSignedPrekey,
  replayDigestCount,
  replayTag,
  seenBaseKey,
  type PrekeyState,
  type PrekeyStatus,
} from './prekeys.js';
import { pqDecapsulate, pqEncapsulate } from './pqxdh.js';
import { initAlice, initBob, knowsChain, ratchetDecrypt, ratchetEncrypt, skipSending, type RatchetState } from './ratchet/session.js';
import { MemoryWatermarkStore, type WatermarkStore } from './watermark.js';
import { associatedData, handshakeKdf, initiatorDhs, responderDhs, type HandshakeKind } from './x3dh.js';

export interface SessionEntry {
  /** Local random id: the key of this session's rollback watermark. */
  readonly id: Uint8Array;
  readonly peerSigning: Uint8Array;
  readonly peerAgreement: Uint8Array;
  /** The initiator's ephemeral key: names the session on both sides. */
  readonly baseKey: Uint8Array;
  readonly initiator: boolean;
  /** While the initiator has not heard back, every message repeats the initial prefix (R-DR-18). */
  readonly pending: InitialPrefix | undefined;
  readonly ratchet: RatchetState;
}

export interface PeerSessions {
  readonly address: string;
  readonly current: SessionEntry;
  /** Older sessions, newest first, at most MAX_PREVIOUS_SESSIONS. */
  readonly previous: readonly SessionEntry[];
}

export interface AgentState {
  readonly kind: HandshakeKind;
  readonly aead: AeadName;
  readonly prekeys: PrekeyState;
  readonly peers: readonly PeerSessions[];
}

export interface AgentOptions {
  readonly kind: HandshakeKind;
  /** AEAD for the sessions this agent initiates (the config's encryption.aead). */
  readonly aead?: AeadName;
  readonly oneTimePrekeys?: number;
  readonly pqOneTimePrekeys?: number;
  /** A synchronous identity (software); a new software identity when neither this nor keyStoreIdentity is given. */
  readonly identity?: SessionIdentity;
  /** An identity held in a key store; handshakes then go through bundleAsync / initiateAsync / decryptAsync. */
  readonly keyStoreIdentity?: AsyncSessionIdentity;
  /** Where rollback watermarks live, outside the agent record; in memory when omitted. */
  readonly watermarks?: WatermarkStore;
  /** Receive limits of this agent's sessions (session.maxSkip / maxSkippedKeys of the config); the profile's by default. */
  readonly limits?: RatchetLimits;
  /** Milliseconds since the epoch; decides the grace period of replaced signed prekeys (Date.now by default). */
  readonly clock?: () => number;
  /** Replay digests kept per signed prekey before it must be rotated (X3DH-021): 1..MAX_REMEMBERED_BASE_KEYS, that by default. */
  readonly maxReplayDigests?: number;
}

/** What an agent takes besides its record: none is persisted, all come from the deployment. */
export interface AgentRuntime {
  readonly limits?: RatchetLimits;
  readonly clock?: () => number;
  readonly maxReplayDigests?: number;
}

function checkReplayBound(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_REMEMBERED_BASE_KEYS) throw new AgentsecError('policy_reject', 'BAD_LIMIT', `maxReplayDigests must be an integer 1..${MAX_REMEMBERED_BASE_KEYS}, got ${String(n)}`);
  return n;
}

/** Checks receive limits given in code with the bounds the config parser applies (spec/config.md CONFIG-012). */
function checkLimits(l: RatchetLimits): RatchetLimits {
  const { maxSkip, maxSkippedKeys } = l;
  if (!Number.isSafeInteger(maxSkip) || maxSkip < 1 || maxSkip > 100_000) throw new AgentsecError('policy_reject', 'BAD_LIMIT', `maxSkip must be an integer 1..100000, got ${String(maxSkip)}`);
  if (!Number.isSafeInteger(maxSkippedKeys) || maxSkippedKeys < 2 * maxSkip || maxSkippedKeys > 200_000) {
    throw new AgentsecError('policy_reject', 'BAD_LIMIT', `maxSkippedKeys must be an integer from 2 * maxSkip (${2 * maxSkip}) to 200000, got ${String(maxSkippedKeys)}`);
  }
  return Object.freeze({ maxSkip, maxSkippedKeys });
}

/**
 * The agent options a SecurityConfig implies: handshake.asyncMessaging picks PQXDH or X3DH,
 * encryption.cipher the AEAD, handshake.prekeyBatchSize the one-time prekeys, session.* the limits.
 * The config is validated again here, so a hand-built object cannot bypass the parser's bounds.
 */
export function agentOptionsFromConfig(config: SecurityConfig): Required<Pick<AgentOptions, 'kind' | 'aead' | 'oneTimePrekeys' | 'pqOneTimePrekeys' | 'limits'>> {
  // @req SESS-014
  const c = parseSecurityConfig(config);
  return {
    kind: c.handshake.asyncMessaging === 'Signal_PQXDH_Ratchet' ? 'pqxdh' : 'x3dh',
    aead: c.encryption.cipher,
    oneTimePrekeys: c.handshake.prekeyBatchSize,
    pqOneTimePrekeys: c.handshake.prekeyBatchSize,
    limits: { maxSkip: c.session.maxSkip, maxSkippedKeys: c.session.maxSkippedKeys },
  };
}

const BASE_KEY_LABEL = utf8('agentsec/1 base key');

/**
 * After a receive on `entry` that made a DH ratchet step: a state restored behind the watermark on
 * the chain that step closed reports, as PN, the watermark's next number instead of its own stale
 * counter, so the peer keeps the keys of the messages sent before the rollback (PN only sizes the
 * peer's skipped keys; no key is derived from it).
 */
function closedPastWatermark(watermarks: WatermarkStore, entry: SessionEntry, next: RatchetState): RatchetState {
  const r = entry.ratchet;
  if (next.sendEpoch === r.sendEpoch) return next;
  const wm = watermarks.get(toHex(entry.id));
  // @req SESS-033
  if (wm && wm.epoch === r.sendEpoch && wm.chain === toHex(r.dhsPublic) && wm.next > next.pn) return { ...next, pn: wm.next };
  return next;
}

export class SessionAgent {
  private st: AgentState;
  /** Receive limits (not part of the record: they come from the deployment's config). */
  readonly limits: RatchetLimits;
  private readonly clock: () => number;
  private readonly maxReplayDigests: number;

  constructor(
    private readonly p: CryptoProvider,
    readonly identity: SessionIdentity,
    state: AgentState,
    readonly watermarks: WatermarkStore = new MemoryWatermarkStore(),
    runtime: AgentRuntime = {},
  ) {
    this.st = state;
    this.limits = checkLimits(runtime.limits ?? DEFAULT_RATCHET_LIMITS);
    this.clock = runtime.clock ?? Date.now;
    this.maxReplayDigests = checkReplayBound(runtime.maxReplayDigests ?? MAX_REMEMBERED_BASE_KEYS);
  }

  /** An agent configured by a SecurityConfig (agentOptionsFromConfig); `opts` may add an identity, watermarks, a clock. */
  static fromConfig(p: CryptoProvider, config: SecurityConfig, opts: Omit<AgentOptions, 'kind' | 'aead' | 'limits'> = {}): SessionAgent {
    return SessionAgent.create(p, { ...agentOptionsFromConfig(config), ...opts });
  }

  static create(p: CryptoProvider, opts: AgentOptions): SessionAgent {
    if (opts.kind !== 'x3dh' && opts.kind !== 'pqxdh') throw new AgentsecError('unsupported', 'UNKNOWN_KIND', `session kind "${String(opts.kind)}" is not x3dh or pqxdh`);
    const count = opts.oneTimePrekeys ?? DEFAULT_ONE_TIME_PREKEYS;
    if (!Number.isSafeInteger(count) || count < 0 || count > 100_000) throw new AgentsecError('policy_reject', 'BAD_PREKEY_COUNT', `one-time prekey count must be 0..100000, got ${count}`);
    const pqCount = opts.pqOneTimePrekeys ?? count;
    if (!Number.isSafeInteger(pqCount) || pqCount < 0 || pqCount > 100_000) throw new AgentsecError('policy_reject', 'BAD_PREKEY_COUNT', `PQ one-time prekey count must be 0..100000, got ${pqCount}`);
    if (opts.identity && opts.keyStoreIdentity) throw new AgentsecError('policy_reject', 'TWO_IDENTITIES', 'give identity or keyStoreIdentity, not both');
    const identity = opts.keyStoreIdentity ? new PreparedIdentity(opts.keyStoreIdentity) : (opts.identity ?? softwareIdentity(p));
    const runtime: AgentRuntime = { ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.maxReplayDigests !== undefined ? { maxReplayDigests: opts.maxReplayDigests } : {}) };
    // Limits first: a bad limit must refuse before any key is generated.
    if (opts.limits) checkLimits(opts.limits);
    if (opts.maxReplayDigests !== undefined) checkReplayBound(opts.maxReplayDigests);
    const state: AgentState = { kind: opts.kind, aead: opts.aead ?? 'AES-256-GCM', prekeys: generatePrekeys(p, opts.kind, count, pqCount), peers: [] };
    return new SessionAgent(p, identity, state, opts.watermarks, runtime);
  }

  /** The plain state record (read-only; records and tests serialize it). */
  get state(): AgentState {
    return this.st;
  }

  get kind(): HandshakeKind {
    return this.st.kind;
  }

  /** The next prekey bundle for the directory to hand to one initiator. */
  bundle(): Uint8Array {
    const { state, bundle } = nextBundle(this.p, this.st.prekeys, this.identity);
    this.st = { ...this.st, prekeys: state };
    return encodeBundle(bundle);
  }

  /**
   * The bundle the directory keeps as its reusable fallback: the signed prekey (and the last-resort
   * PQ prekey), no one-time material; hands nothing out.
   */
  reusableBundle(): Uint8Array {
    return encodeBundle(nextBundle(this.p, this.st.prekeys, this.identity, true).bundle);
  }

  /**
   * A batch for the directory: `count` bundles each carrying a one-time prekey not handed out
   * before (generating more first when fewer remain), then the reusable fallback (DIR-007).
   */
  bundleBatch(count: number): Uint8Array[] {
    const before = this.st;
    try {
      this.topUp(count);
      const out = Array.from({ length: count }, () => this.bundle());
      out.push(this.reusableBundle());
      return out;
    } catch (e) {
      this.st = before;
      throw e;
    }
  }

  /** bundleBatch for an identity in a key store (one signing round per bundle). */
  async bundleBatchAsync(count: number): Promise<Uint8Array[]> {
    const id = this.identity;
    if (!(id instanceof PreparedIdentity)) return this.bundleBatch(count);
    const before = this.st;
    try {
      this.topUp(count);
      const out: Uint8Array[] = [];
      for (let i = 0; i < count; i++) out.push(await this.bundleAsync());
      await id.prepare([], bundleSignedMessages(nextUnsignedBundle(this.p, this.st.prekeys, id, true).unsigned));
      try {
        out.push(this.reusableBundle());
      } finally {
        id.clear();
      }
      return out;
    } catch (e) {
      this.st = before;
      throw e;
    }
  }

  private topUp(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0 || count > 1000) throw new AgentsecError('policy_reject', 'BAD_PREKEY_COUNT', `batch size must be 0..1000, got ${String(count)}`);
    const st = prekeyStatus(this.st.prekeys);
    const short = Math.max(count - st.oneTimeAvailable, this.st.kind === 'pqxdh' ? count - st.pqOneTimeAvailable : 0);
    if (short > 0) this.replenish(short);
  }

  /** One-time prekeys left (handed out or not) and the signed prekeys held. */
  prekeyStatus(): PrekeyStatus {
    return prekeyStatus(this.st.prekeys, this.maxReplayDigests);
  }

  /** Generates `n` more one-time prekeys (and n PQ one-time prekeys for PQXDH) with ids never used before. */
  replenish(n: number): void {
    this.st = { ...this.st, prekeys: replenishPrekeys(this.p, this.st.prekeys, this.st.kind, n) };
  }

  /**
   * Replaces the signed prekey (R-X3DH-4); the old one still opens initial messages for
   * SIGNED_PREKEY_GRACE_MS from `now`. New bundles carry the new key: publish them.
   */
  rotateSignedPrekey(now: number = this.clock()): void {
    this.st = { ...this.st, prekeys: rotateSignedPrekey(this.p, this.st.prekeys, now) };
  }

  /** Deletes the replaced signed prekeys whose grace period is over at `now`. */
  prune(now: number = this.clock()): void {
    this.st = { ...this.st, prekeys: pruneSignedPrekeys(this.st.prekeys, now) };
  }

  /** X3DH / PQXDH as initiator (R-X3DH-6/7, R-PQXDH-7/8), then the first ratchet message. */
  initiate(peer: string, bundleBytes: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return tracedSync('agentsec.session.initiate', { 'agentsec.session.kind': this.st.kind, 'agentsec.peer_id': String(peer) }, () => this.initiateUntraced(peer, bundleBytes, plaintext));
  }

  private initiateUntraced(peer: string, bundleBytes: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const p = this.p;
    // @req X3DH-003: nothing happens before the bundle is parsed and every signature verified.
    const b = decodeBundle(p, bundleBytes);
    const kind = this.st.kind;
    // @req PQXDH-003
    if (kind === 'pqxdh' && !b.pqPrekey) throw new AgentsecError('policy_reject', 'PQ_PREKEY_MISSING', 'a PQXDH agent refuses a bundle without a PQ prekey (no downgrade to X3DH)');
    const known = this.peer(peer);
    if (known && !(equalBytes(known.current.peerSigning, b.identitySigning) && equalBytes(known.current.peerAgreement, b.identityAgreement))) {
      throw new AgentsecError('policy_reject', 'IDENTITY_CHANGED', `the bundle's identity keys differ from the ones pinned for peer "${peer}"`);
    }
    const ek = p.x25519.generateKeyPair();
    const km = initiatorDhs(p, { identityDh: (pub) => this.identity.dh(pub), ephemeralPrivate: ek.privateKey }, b.identityAgreement, b.signedPrekey.publicKey, b.oneTimePrekey?.publicKey);
    let pq: InitialPrefix['pq'];
    if (kind === 'pqxdh' && b.pqPrekey) {
      const enc = pqEncapsulate(p, b.pqPrekey.publicKey);
      km.push(enc.sharedSecret);
      pq = { id: b.pqPrekey.id, ciphertext: enc.ciphertext };
    }
    const sk = handshakeKdf(p, kind, km);
    // @req X3DH-007: the ephemeral private key and the DH outputs are deleted once SK exists.
    wipe(ek.privateKey, ...km);
    const ad = associatedData({ signing: this.identity.signingPublic, agreement: this.identity.agreementPublic }, { signing: b.identitySigning, agreement: b.identityAgreement });
    const ratchet = initAlice(p, sk, ad, b.signedPrekey.publicKey, this.st.aead);
    const prefix: InitialPrefix = {
      kind,
      aead: this.st.aead,
      identitySigning: this.identity.signingPublic,
      identityAgreement: this.identity.agreementPublic,
      baseKey: ek.publicKey,
      signedPrekeyId: b.signedPrekey.id,
      ...(b.oneTimePrekey ? { oneTimePrekeyId: b.oneTimePrekey.id } : {}),
      ...(pq ? { pq } : {}),
    };
    const entry: SessionEntry = { id: p.randomBytes(16), peerSigning: b.identitySigning, peerAgreement: b.identityAgreement, baseKey: ek.publicKey, initiator: true, pending: prefix, ratchet };
    const sent = this.sendOn(entry, plaintext);
    this.st = { ...this.st, peers: this.withNewSession(peer, sent.entry) };
    return sent.message;
  }

  encrypt(peer: string, plaintext: Uint8Array): Uint8Array {
    // @req OBS-025: per-message spans are high-frequency (sampled), with the peer as a routing attribute.
    return tracedSync('agentsec.session.encrypt', { 'agentsec.peer_id': String(peer), 'agentsec.size': plaintext?.length ?? 0, [HIGH_FREQUENCY_ATTRIBUTE]: true }, () => this.encryptUntraced(peer, plaintext));
  }

  private encryptUntraced(peer: string, plaintext: Uint8Array): Uint8Array {
    const ps = this.peer(peer);
    if (!ps) throw new AgentsecError('state_failure', 'NO_SESSION', `no session with peer "${peer}"`);
    const sent = this.sendOn(ps.current, plaintext);
    this.st = { ...this.st, peers: this.st.peers.map((x) => (x === ps ? { ...x, current: sent.entry } : x)) };
    return sent.message;
  }

  decrypt(peer: string, message: Uint8Array): Uint8Array {
    if (!(message instanceof Uint8Array)) throw new AgentsecError('decode_failure', 'NOT_BYTES', '"message" expected Uint8Array');
    if (isInitial(message)) return tracedSync('agentsec.session.accept', { 'agentsec.peer_id': String(peer), 'agentsec.size': message.length }, () => this.decryptInitial(peer, message));
    return tracedSync('agentsec.session.decrypt', { 'agentsec.peer_id': String(peer), 'agentsec.size': message.length, [HIGH_FREQUENCY_ATTRIBUTE]: true }, () => this.decryptRatchet(peer, message));
  }

  // ---- key-store identities: the same operations, with the store's signatures and DH values fetched first ----

  async bundleAsync(): Promise<Uint8Array> {
    const id = this.identity;
    if (!(id instanceof PreparedIdentity)) return this.bundle();
    await id.prepare([], bundleSignedMessages(nextUnsignedBundle(this.p, this.st.prekeys, id).unsigned));
    try {
      return this.bundle();
    } finally {
      id.clear();
    }
  }

  async initiateAsync(peer: string, bundleBytes: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const id = this.identity;
    if (!(id instanceof PreparedIdentity)) return this.initiate(peer, bundleBytes, plaintext);
    // DH1 = DH(IK_A, SPK_B) is the only identity operation of the initiator.
    await id.prepare([decodeBundle(this.p, bundleBytes).signedPrekey.publicKey], []);
    try {
      return this.initiate(peer, bundleBytes, plaintext);
    } finally {
      id.clear();
    }
  }

  async decryptAsync(peer: string, message: Uint8Array): Promise<Uint8Array> {
    const id = this.identity;
    if (!(id instanceof PreparedIdentity) || !isInitial(message)) return this.decrypt(peer, message);
    // DH2 = DH(IK_B, EK_A) is the only identity operation of the responder.
    await id.prepare([decodeInitial(message).baseKey], []);
    try {
      return this.decrypt(peer, message);
    } finally {
      id.clear();
    }
  }

  /** The observable counters of the current session with `peer` (no key material): what a state-projected trace replay compares with the model. */
  counters(peer: string): { ns: number; nr: number; pn: number; epoch: number; skipped: number } {
    const ps = this.peer(peer);
    if (!ps) throw new AgentsecError('state_failure', 'NO_SESSION', `no session with peer "${peer}"`);
    const r = ps.current.ratchet;
    return { ns: r.ns, nr: r.nr, pn: r.pn, epoch: r.sendEpoch, skipped: r.skip.skipped.length };
  }

  // ---- internals ----

  private peer(address: string): PeerSessions | undefined {
    return this.st.peers.find((x) => x.address === address);
  }

  private withNewSession(address: string, entry: SessionEntry): readonly PeerSessions[] {
    const ps = this.peer(address);
    if (!ps) return this.st.peers.concat([{ address, current: entry, previous: [] }]);
    // @req SESS-005: the newer session replaces the older, which stays reachable for late messages.
    const previous = [ps.current, ...ps.previous].slice(0, MAX_PREVIOUS_SESSIONS);
    return this.st.peers.map((x) => (x === ps ? { address, current: entry, previous } : x));
  }

  private replaceEntry(address: string, old: SessionEntry, next: SessionEntry): readonly PeerSessions[] {
    return this.st.peers.map((x) =>
      x.address !== address ? x : { ...x, current: x.current === old ? next : x.current, previous: x.previous.map((e) => (e === old ? next : e)) },
    );
  }

  /** Encrypts on a session under the rollback watermark; the watermark is advanced before the message is returned. */
  private sendOn(entry: SessionEntry, plaintext: Uint8Array): { entry: SessionEntry; message: Uint8Array } {
    const key = toHex(entry.id);
    let r = entry.ratchet;
    const wm = this.watermarks.get(key);
    if (wm) {
      // @req SESS-011
      if (r.sendEpoch < wm.epoch || (r.sendEpoch === wm.epoch && wm.chain !== toHex(r.dhsPublic))) {
        throw new AgentsecError('state_failure', 'ROLLBACK_DETECTED', 'this session state is older than one that already sent: it must not send again (start a new session)');
      }
      // @req SESS-012: same chain, older counter: skip past every number already used.
      if (r.sendEpoch === wm.epoch && r.ns < wm.next) r = skipSending(this.p, r, wm.next - r.ns);
    }
    // @req X3DH-015: a message carried in an initial message authenticates the whole prefix.
    const prefix = entry.pending ? encodeInitialPrefix(entry.pending) : undefined;
    const out = ratchetEncrypt(this.p, r, plaintext, prefix);
    // @req SESS-010
    this.watermarks.advance(key, { epoch: out.state.sendEpoch, chain: toHex(out.state.dhsPublic), next: out.state.ns });
    const message = entry.pending ? encodeInitial({ ...entry.pending, ratchetMessage: out.message }) : out.message;
    return { entry: { ...entry, ratchet: out.state }, message };
  }

  private decryptInitial(peer: string, message: Uint8Array): Uint8Array {
    const p = this.p;
    const im = decodeInitial(message);
    // Strict parsing makes the encoding canonical: re-encoding gives the received prefix bytes.
    const prefix = encodeInitialPrefix(im);
    const ps = this.peer(peer);
    if (ps && !(equalBytes(ps.current.peerSigning, im.identitySigning) && equalBytes(ps.current.peerAgreement, im.identityAgreement))) {
      throw new AgentsecError('policy_reject', 'IDENTITY_CHANGED', `the initial message's identity keys differ from the ones pinned for peer "${peer}"`);
    }
    // A repeated prefix (R-DR-18) or a replay: the session it created already exists.
    const existing = ps ? [ps.current, ...ps.previous].find((e) => !e.initiator && equalBytes(e.baseKey, im.baseKey)) : undefined;
    if (existing) {
      const res = ratchetDecrypt(p, existing.ratchet, im.ratchetMessage, prefix, this.limits);
      if (!res.ok) throw res.error;
      this.st = { ...this.st, peers: this.replaceEntry(peer, existing, { ...existing, ratchet: closedPastWatermark(this.watermarks, existing, res.state) }) };
      return res.plaintext;
    }

    if (im.kind !== this.st.kind) {
      // @req PQXDH-004
      if (this.st.kind === 'pqxdh') throw new AgentsecError('policy_reject', 'DOWNGRADE', 'a PQXDH agent refuses an X3DH initial message');
      throw new AgentsecError('unsupported', 'PQXDH_NOT_OFFERED', 'this agent publishes no PQ prekeys');
    }
    const keys = lookupPrekeys(
      this.st.prekeys,
      { signedPrekeyId: im.signedPrekeyId, ...(im.oneTimePrekeyId !== undefined ? { oneTimePrekeyId: im.oneTimePrekeyId } : {}), ...(im.pq ? { pqId: im.pq.id } : {}) },
      this.clock(),
    );
    // @req X3DH-009
    const replayDigest = keys.opk ? undefined : replayTag(im.signedPrekeyId, toHex(p.hash('SHA-256', concatBytes(BASE_KEY_LABEL, im.baseKey, u32be(im.signedPrekeyId), u32be(im.pq?.id ?? 0))).subarray(0, 16)));
    if (replayDigest !== undefined && seenBaseKey(this.st.prekeys, replayDigest)) throw new AgentsecError('duplicate', 'REPLAYED_INITIAL_MESSAGE', 'this initial message was already accepted');
    // @req X3DH-021: a full digest list is never trimmed (a trimmed digest would admit its replay): refuse until rotation.
    if (replayDigest !== undefined && replayDigestCount(this.st.prekeys, im.signedPrekeyId) >= this.maxReplayDigests) {
      throw new AgentsecError('policy_reject', 'REPLAY_DIGESTS_FULL', `signed prekey ${im.signedPrekeyId} has accepted ${this.maxReplayDigests} initial messages without a one-time prekey: rotate it (new bundles), then retry with a fresh bundle`);
    }
    const km = responderDhs(p, { identityDh: (pub) => this.identity.dh(pub), spkPrivate: keys.spk.privateKey, opkPrivate: keys.opk?.privateKey }, im.identityAgreement, im.baseKey);
    // @req PQXDH-005
    if (im.pq && keys.pq) km.push(pqDecapsulate(p, keys.pq.seed, im.pq.ciphertext));
    const sk = handshakeKdf(p, im.kind, km);
    wipe(...km);
    const ad = associatedData({ signing: im.identitySigning, agreement: im.identityAgreement }, { signing: this.identity.signingPublic, agreement: this.identity.agreementPublic });
    const ratchet = initBob(sk, ad, { publicKey: p.x25519.publicKey(keys.spk.privateKey), privateKey: keys.spk.privateKey }, im.aead);
    const res = ratchetDecrypt(p, ratchet, im.ratchetMessage, prefix, this.limits);
    // @req X3DH-010: a failed initial message creates no session and consumes no prekey.
    if (!res.ok) throw res.error;
    const entry: SessionEntry = { id: p.randomBytes(16), peerSigning: im.identitySigning, peerAgreement: im.identityAgreement, baseKey: im.baseKey, initiator: false, pending: undefined, ratchet: res.state };
    const prekeys = consumePrekeys(this.st.prekeys, {
      ...(im.oneTimePrekeyId !== undefined ? { oneTimePrekeyId: im.oneTimePrekeyId } : {}),
      ...(im.pq ? { pqId: im.pq.id } : {}),
      pqLastResort: keys.pq?.lastResort ?? false,
      ...(replayDigest !== undefined ? { replayDigest } : {}),
    });
    this.st = { ...this.st, prekeys, peers: this.withNewSession(peer, entry) };
    return res.plaintext;
  }

  private decryptRatchet(peer: string, message: Uint8Array): Uint8Array {
    const ps = this.peer(peer);
    if (!ps) throw new AgentsecError('state_failure', 'NO_SESSION', `no session with peer "${peer}"`);
    let chosen: { entry: SessionEntry; error: AgentsecError } | undefined;
    // @req SESS-006: sessions that know the message's chain first (no needless DH and key derivation
    // in the others), then the current session before older ones; a failed trial changes none of them.
    const all = [ps.current, ...ps.previous];
    const ordered = [...all.filter((e) => knowsChain(e.ratchet, message)), ...all.filter((e) => !knowsChain(e.ratchet, message))];
    for (const entry of ordered) {
      // @req SESS-015
      const res = ratchetDecrypt(this.p, entry.ratchet, message, undefined, this.limits);
      if (res.ok) {
        this.st = { ...this.st, peers: this.replaceEntry(peer, entry, { ...entry, pending: undefined, ratchet: closedPastWatermark(this.watermarks, entry, res.state) }) };
        return res.plaintext;
      }
      // The verdict of a session that knows the message's chain is the meaningful one.
      if (!chosen || (knowsChain(entry.ratchet, message) && !knowsChain(chosen.entry.ratchet, message))) chosen = { entry, error: res.error };
    }
    throw chosen!.error;
  }

  toJSON(): string {
    return `SessionAgent(${this.st.kind}, ${this.st.peers.length} peers)`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
