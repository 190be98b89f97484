/**
 * The Double Ratchet session (doubleratchet.txt §3) as pure transitions over a plain state record:
 * `ratchetEncrypt(state) -> {state', message}`, `ratchetDecrypt(state, message) -> {state', plaintext}`
 * or a failure. The input state is never mutated, so a failed decrypt leaves it byte-identical (R-DR-12).
 */
import { toHex } from '../../bytes.js';
import type { AeadName, CryptoProvider } from '../../crypto/provider.js';
import { AgentsecError } from '../../errors.js';
import { DEFAULT_RATCHET_LIMITS, MAX_CHAIN_MESSAGES, type RatchetLimits } from '../limits.js';
import { kdfChain, messageKeys } from './chain.js';
import { decodeMessage, encodeHeader, messageAd } from './header.js';
import { kdfRoot } from './root-chain.js';
import { addSkipped, findSkipped, removeSkipped, retireChain, type SkippedKey, type SkipStore } from './skipped-keys.js';

export interface RatchetState {
  readonly aead: AeadName;
  /** Associated data fixed at session start: both identity keys of both parties. */
  readonly ad: Uint8Array;
  readonly dhsPublic: Uint8Array;
  readonly dhsPrivate: Uint8Array;
  readonly dhr: Uint8Array | undefined;
  readonly rk: Uint8Array;
  readonly cks: Uint8Array | undefined;
  readonly ckr: Uint8Array | undefined;
  readonly ns: number;
  readonly nr: number;
  readonly pn: number;
  /** Sending chains created so far (monotonic): with ns, the position the rollback watermark tracks. */
  readonly sendEpoch: number;
  readonly skip: SkipStore;
}

export type DecryptResult =
  | { ok: true; state: RatchetState; plaintext: Uint8Array }
  | { ok: false; error: AgentsecError };

const EMPTY_SKIP: SkipStore = { skipped: [], oldChains: [], recvEvictedBelow: 0, recvChain: undefined };

/** RatchetInitAlice (§3.3): the initiator starts with a sending chain towards the responder's signed prekey. */
export function initAlice(p: CryptoProvider, sk: Uint8Array, ad: Uint8Array, bobRatchetKey: Uint8Array, aead: AeadName): RatchetState {
  const dhs = p.x25519.generateKeyPair();
  const { rk, ck } = kdfRoot(p, sk, p.x25519.dh(dhs.privateKey, bobRatchetKey));
  return { aead, ad, dhsPublic: dhs.publicKey, dhsPrivate: dhs.privateKey, dhr: bobRatchetKey, rk, cks: ck, ckr: undefined, ns: 0, nr: 0, pn: 0, sendEpoch: 1, skip: EMPTY_SKIP };
}

/** RatchetInitBob (§3.3): the responder's first ratchet key pair is its signed prekey. */
export function initBob(sk: Uint8Array, ad: Uint8Array, spk: { publicKey: Uint8Array; privateKey: Uint8Array }, aead: AeadName): RatchetState {
  return { aead, ad, dhsPublic: spk.publicKey.slice(), dhsPrivate: spk.privateKey.slice(), dhr: undefined, rk: sk, cks: undefined, ckr: undefined, ns: 0, nr: 0, pn: 0, sendEpoch: 0, skip: EMPTY_SKIP };
}

export function ratchetEncrypt(p: CryptoProvider, s: RatchetState, plaintext: Uint8Array, prefix?: Uint8Array): { state: RatchetState; message: Uint8Array } {
  if (!s.cks) throw new AgentsecError('state_failure', 'NO_SENDING_CHAIN', 'this session cannot send before it has received the initiator\'s first message');
  if (s.ns >= MAX_CHAIN_MESSAGES) throw new AgentsecError('state_failure', 'CHAIN_EXHAUSTED', 'the sending chain has carried 2^32-1 messages; a new session is needed');
  // @req DR-005
  const { ck, mk } = kdfChain(p, s.cks);
  const headerBytes = encodeHeader({ dh: s.dhsPublic, pn: s.pn, n: s.ns });
  const { key, nonce } = messageKeys(p, mk, s.aead);
  const ct = p.aead(s.aead).seal(key, nonce, plaintext, messageAd(s.ad, headerBytes, prefix));
  const message = new Uint8Array(headerBytes.length + ct.length);
  message.set(headerBytes);
  message.set(ct, headerBytes.length);
  return { state: { ...s, cks: ck, ns: s.ns + 1 }, message };
}

/** Advances the sending chain by `count` unused message keys (the rollback guard's fast-forward). */
export function skipSending(p: CryptoProvider, s: RatchetState, count: number): RatchetState {
  if (!s.cks || count <= 0) return s;
  if (s.ns + count > MAX_CHAIN_MESSAGES) throw new AgentsecError('state_failure', 'CHAIN_EXHAUSTED', 'the sending chain is exhausted');
  let ck = s.cks;
  for (let i = 0; i < count; i++) ck = kdfChain(p, ck).ck;
  return { ...s, cks: ck, ns: s.ns + count };
}

function open(p: CryptoProvider, s: RatchetState, mk: Uint8Array, headerBytes: Uint8Array, ct: Uint8Array, prefix: Uint8Array | undefined): Uint8Array {
  const { key, nonce } = messageKeys(p, mk, s.aead);
  return p.aead(s.aead).open(key, nonce, ct, messageAd(s.ad, headerBytes, prefix));
}

/** Derives the keys of `chain` from index `from` up to (not including) `until`. */
function skipKeys(p: CryptoProvider, ck: Uint8Array, chain: string, from: number, until: number): { ck: Uint8Array; keys: SkippedKey[] } {
  const keys: SkippedKey[] = [];
  for (let n = from; n < until; n++) {
    const step = kdfChain(p, ck);
    keys.push({ chain, n, mk: step.mk });
    ck = step.ck;
  }
  return { ck, keys };
}

function tooOld(evicted: boolean): AgentsecError {
  // @req DR-010
  return evicted
    ? new AgentsecError('state_failure', 'SKIPPED_KEY_EVICTED', 'message is older than the skipped-key window: its key was evicted')
    : new AgentsecError('duplicate', 'MESSAGE_KEY_USED', 'message was already decrypted');
}

function tooFar(maxSkip: number): AgentsecError {
  // @req DR-007
  return new AgentsecError('policy_reject', 'MAX_SKIP', `message would skip more than MAX_SKIP (${maxSkip}) message keys in one chain`);
}

/** Whether this session has ever seen the message's chain (so its verdict on the message is authoritative). */
export function knowsChain(s: RatchetState, message: Uint8Array): boolean {
  try {
    const { header } = decodeMessage(message);
    const chain = toHex(header.dh);
    return chain === s.skip.recvChain || s.skip.oldChains.some((c) => c.chain === chain);
  } catch {
    return false;
  }
}

// @req DR-006
/**
 * `prefix`: the initial-message prefix the message arrived in, if any (it is part of the AD).
 * `limits`: the receive limits (the profile's unless the agent's SecurityConfig sets others).
 */
export function ratchetDecrypt(p: CryptoProvider, s: RatchetState, message: Uint8Array, prefix?: Uint8Array, limits: RatchetLimits = DEFAULT_RATCHET_LIMITS): DecryptResult {
  const { maxSkip, maxSkippedKeys } = limits;
  try {
    const { header, headerBytes, ciphertext } = decodeMessage(message);
    const chain = toHex(header.dh);

    // 1. A key skipped earlier: use it once, then delete it (R-DR-9 step 1, R-DR-15).
    const idx = findSkipped(s.skip, chain, header.n);
    if (idx >= 0) {
      const plaintext = open(p, s, s.skip.skipped[idx]!.mk, headerBytes, ciphertext, prefix);
      return { ok: true, state: { ...s, skip: removeSkipped(s.skip, idx) }, plaintext };
    }

    // 2. The current receiving chain.
    if (s.ckr && chain === s.skip.recvChain) {
      if (header.n < s.nr) throw tooOld(header.n < s.skip.recvEvictedBelow);
      if (header.n - s.nr > maxSkip) throw tooFar(maxSkip);
      const sk = skipKeys(p, s.ckr, chain, s.nr, header.n);
      const { ck, mk } = kdfChain(p, sk.ck);
      const next: RatchetState = { ...s, ckr: ck, nr: header.n + 1, skip: addSkipped(s.skip, sk.keys, maxSkippedKeys) };
      const plaintext = open(p, s, mk, headerBytes, ciphertext, prefix);
      return { ok: true, state: next, plaintext };
    }

    // 3. An old receiving chain: the message is a duplicate, evicted, or never existed.
    const old = s.skip.oldChains.find((c) => c.chain === chain);
    if (old) {
      if (header.n < old.end) throw tooOld(header.n < old.evictedBelow);
      throw new AgentsecError('auth_failure', 'DECRYPT_FAILED', 'message could not be decrypted');
    }

    // 4. A new ratchet public key: DH ratchet step (R-DR-9 step 2, R-DR-11). Limits are checked before any DH.
    if (s.ckr && header.pn > s.nr && header.pn - s.nr > maxSkip) throw tooFar(maxSkip);
    if (header.n > maxSkip) throw tooFar(maxSkip);
    let skip = s.skip;
    if (s.ckr && s.skip.recvChain !== undefined) {
      const rest = skipKeys(p, s.ckr, s.skip.recvChain, s.nr, header.pn);
      skip = retireChain(addSkipped(skip, rest.keys, maxSkippedKeys), Math.max(header.pn, s.nr));
    }
    const recv = kdfRoot(p, s.rk, p.x25519.dh(s.dhsPrivate, header.dh));
    const dhs = p.x25519.generateKeyPair();
    const send = kdfRoot(p, recv.rk, p.x25519.dh(dhs.privateKey, header.dh));
    skip = { ...skip, recvChain: chain, recvEvictedBelow: 0 };
    const sk = skipKeys(p, recv.ck, chain, 0, header.n);
    const { ck, mk } = kdfChain(p, sk.ck);
    const next: RatchetState = {
      ...s,
      dhr: header.dh,
      dhsPublic: dhs.publicKey,
      dhsPrivate: dhs.privateKey,
      rk: send.rk,
      cks: send.ck,
      ckr: ck,
      pn: s.ns,
      ns: 0,
      nr: header.n + 1,
      sendEpoch: s.sendEpoch + 1,
      skip: addSkipped(skip, sk.keys, maxSkippedKeys),
    };
    const plaintext = open(p, s, mk, headerBytes, ciphertext, prefix);
    return { ok: true, state: next, plaintext };
  } catch (e) {
    // @req DR-008: every failure discards the computed state; the caller keeps `s` untouched.
    const error = e instanceof AgentsecError ? e : new AgentsecError('internal', 'UNEXPECTED', 'ratchet decrypt failed unexpectedly');
    if (error.kind === 'auth_failure') return { ok: false, error: new AgentsecError('auth_failure', 'DECRYPT_FAILED', 'message could not be decrypted') };
    return { ok: false, error };
  }
}
