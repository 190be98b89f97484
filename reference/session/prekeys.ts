/**
 * The responder's private prekey material and its life cycle, as a plain record with pure
 * updates: generation, handing out one one-time prekey per bundle (R-X3DH-5, R-PQXDH-6), and
 * consumption only after an initial message has decrypted (R-X3DH-11/12, R-PQXDH-12).
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { signBundle, type Bundle, type UnsignedBundle } from './bundle.js';
import type { SessionIdentity } from './identity.js';
import { MAX_REMEMBERED_BASE_KEYS } from './limits.js';
import { pqPublicKey } from './pqxdh.js';
import type { HandshakeKind } from './x3dh.js';

export interface EcPrekey {
  readonly id: number;
  readonly privateKey: Uint8Array;
}

export interface PqPrekey {
  readonly id: number;
  /** 64-byte ML-KEM key generation seed: 64 bytes stored instead of a 3168-byte secret key. */
  readonly seed: Uint8Array;
}

export interface PrekeyState {
  /** Ids are sequential from a random offset (R-PQXDH-14): [firstId, nextId) were all issued. */
  readonly firstId: number;
  readonly nextId: number;
  readonly signedPrekey: EcPrekey;
  /** Unused one-time prekeys, ascending id. */
  readonly oneTime: readonly EcPrekey[];
  /** Lowest one-time id not yet handed out in a bundle. */
  readonly oneTimeCursor: number;
  readonly pqLastResort: PqPrekey | undefined;
  readonly pqOneTime: readonly PqPrekey[];
  readonly pqCursor: number;
  /** Digests of initial messages accepted without one-time material (replay refusal, R-PQXDH-13). */
  readonly usedBaseKeys: readonly string[];
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
    oneTime,
    oneTimeCursor: oneTime[0]?.id ?? next,
    pqLastResort,
    pqOneTime,
    pqCursor: pqOneTime[0]?.id ?? next,
    usedBaseKeys: [],
  };
}

/** Builds the next bundle: one one-time prekey not handed out before while any remain (R-X3DH-5). */
export function nextBundle(p: CryptoProvider, s: PrekeyState, identity: SessionIdentity): { state: PrekeyState; bundle: Bundle } {
  const { state, unsigned } = nextUnsignedBundle(p, s, identity);
  return { state, bundle: signBundle(unsigned, (m) => identity.sign(m)) };
}

/** The next bundle before signing (what a key-store identity must sign: bundleSignedMessages). */
export function nextUnsignedBundle(p: CryptoProvider, s: PrekeyState, identity: { signingPublic: Uint8Array; agreementPublic: Uint8Array }): { state: PrekeyState; unsigned: UnsignedBundle } {
  const opk = s.oneTime.find((k) => k.id >= s.oneTimeCursor);
  const pq = s.pqOneTime.find((k) => k.id >= s.pqCursor);
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

/** Looks up the prekeys an initial message names, without consuming anything. */
export function lookupPrekeys(
  s: PrekeyState,
  ids: { signedPrekeyId: number; oneTimePrekeyId?: number; pqId?: number },
): { spk: EcPrekey; opk?: EcPrekey; pq?: PqPrekey & { lastResort: boolean } } {
  if (ids.signedPrekeyId !== s.signedPrekey.id) throw unknown('signed prekey');
  let opk: EcPrekey | undefined;
  if (ids.oneTimePrekeyId !== undefined) {
    opk = s.oneTime.find((k) => k.id === ids.oneTimePrekeyId);
    if (!opk) throw wasIssued(s, ids.oneTimePrekeyId) ? used('one-time prekey') : unknown('one-time prekey');
  }
  let pq: (PqPrekey & { lastResort: boolean }) | undefined;
  if (ids.pqId !== undefined) {
    if (s.pqLastResort && ids.pqId === s.pqLastResort.id) pq = { ...s.pqLastResort, lastResort: true };
    else {
      const k = s.pqOneTime.find((x) => x.id === ids.pqId);
      if (!k) throw wasIssued(s, ids.pqId) ? used('PQ one-time prekey') : unknown('PQ prekey');
      pq = { ...k, lastResort: false };
    }
  }
  return { spk: s.signedPrekey, ...(opk ? { opk } : {}), ...(pq ? { pq } : {}) };
}

/** Whether an initial message without one-time material was accepted before (its digest is remembered). */
export function seenBaseKey(s: PrekeyState, digest: string): boolean {
  return s.usedBaseKeys.includes(digest);
}

/** Consumes what a successful initial message used: one-time keys are deleted, the replay digest remembered. */
export function consumePrekeys(s: PrekeyState, used: { oneTimePrekeyId?: number; pqId?: number; pqLastResort: boolean; replayDigest?: string }): PrekeyState {
  // @req X3DH-008
  let usedBaseKeys = s.usedBaseKeys;
  if (used.replayDigest !== undefined) {
    usedBaseKeys = usedBaseKeys.concat([used.replayDigest]);
    if (usedBaseKeys.length > MAX_REMEMBERED_BASE_KEYS) usedBaseKeys = usedBaseKeys.slice(usedBaseKeys.length - MAX_REMEMBERED_BASE_KEYS);
  }
  return {
    ...s,
    oneTime: used.oneTimePrekeyId === undefined ? s.oneTime : s.oneTime.filter((k) => k.id !== used.oneTimePrekeyId),
    pqOneTime: used.pqId === undefined || used.pqLastResort ? s.pqOneTime : s.pqOneTime.filter((k) => k.id !== used.pqId),
    usedBaseKeys,
  };
}
