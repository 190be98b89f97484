/**
 * The transport phase (rev 34 section 5, 11.3, 11.4) as a plain record of the two CipherStates
 * from Split(), seen from one party: `send` encrypts what it writes, `recv` decrypts what it reads.
 */
import { AgentsecError } from '../errors.js';
import { encryptWithAd, rekey, setNonce, transportDecrypt, type CipherState } from './cipher-state.js';
import { TAGLEN, type NoiseFunctions } from './functions.js';
import { MAX_MESSAGE_LEN } from './handshake-state.js';

export const MAX_PLAINTEXT_LEN = MAX_MESSAGE_LEN - TAGLEN;

export type Direction = 'send' | 'recv';

export interface TransportState {
  /** null for the recipient of a one-way pattern, which never sends (7.4). */
  readonly send: CipherState | null;
  readonly recv: CipherState | null;
}

/** c1 carries initiator -> responder and c2 responder -> initiator, whoever wrote last. */
export function fromSplit(initiator: boolean, oneWay: boolean, [c1, c2]: readonly [CipherState, CipherState]): TransportState {
  // @req NOISE-019
  if (oneWay) return initiator ? { send: c1, recv: null } : { send: null, recv: c1 };
  return initiator ? { send: c1, recv: c2 } : { send: c2, recv: c1 };
}

function cipherFor(t: TransportState, d: Direction): CipherState {
  const cs = t[d];
  // @req NOISE-025: in one-way patterns the recipient never sends (and the sender never receives).
  if (cs === null) throw new AgentsecError('state_failure', 'ONE_WAY', `a one-way pattern has no ${d === 'send' ? 'sending' : 'receiving'} direction for this party`);
  return cs;
}

export function encrypt(f: NoiseFunctions, t: TransportState, plaintext: Uint8Array): [TransportState, Uint8Array] {
  const cs = cipherFor(t, 'send');
  // @req NOISE-010: at most 65535 - 16 = 65519 plaintext bytes.
  if (plaintext.length > MAX_PLAINTEXT_LEN) {
    throw new AgentsecError('policy_reject', 'MESSAGE_TOO_LARGE', `transport plaintext of ${plaintext.length} bytes (max ${MAX_PLAINTEXT_LEN})`);
  }
  const [next, ct] = encryptWithAd(f, cs, new Uint8Array(0), plaintext);
  return [{ ...t, send: next }, ct];
}

/**
 * Decrypts one transport message. On failure `state` is the unchanged input (the nonce does not
 * advance, NOISE-014) and `error` says why; the caller keeps `state` either way.
 */
export function decrypt(f: NoiseFunctions, t: TransportState, message: Uint8Array): { state: TransportState; plaintext?: Uint8Array; error?: AgentsecError } {
  const cs = cipherFor(t, 'recv');
  // @req NOISE-011
  if (message.length > MAX_MESSAGE_LEN) {
    return { state: t, error: new AgentsecError('decode_failure', 'RECEIVED_TOO_LARGE', `message of ${message.length} bytes (max ${MAX_MESSAGE_LEN})`) };
  }
  const r = transportDecrypt(f, cs, message);
  const state = r.next === cs ? t : { ...t, recv: r.next };
  return r.error ? { state, error: r.error } : { state, plaintext: r.plaintext! };
}

export function rekeyDirection(f: NoiseFunctions, t: TransportState, d: Direction): TransportState {
  return { ...t, [d]: rekey(f, cipherFor(t, d)) };
}

export function setNonceDirection(t: TransportState, d: Direction, n: bigint): TransportState {
  return { ...t, [d]: setNonce(cipherFor(t, d), n) };
}
