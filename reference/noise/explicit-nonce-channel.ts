/**
 * NoiseExplicitNonceChannel: the transport phase of a completed Noise handshake, made to survive
 * restarts and crashes without ever reusing a nonce (spec/noise.md NOISE-06x).
 *
 * Plain Noise transport messages carry no nonce: the receiver counts. A sender that resumes after a
 * crash at a reserved nonce (NonceReservation) would then be out of step with its peer. So each
 * frame carries its nonce explicitly (rev 34 section 11.4): `frame = u64be(n) || ciphertext`; the
 * receiver calls SetNonce(n) and keeps a sliding replay window, which also tolerates reordering and
 * loss (UDP-like transports). The nonce is not secret and is authenticated implicitly: a changed
 * nonce makes the AEAD fail.
 *
 * One party's whole state is one sealed record in a NoiseStateStore, written
 * - before the sending nonce reaches the persisted reservation, and
 * - after each accepted message, before its plaintext is returned (so a replay after a restart is
 *   still refused: delivery at most once, never twice).
 */
import { inspect } from 'node:util';
import { abytes, concatBytes, toHex, u64be, utf8 } from '../bytes.js';
import type { SecurityConfig } from '../config/index.js';
import { getProvider } from '../crypto/index.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import type { WatermarkStore } from '../session/index.js';
import { peekTransport, retireChannel, type NoiseChannel } from './channel.js';
import { MAX_NONCE, TAGLEN, noiseFunctions, type NoiseFunctions } from './functions.js';
import { NonceReservation, NONCE_RESERVE } from './nonce-reservation.js';
import type { NoiseProtocol } from './protocol-name.js';
import { acceptNonce, checkReplay, type ReplayWindow } from './replay-window.js';
import type { NoiseStateStore } from './state-store.js';
import { openTransport, sealTransport, type TransportSnapshot } from './transport-record.js';
import { decrypt, encrypt, MAX_PLAINTEXT_LEN, setNonceDirection, type TransportState } from './transport.js';

/** Bytes of the explicit nonce in front of each ciphertext. */
export const EXPLICIT_NONCE_LEN = 8;
/** Largest plaintext of one frame: the Noise message (ciphertext) is still at most 65535 bytes. */
export const MAX_EXPLICIT_PLAINTEXT_LEN = MAX_PLAINTEXT_LEN;

export interface PersistentNoiseOptions {
  /** Required: counter nonces without persistence are reused after a restart (CONFIG-005). */
  readonly store: NoiseStateStore;
  /** 32-byte key sealing the record (keep it outside the store, e.g. from the KMS envelope). */
  readonly storageKey: Uint8Array;
  readonly provider?: CryptoProvider;
  /** Nonces reserved per write (default NONCE_RESERVE). */
  readonly reserve?: bigint;
  /** When given, must allow persistence: `encryption.ratchetPersistence: 'none'` is refused. */
  readonly config?: SecurityConfig;
  /**
   * Optional rollback guard (NOISE-071): a monotonic watermark of the sending reservation kept
   * outside the record (the session area's WatermarkStore), under `sessionId`. A record restored
   * from an older copy then resumes past the watermark instead of reusing nonces.
   */
  readonly watermarks?: WatermarkStore;
  readonly sessionId?: string;
}

interface Checked {
  readonly store: NoiseStateStore;
  readonly storageKey: Uint8Array;
  readonly provider: CryptoProvider;
  readonly reserve: bigint;
  readonly watermarks: { readonly store: WatermarkStore; readonly id: string } | null;
}

function checkOptions(opts: PersistentNoiseOptions): Checked {
  const o = (opts ?? {}) as Partial<PersistentNoiseOptions>;
  // @req NOISE-066
  if (!o.store || typeof o.store.save !== 'function' || typeof o.store.load !== 'function') {
    throw new AgentsecError('policy_reject', 'PERSISTENCE_REQUIRED', 'a persistent Noise channel needs a store (save/load): counter nonces that do not survive a restart are reused (CONFIG-005)');
  }
  if (o.config && o.config.encryption.ratchetPersistence === 'none') {
    throw new AgentsecError('policy_reject', 'PERSISTENCE_REQUIRED', "encryption.ratchetPersistence is 'none', but a persistent Noise channel counts nonces that must survive restarts (CONFIG-005)");
  }
  const storageKey = abytes(o.storageKey, 'storageKey', 32).slice();
  const reserve = o.reserve ?? NONCE_RESERVE;
  if (o.watermarks !== undefined && (typeof o.sessionId !== 'string' || o.sessionId.length === 0)) {
    throw new AgentsecError('decode_failure', 'BAD_PARAM', '"sessionId" is required with "watermarks"');
  }
  const watermarks = o.watermarks ? { store: o.watermarks, id: o.sessionId! } : null;
  return { store: o.store, storageKey, provider: o.provider ?? getProvider('noble'), reserve, watermarks };
}

export class NoiseExplicitNonceChannel {
  readonly protocol: NoiseProtocol;
  readonly initiator: boolean;
  readonly #f: NoiseFunctions;
  readonly #opts: Checked;
  readonly #h: Uint8Array;
  readonly #rs: Uint8Array | null;
  #transport: TransportState;
  #window: ReplayWindow;
  #reservation: NonceReservation | null;

  private constructor(s: TransportSnapshot, opts: Checked) {
    this.protocol = s.protocol;
    this.initiator = s.initiator;
    this.#f = noiseFunctions(s.protocol, opts.provider);
    this.#opts = opts;
    this.#h = s.h;
    this.#rs = s.rs;
    this.#transport = s.transport;
    this.#window = s.window;
    // The persisted send nonce is the reservation mark: resume there, never below (NOISE-064).
    this.#reservation = s.transport.send ? this.#newReservation(s.transport.send.n) : null;
  }

  #newReservation(limit: bigint): NonceReservation {
    return new NonceReservation(
      limit,
      (next) => {
        this.#persist(this.#transport, this.#window, next);
        this.#advanceWatermark(next);
      },
      this.#opts.reserve,
    );
  }

  /** Identifies this sending direction in a watermark without revealing a key: a hash of h. */
  #chainId(): string {
    return toHex(this.#opts.provider.hash('SHA-256', concatBytes(utf8('agentsec/1 noise send chain'), this.#h)));
  }

  #advanceWatermark(limit: bigint): void {
    const w = this.#opts.watermarks;
    // Number is exact up to 2^53 nonces, far beyond any real sender; past it the guard saturates.
    if (w) w.store.advance(w.id, { epoch: 0, chain: this.#chainId(), next: Number(limit > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : limit) });
  }

  /** NOISE-071: a record older than the watermark resumes past the watermark. */
  #applyWatermark(): void {
    const w = this.#opts.watermarks;
    const send = this.#transport.send;
    if (!w || !send) return;
    const mark = w.store.get(w.id);
    if (!mark) return;
    // @req NOISE-071
    if (mark.chain !== this.#chainId()) throw new AgentsecError('state_failure', 'WATERMARK_SESSION', `the watermark "${w.id}" belongs to another Noise session`);
    const next = BigInt(mark.next);
    if (next > send.n) {
      this.#transport = { ...this.#transport, send: { k: send.k, n: next } };
      this.#reservation = this.#newReservation(next);
    }
  }

  /**
   * Takes over the transport state of a completed handshake. The first record is stored before the
   * channel is retired, so a failing store leaves `channel` usable and nothing changed.
   */
  static fromHandshake(channel: NoiseChannel, opts: PersistentNoiseOptions): NoiseExplicitNonceChannel {
    const checked = checkOptions(opts);
    const snapshot = peekTransport(channel);
    const ch = new NoiseExplicitNonceChannel(snapshot, checked);
    if (checked.watermarks?.store.get(checked.watermarks.id)) {
      throw new AgentsecError('state_failure', 'WATERMARK_SESSION', `the watermark "${checked.watermarks.id}" is already in use; each Noise session needs its own sessionId`);
    }
    ch.#persist(ch.#transport, ch.#window, ch.#reservation?.limit ?? 0n);
    if (ch.#reservation) ch.#advanceWatermark(ch.#reservation.limit);
    retireChannel(channel);
    return ch;
  }

  /** Restores the channel from its store after a restart or crash. */
  static restore(opts: PersistentNoiseOptions): NoiseExplicitNonceChannel {
    const checked = checkOptions(opts);
    const record = checked.store.load();
    if (!record) throw new AgentsecError('state_failure', 'NO_RECORD', 'the store holds no Noise transport record');
    const ch = new NoiseExplicitNonceChannel(openTransport(checked.provider, checked.storageKey, record, 'explicit-nonce'), checked);
    ch.#applyWatermark();
    return ch;
  }

  /** Encrypts one message and returns its frame `u64be(n) || ciphertext`. */
  send(plaintext: Uint8Array): Uint8Array {
    abytes(plaintext, 'plaintext');
    const cs = this.#transport.send;
    if (!cs || !this.#reservation) throw new AgentsecError('state_failure', 'ONE_WAY', 'a one-way pattern has no sending direction for this party');
    if (cs.n >= MAX_NONCE) throw new AgentsecError('state_failure', 'NONCE_EXHAUSTED', 'nonce exhausted: the CipherState must be deleted');
    if (plaintext.length > MAX_PLAINTEXT_LEN) throw new AgentsecError('policy_reject', 'MESSAGE_TOO_LARGE', `transport plaintext of ${plaintext.length} bytes (max ${MAX_PLAINTEXT_LEN})`);
    const n = cs.n;
    this.#reservation.cover(n);
    const [next, ct] = encrypt(this.#f, this.#transport, plaintext);
    this.#transport = next;
    // @req NOISE-067
    return concatBytes(u64be(n), ct);
  }

  /**
   * Decrypts one frame. Refused, with the state unchanged: a nonce already accepted (`duplicate`,
   * REPLAY), one below the window (`state_failure`, REPLAY_TOO_OLD), a forged or damaged frame
   * (`auth_failure`). The new window is stored before the plaintext is returned.
   */
  receive(frame: Uint8Array): Uint8Array {
    abytes(frame, 'frame');
    if (!this.#transport.recv) throw new AgentsecError('state_failure', 'ONE_WAY', 'a one-way pattern has no receiving direction for this party');
    if (frame.length < EXPLICIT_NONCE_LEN + TAGLEN) throw new AgentsecError('decode_failure', 'TRUNCATED', `a frame has at least ${EXPLICIT_NONCE_LEN + TAGLEN} bytes, got ${frame.length}`);
    const n = new DataView(frame.buffer, frame.byteOffset, EXPLICIT_NONCE_LEN).getBigUint64(0, false);
    checkReplay(this.#window, n);
    const r = decrypt(this.#f, setNonceDirection(this.#transport, 'recv', n), frame.subarray(EXPLICIT_NONCE_LEN));
    if (r.error) throw r.error;
    const window = acceptNonce(this.#window, n);
    // @req NOISE-068: stored before delivery, so a replay after a restart is still a duplicate.
    this.#persist(r.state, window, this.#reservation?.limit ?? 0n);
    this.#transport = r.state;
    this.#window = window;
    return r.plaintext!;
  }

  handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  remoteStaticKey(): Uint8Array | null {
    return this.#rs ? this.#rs.slice() : null;
  }

  /** The nonce the next send uses. */
  get sendNonce(): bigint {
    return this.#transport.send?.n ?? 0n;
  }

  /** The persisted reservation: nonces below it may have been used by this or an earlier run. */
  get reservedUpTo(): bigint {
    return this.#reservation?.limit ?? 0n;
  }

  /** The highest nonce accepted from the peer, or null. */
  get highestReceived(): bigint | null {
    return this.#window.top;
  }

  #persist(t: TransportState, window: ReplayWindow, limit: bigint): void {
    const transport: TransportState = t.send ? { ...t, send: { k: t.send.k, n: limit } } : t;
    const snapshot: TransportSnapshot = { protocol: this.protocol, initiator: this.initiator, h: this.#h, rs: this.#rs, transport, framing: 'explicit-nonce', window };
    this.#opts.store.save(sealTransport(this.#opts.provider, this.#opts.storageKey, snapshot));
  }

  toJSON(): Record<string, unknown> {
    return { protocol: this.protocol.name, initiator: this.initiator, framing: 'explicit-nonce', sendNonce: this.sendNonce.toString(), reservedUpTo: this.reservedUpTo.toString() };
  }

  [inspect.custom](): string {
    return `NoiseExplicitNonceChannel(${this.protocol.name}, ${this.initiator ? 'initiator' : 'responder'}, send nonce ${this.sendNonce}, reserved to ${this.reservedUpTo})`;
  }
}
