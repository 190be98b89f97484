/**
 * The responder's private prekey material and its life cycle, as a plain record with pure
 * updates: generation, handing out one one-time prekey per bundle (R-X3DH-5, R-PQXDH-6), and
 * consumption only after an initial message has decrypted (R-X3DH-11/12, R-PQXDH-12).
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { signBundle, type Bundle, type UnsignedBundle } from './bundle.js';
import type { SessionIdentity } from './identity.js';
import { MAX_PREVIOUS_SIGNED_PREKEYS, MAX_REMEMBERED_BASE_KEYS, MAX_STORED_ONE_TIME_PREKEYS, SIGNED_PREKEY_GRACE_MS } from './limits.js';
import { pqPublicKey } from './pqxdh.js';
import type { HandshakeKind } from './x3dh.js';

export interface EcPrekey {
  readonly id: number;
  readonly privateKey: Uint8Array;
}

/** A replaced signed prekey, kept for in-flight initial messages until its grace period ends (R-X3DH-4). */
export interface RetiredSignedPrekey extends EcPrekey {
  /** When it was replaced (ms since the epoch, from the agent's clock). */
  readonly retiredAt: number;
}

export interface PqPrekey {
  readonly id: number;
  /** 64-byte ML-KEM key generation seed: 64 bytes stored instead of a 3168-byte secret key. */
  readonly seed: Uint8Array;
}

/** A replaced last-resort PQ prekey, kept like a replaced signed prekey (they are rotated together). */
export interface RetiredPqPrekey extends PqPrekey {
  readonly retiredAt: number;
}

export interface PrekeyState {
  /** Ids are sequential from a random offset (R-PQXDH-14): [firstId, nextId) were all issued. */
  readonly firstId: number;
  readonly nextId: number;
  readonly signedPrekey: EcPrekey;
  /** Replaced signed prekeys still within their grace period, newest first, at most MAX_PREVIOUS_SIGNED_PREKEYS. */
  readonly previousSignedPrekeys: readonly RetiredSignedPrekey[];
  /** Unused one-time prekeys, ascending id. */
  readonly oneTime: readonly EcPrekey[];
  /** Lowest one-time id not yet handed out in a bundle. */
  readonly oneTimeCursor: number;
  readonly pqLastResort: PqPrekey | undefined;
  /** Replaced last-resort PQ prekeys still within their grace period, newest first. */
  readonly previousPqLastResort: readonly RetiredPqPrekey[];
  readonly pqOneTime: readonly PqPrekey[];
  readonly pqCursor: number;
  /**
   * Digests of initial messages accepted without one-time material (replay refusal, R-PQXDH-13), each
   * tagged with its signed prekey: hex u32 signed prekey id || 16-byte digest (replayTag).
   */
  readonly replayDigests: readonly string[];
}

export function generatePrekeys(p: CryptoProvider, kind: HandshakeKind, oneTimeCount: number, pqOneTimeCount: number): PrekeyState {
  // Random start below 2^31 leaves room for 2^31 sequential ids without wrapping.
  const firstId = new DataView(p.randomBytes(4).buffer).getUint32(0, false) & 0x7fffffff;
  let next = firstId;
  const signedPrekey = { id: next++, privateKey: p.x25519.generateKeyPair().privateKey };
  const oneTime: EcPrekey[] = [];
  for (let i = 0; i < oneTimeCount; i++) oneTime.push({ id: next++, privateKey: p.randomBytes(32) });
  let pqLastResort: PqPrekey | undefined;
  const pqOneTime: PqPrekey[] = [];
  if (kind === 'pqxdh') {
    pqLastResort = { id: next++, seed: p.randomBytes(64) };
    for (let i = 0; i < pqOneTimeCount; i++) pqOneTime.push({ id: next++, seed: p.randomBytes(64) });
  }
  return {
    firstId,
    nextId: next,
    signedPrekey,
    previousSignedPrekeys: [],
    oneTime,
    oneTimeCursor: oneTime[0]?.id ?? next,
    pqLastResort,
    previousPqLastResort: [],
    pqOneTime,
    pqCursor: pqOneTime[0]?.id ?? next,
    replayDigests: [],
  };
}

/** Builds the next bundle: one one-time prekey not handed out before while any remain (R-X3DH-5). */
export function nextBundle(p: CryptoProvider, s: PrekeyState, identity: SessionIdentity, reusable = false): { state: PrekeyState; bundle: Bundle } {
  const { state, unsigned } = nextUnsignedBundle(p, s, identity, reusable);
  return { state, bundle: signBundle(unsigned, (m) => identity.sign(m)) };
}

/** The next bundle before signing (what a key-store identity must sign: bundleSignedMessages). */
export function nextUnsignedBundle(
  p: CryptoProvider,
  s: PrekeyState,
  identity: { signingPublic: Uint8Array; agreementPublic: Uint8Array },
  reusable = false,
): { state: PrekeyState; unsigned: UnsignedBundle } {
  // A reusable bundle (the directory's fallback) carries no one-time material and hands out nothing.
  const opk = reusable ? undefined : s.oneTime.find((k) => k.id >= s.oneTimeCursor);
  const pq = reusable ? undefined : s.pqOneTime.find((k) => k.id >= s.pqCursor);
  const unsigned: UnsignedBundle = {
    identitySigning: identity.signingPublic,
    identityAgreement: identity.agreementPublic,
    signedPrekey: { id: s.signedPrekey.id, publicKey: p.x25519.publicKey(s.signedPrekey.privateKey) },
  };
  if (opk) unsigned.oneTimePrekey = { id: opk.id, publicKey: p.x25519.publicKey(opk.privateKey) };
  // @req PQXDH-001
  if (pq) unsigned.pqPrekey = { id: pq.id, kind: 'oneTime', publicKey: pqPublicKey(p, pq.seed) };
  else if (s.pqLastResort) unsigned.pqPrekey = { id: s.pqLastResort.id, kind: 'lastResort', publicKey: pqPublicKey(p, s.pqLastResort.seed) };
  const state = { ...s, oneTimeCursor: opk ? opk.id + 1 : s.oneTimeCursor, pqCursor: pq ? pq.id + 1 : s.pqCursor };
  return { state, unsigned };
}

function wasIssued(s: PrekeyState, id: number): boolean {
  return id >= s.firstId && id < s.nextId;
}

function used(what: string): AgentsecError {
  return new AgentsecError('duplicate', 'PREKEY_ALREADY_USED', `${what} was already used by an earlier initial message`);
}

function unknown(what: string): AgentsecError {
  return new AgentsecError('state_failure', 'UNKNOWN_PREKEY', `${what} is not one of this agent's prekeys`);
}

/** Whether a replaced signed prekey is still within its grace period at `now` (a clock set back keeps it). */
function inGrace(k: { readonly retiredAt: number }, now: number): boolean {
  return now - k.retiredAt < SIGNED_PREKEY_GRACE_MS;
}

/** The signed prekey an initial message names: the current one, or a replaced one within its grace period. */
function signedPrekeyFor(s: PrekeyState, id: number, now: number): EcPrekey {
  if (id === s.signedPrekey.id) return s.signedPrekey;
  const old = s.previousSignedPrekeys.find((k) => k.id === id);
  if (old && inGrace(old, now)) return old;
  // @req X3DH-018
  if (wasIssued(s, id)) {
    throw new AgentsecError('state_failure', 'SIGNED_PREKEY_RETIRED', `signed prekey ${id} was replaced and its grace period is over (or the id names no signed prekey): the initiator must fetch a fresh bundle`);
  }
  throw unknown('signed prekey');
}

/** Looks up the prekeys an initial message names, without consuming anything. */
export function lookupPrekeys(
  s: PrekeyState,
  ids: { signedPrekeyId: number; oneTimePrekeyId?: number; pqId?: number },
  now: number,
): { spk: EcPrekey; opk?: EcPrekey; pq?: PqPrekey & { lastResort: boolean } } {
  const spk = signedPrekeyFor(s, ids.signedPrekeyId, now);
  let opk: EcPrekey | undefined;
  if (ids.oneTimePrekeyId !== undefined) {
    opk = s.oneTime.find((k) => k.id === ids.oneTimePrekeyId);
    if (!opk) throw wasIssued(s, ids.oneTimePrekeyId) ? used('one-time prekey') : unknown('one-time prekey');
  }
  let pq: (PqPrekey & { lastResort: boolean }) | undefined;
  if (ids.pqId !== undefined) {
    const oldLast = s.previousPqLastResort.find((k) => k.id === ids.pqId && inGrace(k, now));
    if (s.pqLastResort && ids.pqId === s.pqLastResort.id) pq = { ...s.pqLastResort, lastResort: true };
    else if (oldLast) pq = { id: oldLast.id, seed: oldLast.seed, lastResort: true };
    else {
      const k = s.pqOneTime.find((x) => x.id === ids.pqId);
      if (!k) throw wasIssued(s, ids.pqId) ? used('PQ one-time prekey') : unknown('PQ prekey');
      pq = { ...k, lastResort: false };
    }
  }
  return { spk, ...(opk ? { opk } : {}), ...(pq ? { pq } : {}) };
}

/** A replay digest tagged with the signed prekey it was accepted under (the form PrekeyState keeps). */
export function replayTag(signedPrekeyId: number, digest: string): string {
  return signedPrekeyId.toString(16).padStart(8, '0') + digest;
}

const tagPrefix = (signedPrekeyId: number): string => signedPrekeyId.toString(16).padStart(8, '0');

/** Whether an initial message without one-time material was accepted before (its tagged digest is remembered). */
export function seenBaseKey(s: PrekeyState, tag: string): boolean {
  return s.replayDigests.includes(tag);
}

/** Digests remembered under one signed prekey. */
export function replayDigestCount(s: PrekeyState, signedPrekeyId: number): number {
  const prefix = tagPrefix(signedPrekeyId);
  let n = 0;
  for (const t of s.replayDigests) if (t.startsWith(prefix)) n++;
  return n;
}

/** Drops the digests of signed prekeys no longer held: nothing can be opened under them any more (X3DH-020). */
function dropUnheldDigests(s: PrekeyState): PrekeyState {
  const held = new Set([s.signedPrekey.id, ...s.previousSignedPrekeys.map((k) => k.id)].map(tagPrefix));
  const kept = s.replayDigests.filter((t) => held.has(t.slice(0, 8)));
  return kept.length === s.replayDigests.length ? s : { ...s, replayDigests: kept };
}

/** Consumes what a successful initial message used: one-time keys are deleted, the replay digest remembered. */
export function consumePrekeys(s: PrekeyState, used: { oneTimePrekeyId?: number; pqId?: number; pqLastResort: boolean; replayDigest?: string }): PrekeyState {
  // @req X3DH-008
  // @req X3DH-020: no eviction by count; the caller refused the message when its signed prekey was full (X3DH-021).
  const replayDigests = used.replayDigest === undefined ? s.replayDigests : s.replayDigests.concat([used.replayDigest]);
  return {
    ...s,
    oneTime: used.oneTimePrekeyId === undefined ? s.oneTime : s.oneTime.filter((k) => k.id !== used.oneTimePrekeyId),
    pqOneTime: used.pqId === undefined || used.pqLastResort ? s.pqOneTime : s.pqOneTime.filter((k) => k.id !== used.pqId),
    replayDigests,
  };
}

function checkTime(now: number): void {
  if (!Number.isSafeInteger(now) || now < 0) throw new AgentsecError('policy_reject', 'BAD_TIME', `time must be a non-negative integer of milliseconds, got ${String(now)}`);
}

/** Takes `count` fresh sequential ids; ids are never reused, so running out is an error, not a wrap. */
function takeIds(s: PrekeyState, count: number): number {
  if (s.nextId + count > 0xffffffff) throw new AgentsecError('state_failure', 'PREKEY_IDS_EXHAUSTED', 'this agent has issued all its prekey ids: create a new agent');
  return s.nextId;
}

/**
 * Replaces the signed prekey (R-X3DH-4). The replaced private key is kept for
 * SIGNED_PREKEY_GRACE_MS from `now`; beyond MAX_PREVIOUS_SIGNED_PREKEYS the oldest goes at once.
 */
export function rotateSignedPrekey(p: CryptoProvider, s: PrekeyState, now: number): PrekeyState {
  checkTime(now);
  // @req X3DH-016: a PQXDH agent replaces its last-resort PQ prekey with the signed prekey, under the same grace period.
  const last = s.pqLastResort;
  const id = takeIds(s, last ? 2 : 1);
  const retired: RetiredSignedPrekey = { ...s.signedPrekey, retiredAt: now };
  return dropUnheldDigests({
    ...s,
    nextId: id + (last ? 2 : 1),
    signedPrekey: { id, privateKey: p.x25519.generateKeyPair().privateKey },
    previousSignedPrekeys: [retired, ...s.previousSignedPrekeys].slice(0, MAX_PREVIOUS_SIGNED_PREKEYS),
    ...(last
      ? { pqLastResort: { id: id + 1, seed: p.randomBytes(64) }, previousPqLastResort: [{ ...last, retiredAt: now }, ...s.previousPqLastResort].slice(0, MAX_PREVIOUS_SIGNED_PREKEYS) }
      : {}),
  });
}

/** Deletes the replaced signed prekeys whose grace period is over at `now` (R-X3DH-4). */
export function pruneSignedPrekeys(s: PrekeyState, now: number): PrekeyState {
  checkTime(now);
  // @req X3DH-017
  const keep = s.previousSignedPrekeys.filter((k) => inGrace(k, now));
  const keepPq = s.previousPqLastResort.filter((k) => inGrace(k, now));
  if (keep.length === s.previousSignedPrekeys.length && keepPq.length === s.previousPqLastResort.length) return s;
  return dropUnheldDigests({ ...s, previousSignedPrekeys: keep, previousPqLastResort: keepPq });
}

export interface PrekeyStatus {
  /** One-time prekeys not handed out in a bundle yet. */
  readonly oneTimeAvailable: number;
  /** One-time prekeys whose private key is still held (handed out but not used yet, or not handed out). */
  readonly oneTimeHeld: number;
  readonly pqOneTimeAvailable: number;
  readonly pqOneTimeHeld: number;
  readonly signedPrekeyId: number;
  /** The current last-resort PQ prekey (PQXDH agents). */
  readonly pqLastResortId: number | undefined;
  /** Replaced last-resort PQ prekeys still held. */
  readonly previousPqLastResortIds: readonly number[];
  /** Replaced signed prekeys still held, with the time each was replaced. */
  readonly previousSignedPrekeys: readonly { readonly id: number; readonly retiredAt: number }[];
  /** Replay digests under the current signed prekey; at the agent's bound (MAX_REMEMBERED_BASE_KEYS by default) it must be rotated (X3DH-021). */
  readonly replayDigests: number;
  readonly replayDigestsFull: boolean;
}

export function prekeyStatus(s: PrekeyState, maxReplayDigests: number = MAX_REMEMBERED_BASE_KEYS): PrekeyStatus {
  return {
    oneTimeAvailable: s.oneTime.filter((k) => k.id >= s.oneTimeCursor).length,
    oneTimeHeld: s.oneTime.length,
    pqOneTimeAvailable: s.pqOneTime.filter((k) => k.id >= s.pqCursor).length,
    pqOneTimeHeld: s.pqOneTime.length,
    signedPrekeyId: s.signedPrekey.id,
    pqLastResortId: s.pqLastResort?.id,
    previousPqLastResortIds: s.previousPqLastResort.map((k) => k.id),
    previousSignedPrekeys: s.previousSignedPrekeys.map((k) => ({ id: k.id, retiredAt: k.retiredAt })),
    replayDigests: replayDigestCount(s, s.signedPrekey.id),
    replayDigestsFull: replayDigestCount(s, s.signedPrekey.id) >= maxReplayDigests,
  };
}

/**
 * Adds `count` one-time prekeys (and as many PQ one-time prekeys for PQXDH) with fresh ids above
 * every id issued so far, so an id is never reused (X3DH-019).
 */
export function replenishPrekeys(p: CryptoProvider, s: PrekeyState, kind: HandshakeKind, count: number): PrekeyState {
  if (!Number.isSafeInteger(count) || count < 0 || count > MAX_STORED_ONE_TIME_PREKEYS) throw new AgentsecError('policy_reject', 'BAD_PREKEY_COUNT', `replenish count must be 0..${MAX_STORED_ONE_TIME_PREKEYS}, got ${String(count)}`);
  const pqCount = kind === 'pqxdh' ? count : 0;
  if (s.oneTime.length + count > MAX_STORED_ONE_TIME_PREKEYS || s.pqOneTime.length + pqCount > MAX_STORED_ONE_TIME_PREKEYS) {
    throw new AgentsecError('policy_reject', 'TOO_MANY_PREKEYS', `an agent holds at most ${MAX_STORED_ONE_TIME_PREKEYS} one-time prekeys of each kind; it holds ${s.oneTime.length} and ${s.pqOneTime.length} PQ`);
  }
  // @req X3DH-019
  let next = takeIds(s, count + pqCount);
  const oneTime: EcPrekey[] = [];
  for (let i = 0; i < count; i++) oneTime.push({ id: next++, privateKey: p.randomBytes(32) });
  const pqOneTime: PqPrekey[] = [];
  for (let i = 0; i < pqCount; i++) pqOneTime.push({ id: next++, seed: p.randomBytes(64) });
  return { ...s, nextId: next, oneTime: s.oneTime.concat(oneTime), pqOneTime: s.pqOneTime.concat(pqOneTime) };
}
