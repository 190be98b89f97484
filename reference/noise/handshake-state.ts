/**
 * HandshakeState (rev 34 section 5.3, psk section 9, hfs tokens e1/ekem1) as a plain record and
 * one interpreter over the pattern's tokens. writeMessage/readMessage are pure: they return the
 * next record and never modify their input.
 */
import { concatBytes, utf8 } from '../bytes.js';
import type { KemKeyPair, KeyPair } from '../crypto/provider.js';
import { KEM_LENGTHS } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import type { CipherState } from './cipher-state.js';
import { hasKey } from './cipher-state.js';
import { DHLEN, TAGLEN, type NoiseFunctions } from './functions.js';
import type { Token } from './patterns.js';
import {
  decryptAndHash,
  encryptAndHash,
  initializeSymmetric,
  mixHash,
  mixKey,
  mixKeyAndHash,
  split,
  type SymmetricState,
} from './symmetric-state.js';

export const MAX_MESSAGE_LEN = 65535;

export interface HandshakeState {
  readonly initiator: boolean;
  readonly symmetric: SymmetricState;
  readonly s: KeyPair | null;
  readonly e: KeyPair | null;
  readonly rs: Uint8Array | null;
  readonly re: Uint8Array | null;
  /** hfs: the local KEM key pair (sender of e1) and the remote KEM public key (receiver of e1). */
  readonly e1: KemKeyPair | null;
  readonly re1: Uint8Array | null;
  readonly psks: readonly Uint8Array[];
  readonly pskIndex: number;
  /** Index of the next message pattern to process. */
  readonly messageIndex: number;
  readonly seams: TestSeams;
}

/** TEST SEAMS: fixed ephemeral randomness, only for reproducing vectors. */
export interface TestSeams {
  /** A fixed ephemeral private key used by the `e` token. */
  readonly ephemeral?: Uint8Array;
  /** A fixed 64-byte ML-KEM-768 keygen seed (d || z) used by the `e1` token. */
  readonly kemSeed?: Uint8Array;
  /** A fixed 32-byte ML-KEM-768 encapsulation message m used by the `ekem1` token. */
  readonly kemEncapsulation?: Uint8Array;
}

export interface InitializeParams {
  readonly initiator: boolean;
  readonly prologue: Uint8Array;
  readonly s?: KeyPair;
  readonly rs?: Uint8Array;
  /** Fallback (10.2): this party's ephemeral when it is a pre-message of the pattern (Alice's, reused). */
  readonly e?: KeyPair;
  /** Fallback (10.2): the peer's ephemeral public key when it is a pre-message (Bob holds Alice's). */
  readonly re?: Uint8Array;
  readonly psks?: readonly Uint8Array[];
  readonly seams?: TestSeams;
}

export interface StepResult {
  readonly state: HandshakeState;
  /** Present when this was the last handshake message: (c1, c2) from Split(). */
  readonly split?: readonly [CipherState, CipherState];
}

/**
 * Whether the party with this role needs its own static key pair / the peer's static public key,
 * and (fallback pre-messages) its own ephemeral key pair / the peer's ephemeral public key.
 */
export function keyNeeds(f: NoiseFunctions, initiator: boolean): { s: boolean; rs: boolean; e: boolean; re: boolean } {
  const p = f.protocol.pattern;
  const ownPre = initiator ? p.initiatorPre : p.responderPre;
  const peerPre = initiator ? p.responderPre : p.initiatorPre;
  let s = ownPre.includes('s');
  p.messages.forEach((m, i) => {
    const mine = (i % 2 === 0) === initiator;
    for (const t of m) {
      if (t === 's' && mine) s = true;
      if (t === 'ss') s = true;
      if (t === 'es' && !initiator) s = true;
      if (t === 'se' && initiator) s = true;
    }
  });
  return { s, rs: peerPre.includes('s'), e: ownPre.includes('e'), re: peerPre.includes('e') };
}

export function pskCount(f: NoiseFunctions): number {
  return f.protocol.pattern.messages.reduce((n, m) => n + m.filter((t) => t === 'psk').length, 0);
}

export function initialize(f: NoiseFunctions, params: InitializeParams): HandshakeState {
  const p = f.protocol.pattern;
  const needs = keyNeeds(f, params.initiator);
  if (needs.s !== (params.s !== undefined)) {
    throw new AgentsecError('decode_failure', needs.s ? 'MISSING_KEY' : 'UNEXPECTED_KEY',
      `${f.protocol.name} ${needs.s ? 'needs' : 'takes no'} local static key for the ${params.initiator ? 'initiator' : 'responder'}`);
  }
  if (needs.rs !== (params.rs !== undefined)) {
    throw new AgentsecError('decode_failure', needs.rs ? 'MISSING_KEY' : 'UNEXPECTED_KEY',
      `${f.protocol.name} ${needs.rs ? 'needs' : 'takes no'} remote static public key for the ${params.initiator ? 'initiator' : 'responder'}`);
  }
  // @req NOISE-082: a pre-message ephemeral is given exactly when the pattern lists one.
  if (needs.e !== (params.e !== undefined)) {
    throw new AgentsecError('decode_failure', needs.e ? 'MISSING_KEY' : 'UNEXPECTED_KEY',
      `${f.protocol.name} ${needs.e ? 'needs' : 'takes no'} local pre-message ephemeral for the ${params.initiator ? 'initiator' : 'responder'}`);
  }
  if (needs.re !== (params.re !== undefined)) {
    throw new AgentsecError('decode_failure', needs.re ? 'MISSING_KEY' : 'UNEXPECTED_KEY',
      `${f.protocol.name} ${needs.re ? 'needs' : 'takes no'} remote pre-message ephemeral public key for the ${params.initiator ? 'initiator' : 'responder'}`);
  }
  if (params.re && params.re.length !== DHLEN) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"re" expected ${DHLEN} bytes, got ${params.re.length}`);
  if (params.rs && params.rs.length !== DHLEN) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"rs" expected ${DHLEN} bytes, got ${params.rs.length}`);
  const psks = params.psks ?? [];
  // @req NOISE-027: one 32-byte PSK per psk token.
  if (psks.length !== pskCount(f)) {
    throw new AgentsecError('decode_failure', 'PSK_COUNT', `${f.protocol.name} takes ${pskCount(f)} PSKs, got ${psks.length}`);
  }
  for (const k of psks) if (k.length !== 32) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `a PSK is 32 bytes, got ${k.length}`);

  let ss = initializeSymmetric(f, utf8(f.protocol.name));
  // @req NOISE-008: the prologue is always hashed, also when empty.
  ss = mixHash(f, ss, params.prologue);
  const s = params.s ?? null;
  const rs = params.rs ?? null;
  const e = params.e ?? null;
  const re = params.re ?? null;
  // @req NOISE-009: pre-message keys hashed initiator's first, then the responder's, each in listed order.
  const preKey = (ofInitiator: boolean, t: 'e' | 's'): Uint8Array => {
    const local = ofInitiator === params.initiator;
    const k = t === 's' ? (local ? s?.publicKey : rs) : (local ? e?.publicKey : re);
    if (!k) throw new AgentsecError('internal', 'PRE_MESSAGE', 'pre-message key missing');
    return k;
  };
  for (const [ofInitiator, pre] of [[true, p.initiatorPre], [false, p.responderPre]] as const) {
    for (const t of pre) {
      const k = preKey(ofInitiator, t);
      ss = mixHash(f, ss, k);
      // @req NOISE-083: a pre-message e is MixHash'ed, and in a PSK handshake also MixKey'ed (9.2).
      if (t === 'e' && p.hasPsk) ss = mixKey(f, ss, k);
    }
  }
  return {
    initiator: params.initiator,
    symmetric: ss,
    s,
    e,
    rs,
    re,
    e1: null,
    re1: null,
    psks,
    pskIndex: 0,
    messageIndex: 0,
    seams: params.seams ?? {},
  };
}

export const isComplete = (f: NoiseFunctions, hs: HandshakeState): boolean => hs.messageIndex >= f.protocol.pattern.messages.length;

/** True when it is this party's turn to write the next handshake message. */
export const isMyTurn = (hs: HandshakeState): boolean => (hs.messageIndex % 2 === 0) === hs.initiator;

function checkTurn(f: NoiseFunctions, hs: HandshakeState, writing: boolean): readonly Token[] {
  // @req NOISE-022
  if (isComplete(f, hs)) throw new AgentsecError('state_failure', 'HANDSHAKE_COMPLETE', 'the handshake is already complete');
  if (isMyTurn(hs) !== writing) {
    throw new AgentsecError('state_failure', 'NOT_YOUR_TURN', writing ? 'it is the peer\'s turn to write' : 'it is our turn to write, not to read');
  }
  return f.protocol.pattern.messages[hs.messageIndex]!;
}

/** DH of the 5.3 table, role-dependent for es and se. */
function dhFor(f: NoiseFunctions, hs: HandshakeState, t: 'ee' | 'es' | 'se' | 'ss'): Uint8Array {
  const need = <T>(x: T | null, what: string): T => {
    if (x === null) throw new AgentsecError('internal', 'KEY_INVARIANT', `${t} needs ${what}`);
    return x;
  };
  // @req NOISE-021
  const [local, remote] =
    t === 'ee' ? [hs.e, hs.re] :
    t === 'ss' ? [hs.s, hs.rs] :
    (t === 'es') === hs.initiator ? [hs.e, hs.rs] : [hs.s, hs.re];
  return f.dh(need(local, 'a local key pair').privateKey, need(remote, 'a remote public key'));
}

export function writeMessage(f: NoiseFunctions, hs0: HandshakeState, payload: Uint8Array): StepResult & { message: Uint8Array } {
  const tokens = checkTurn(f, hs0, true);
  let hs = hs0;
  let ss = hs.symmetric;
  const parts: Uint8Array[] = [];
  const emit = (data: Uint8Array): void => {
    const [next, ct] = encryptAndHash(f, ss, data);
    ss = next;
    parts.push(ct);
  };
  for (const t of tokens) {
    switch (t) {
      case 'e': {
        if (hs.e !== null) throw new AgentsecError('internal', 'EPHEMERAL_SET', 'e is already set');
        // @req NOISE-031: a fixed ephemeral only through the test seam.
        const fixed = hs.seams.ephemeral;
        const e = fixed ? { privateKey: fixed, publicKey: f.publicKey(fixed) } : f.generateKeypair();
        hs = { ...hs, e };
        parts.push(e.publicKey);
        ss = mixHash(f, ss, e.publicKey);
        // @req NOISE-028: in PSK handshakes every e is followed by MixKey(e.public_key).
        if (f.protocol.pattern.hasPsk) ss = mixKey(f, ss, e.publicKey);
        break;
      }
      case 's':
        emit(hs.s!.publicKey);
        break;
      case 'ee':
      case 'es':
      case 'se':
      case 'ss':
        ss = mixKey(f, ss, dhFor(f, hs, t));
        break;
      case 'psk':
        ss = mixKeyAndHash(f, ss, hs.psks[hs.pskIndex]!);
        hs = { ...hs, pskIndex: hs.pskIndex + 1 };
        break;
      case 'e1': {
        // @req NOISE-041: e1 sends a fresh KEM public key like a static key (encrypted once k is set).
        const e1 = f.kem!.keygen(hs.seams.kemSeed);
        hs = { ...hs, e1 };
        emit(e1.publicKey);
        break;
      }
      case 'ekem1': {
        // @req NOISE-042: ekem1 sends the KEM ciphertext like a static key, then MixKey(kem_output).
        if (hs.re1 === null) throw new AgentsecError('internal', 'KEY_INVARIANT', 'ekem1 needs the peer\'s e1');
        const { ciphertext, sharedSecret } = f.kem!.encapsulate(hs.re1, hs.seams.kemEncapsulation);
        emit(ciphertext);
        ss = mixKey(f, ss, sharedSecret);
        break;
      }
    }
  }
  emit(payload);
  const message = concatBytes(...parts);
  // @req NOISE-010: a writer never produces a message over 65535 bytes.
  if (message.length > MAX_MESSAGE_LEN) {
    throw new AgentsecError('policy_reject', 'MESSAGE_TOO_LARGE', `handshake message would be ${message.length} bytes (max ${MAX_MESSAGE_LEN})`);
  }
  return finish(f, { ...hs, symmetric: ss, messageIndex: hs.messageIndex + 1 }, { message });
}

function finish<T extends object>(f: NoiseFunctions, hs: HandshakeState, extra: T): StepResult & T {
  if (!isComplete(f, hs)) return { state: hs, ...extra };
  return { state: hs, split: split(f, hs.symmetric), ...extra };
}

export function readMessage(f: NoiseFunctions, hs0: HandshakeState, message: Uint8Array): StepResult & { payload: Uint8Array } {
  // @req NOISE-011: a reader refuses more than 65535 bytes before any processing.
  if (message.length > MAX_MESSAGE_LEN) {
    throw new AgentsecError('decode_failure', 'RECEIVED_TOO_LARGE', `message of ${message.length} bytes (max ${MAX_MESSAGE_LEN})`);
  }
  const tokens = checkTurn(f, hs0, false);
  let hs = hs0;
  let ss = hs.symmetric;
  let off = 0;
  const take = (n: number): Uint8Array => {
    if (off + n > message.length) throw new AgentsecError('decode_failure', 'SHORT_MESSAGE', 'handshake message too short');
    const out = message.subarray(off, off + n);
    off += n;
    return out;
  };
  const receive = (len: number): Uint8Array => {
    const [next, pt] = decryptAndHash(f, ss, take(len + (hasKey(ss.cs) ? TAGLEN : 0)));
    ss = next;
    return pt;
  };
  for (const t of tokens) {
    switch (t) {
      case 'e': {
        if (hs.re !== null) throw new AgentsecError('internal', 'EPHEMERAL_SET', 're is already set');
        const re = take(DHLEN).slice();
        hs = { ...hs, re };
        ss = mixHash(f, ss, re);
        // @req NOISE-028
        if (f.protocol.pattern.hasPsk) ss = mixKey(f, ss, re);
        break;
      }
      case 's': {
        // @req NOISE-021: DHLEN + 16 bytes when a key is set, DHLEN otherwise.
        const rs = receive(DHLEN).slice();
        hs = { ...hs, rs };
        break;
      }
      case 'ee':
      case 'es':
      case 'se':
      case 'ss':
        ss = mixKey(f, ss, dhFor(f, hs, t));
        break;
      case 'psk':
        ss = mixKeyAndHash(f, ss, hs.psks[hs.pskIndex]!);
        hs = { ...hs, pskIndex: hs.pskIndex + 1 };
        break;
      case 'e1': {
        // @req NOISE-041
        const re1 = receive(KEM_LENGTHS['ML-KEM-768'].publicKey).slice();
        hs = { ...hs, re1 };
        break;
      }
      case 'ekem1': {
        // @req NOISE-042
        const ct = receive(KEM_LENGTHS['ML-KEM-768'].ciphertext);
        if (hs.e1 === null) throw new AgentsecError('internal', 'KEY_INVARIANT', 'ekem1 needs our e1');
        ss = mixKey(f, ss, f.kem!.decapsulate(ct, hs.e1.secretKey));
        break;
      }
    }
  }
  const [last, payload] = decryptAndHash(f, ss, message.subarray(off));
  return finish(f, { ...hs, symmetric: last, messageIndex: hs.messageIndex + 1 }, { payload: payload.slice() });
}
