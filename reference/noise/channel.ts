/**
 * NoiseChannel: one party's Noise protocol run, from Initialize() through the handshake into the
 * transport phase, holding the state records and applying the failure rules:
 * - a DECRYPT or DH error (or any malformed message) during the handshake fails it for good (5);
 * - a refused call that is the caller's mistake (turn-taking, oversize) leaves the state unchanged;
 * - a failed transport decrypt is discarded without advancing the nonce (5.1).
 *
 * Fallback (10.2, Noise Pipes 10.4): when Bob cannot process Alice's first message (e.g. an IK
 * message under a static key he no longer has), both switch to a `...fallback` protocol in which
 * Alice's ephemeral is a pre-message and Bob is the initiator:
 * - Bob: `createNoiseChannel({ protocol: 'Noise_XXfallback_...', initiator: true, remoteEphemeralKey })`
 *   with the ephemeral public key Alice sent in the clear (the first 32 bytes of her first message);
 * - Alice: `aliceChannel.fallback({ protocol: 'Noise_XXfallback_...', ... })` on her original channel,
 *   which hands her ephemeral over (it never leaves the module) and retires the original channel.
 */
import type { Attributes } from '@opentelemetry/api';
import { inspect } from 'node:util';
import { abytes } from '../bytes.js';
import { getProvider } from '../crypto/index.js';
import type { CryptoProvider, KeyPair } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { HIGH_FREQUENCY_ATTRIBUTE, tracedSync } from '../observability/tracing.js';
import { noiseFunctions, type NoiseFunctions } from './functions.js';
import { initialize, isComplete, keyNeeds, isMyTurn, readMessage, writeMessage, type HandshakeState } from './handshake-state.js';
import { parseProtocolName, type NoiseProtocol } from './protocol-name.js';
import { EMPTY_REPLAY_WINDOW } from './replay-window.js';
import { openTransport, sealTransport, type TransportSnapshot } from './transport-record.js';
import { decrypt, encrypt, fromSplit, rekeyDirection, setNonceDirection, type Direction, type TransportState } from './transport.js';


export interface NoiseChannelOptions {
  /** A protocol name, e.g. `Noise_IK_25519_ChaChaPoly_SHA256` or `Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256`. */
  readonly protocol: string;
  readonly initiator: boolean;
  /** Hashed into the handshake; both parties must pass identical bytes (6). Default empty. */
  readonly prologue?: Uint8Array;
  /** This party's static X25519 private key, when the pattern uses one. */
  readonly staticPrivateKey?: Uint8Array;
  /** The peer's static X25519 public key, when the pattern has it as a pre-message. */
  readonly remoteStaticKey?: Uint8Array;
  /**
   * Fallback patterns (10.2), initiator (Bob) only: the peer's ephemeral X25519 public key, which is
   * the pattern's pre-message -- the first 32 bytes of Alice's failed first message.
   */
  readonly remoteEphemeralKey?: Uint8Array;
  /** One 32-byte PSK per psk token, in token order. */
  readonly psks?: readonly Uint8Array[];
  /** Default: the noble provider. */
  readonly provider?: CryptoProvider;
}

/**
 * Fixed key material for known-answer tests (cacophony vectors, the adapter contract's `e`/`e1`
 * parameters). Reusing an ephemeral breaks Noise's security (14), so these are not options of the
 * public API: only `withFixedNoiseKeysForTestingOnly` (agentsec/testing) attaches them, under a symbol.
 * In a fallback pattern's responder (Alice) `ephemeral` is the pre-message ephemeral; outside tests
 * use NoiseChannel.fallback, which reuses the original channel's ephemeral.
 */
export interface FixedNoiseKeys {
  /** A fixed ephemeral private key. */
  readonly ephemeral?: Uint8Array;
  /** (hfs) a fixed 64-byte ML-KEM-768 keygen seed for the e1 token. */
  readonly kemSeed?: Uint8Array;
  /** (hfs) a fixed 32-byte ML-KEM-768 encapsulation message for the ekem1 token. */
  readonly kemEncapsulation?: Uint8Array;
}

export const FIXED_KEYS: unique symbol = Symbol('agentsec.noise.fixedKeysForTestingOnly');

/** What `NoiseChannel.fallback` takes: the fallback protocol and Alice's keys for it (she becomes its responder). */
export interface NoiseFallbackOptions {
  /** A fallback protocol, e.g. `Noise_XXfallback_25519_ChaChaPoly_SHA256`. */
  readonly protocol: string;
  readonly prologue?: Uint8Array;
  readonly staticPrivateKey?: Uint8Array;
  readonly remoteStaticKey?: Uint8Array;
  readonly psks?: readonly Uint8Array[];
  /** Default: the original channel's provider. */
  readonly provider?: CryptoProvider;
}

/** Module-private: the pre-message ephemeral handed from the original channel to its fallback. */
const PRE_EPHEMERAL = Symbol('preEphemeral');
type ChannelInit = NoiseChannelOptions & { readonly [PRE_EPHEMERAL]?: KeyPair; readonly [FIXED_KEYS]?: FixedNoiseKeys };

/** `exported`: the transport state was handed over with exportTransport and this object is retired. */
export type NoisePhase = 'handshake' | 'transport' | 'failed' | 'exported';

/** Module-private: builds a channel already in the transport phase from a restored record. */
const RESTORE = Symbol('restore');
interface Restore {
  readonly [RESTORE]: { readonly snapshot: TransportSnapshot; readonly provider: CryptoProvider };
}

/**
 * Module-internal hand-over of the transport state to the explicit-nonce channel: `peekTransport`
 * reads it, `retireChannel` then retires the channel once the new owner has stored it.
 */
export let peekTransport: (ch: NoiseChannel) => TransportSnapshot;
export let retireChannel: (ch: NoiseChannel) => void;

const NON_FATAL = new Set(['NOT_YOUR_TURN', 'HANDSHAKE_COMPLETE', 'MESSAGE_TOO_LARGE', 'RECEIVED_TOO_LARGE', 'NOT_BYTES']);

export class NoiseChannel {
  readonly protocol: NoiseProtocol;
  readonly initiator: boolean;
  readonly #f: NoiseFunctions;
  #hs: HandshakeState | null;
  #transport: TransportState | null = null;
  #h: Uint8Array | null = null;
  #rs: Uint8Array | null = null;
  #failure: AgentsecError | null = null;
  #exported = false;
  /** The ephemeral of this initiator's first message, kept until the handshake completes, for fallback (10.2). */
  #firstEphemeral: KeyPair | null = null;
  readonly #provider: CryptoProvider;

  static {
    peekTransport = (ch) => ch.#snapshot('explicit-nonce');
    retireChannel = (ch) => {
      ch.#exported = true;
    };
  }

  constructor(opts: ChannelInit | Restore) {
    if (RESTORE in opts) {
      const { snapshot, provider } = opts[RESTORE];
      this.protocol = snapshot.protocol;
      this.initiator = snapshot.initiator;
      this.#provider = provider;
      this.#f = noiseFunctions(this.protocol, provider);
      this.#hs = null;
      this.#h = snapshot.h;
      this.#rs = snapshot.rs;
      this.#transport = snapshot.transport;
      return;
    }
    this.protocol = parseProtocolName(opts.protocol);
    this.initiator = opts.initiator === true;
    if (typeof opts.initiator !== 'boolean') throw new AgentsecError('decode_failure', 'BAD_PARAM', '"initiator" must be a boolean');
    const provider = opts.provider ?? getProvider('noble');
    this.#provider = provider;
    this.#f = noiseFunctions(this.protocol, provider);
    const prologue = opts.prologue === undefined ? new Uint8Array(0) : abytes(opts.prologue, 'prologue');
    const sk = opts.staticPrivateKey === undefined ? undefined : abytes(opts.staticPrivateKey, 'staticPrivateKey', 32);
    const rs = opts.remoteStaticKey === undefined ? undefined : abytes(opts.remoteStaticKey, 'remoteStaticKey', 32);
    const psks = (opts.psks ?? []).map((k, i) => abytes(k, `psks[${i}]`, 32));
    const re = opts.remoteEphemeralKey === undefined ? undefined : abytes(opts.remoteEphemeralKey, 'remoteEphemeralKey', 32);
    const fixed = opts[FIXED_KEYS];
    const seams = {
      ...(fixed?.ephemeral ? { ephemeral: abytes(fixed.ephemeral, 'fixed ephemeral', 32) } : {}),
      ...(fixed?.kemSeed ? { kemSeed: abytes(fixed.kemSeed, 'fixed KEM seed', 64) } : {}),
      ...(fixed?.kemEncapsulation ? { kemEncapsulation: abytes(fixed.kemEncapsulation, 'fixed KEM encapsulation', 32) } : {}),
    };
    // @req NOISE-084: the local pre-message ephemeral comes only from the original channel (or the test seam).
    let e: KeyPair | undefined;
    if (keyNeeds(this.#f, this.initiator).e) {
      const pre = opts[PRE_EPHEMERAL];
      if (pre) e = pre;
      else if (seams.ephemeral) e = { privateKey: seams.ephemeral.slice(), publicKey: this.#f.publicKey(seams.ephemeral) };
      else throw new AgentsecError('decode_failure', 'MISSING_KEY', `${this.protocol.name}: start the responder of a fallback handshake with NoiseChannel.fallback()`);
    }
    this.#hs = initialize(this.#f, {
      initiator: this.initiator,
      prologue,
      ...(sk ? { s: { privateKey: sk.slice(), publicKey: this.#f.publicKey(sk) } } : {}),
      ...(rs ? { rs: rs.slice() } : {}),
      ...(e ? { e } : {}),
      ...(re ? { re: re.slice() } : {}),
      psks: psks.map((k) => k.slice()),
      seams,
    });
    this.#rs = this.#hs.rs;
  }

  get phase(): NoisePhase {
    return this.#failure ? 'failed' : this.#exported ? 'exported' : this.#transport ? 'transport' : 'handshake';
  }

  get isHandshakeComplete(): boolean {
    return this.#transport !== null;
  }

  /** During the handshake: whether the next call must be writeMessage. */
  get isMyTurn(): boolean {
    return this.#hs !== null && isMyTurn(this.#hs);
  }

  /** Writes the next handshake message, or encrypts a transport message once the handshake is complete. */
  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    return tracedSync(this.#transport ? 'agentsec.noise.transport.write' : 'agentsec.noise.handshake.write', this.#spanAttributes(payload), () => this.#writeMessage(payload));
  }

  /** Protocol, role and size: what a trace may say about a message (OBS-025); transport spans are high-frequency. */
  #spanAttributes(message: Uint8Array): Attributes {
    return { 'agentsec.protocol': this.protocol.name, 'agentsec.role': this.initiator ? 'initiator' : 'responder', 'agentsec.size': message?.length ?? 0, ...(this.#transport ? { [HIGH_FREQUENCY_ATTRIBUTE]: true } : {}) };
  }

  #writeMessage(payload: Uint8Array): Uint8Array {
    abytes(payload, 'payload');
    this.#checkAlive();
    if (this.#transport) {
      const [next, ct] = encrypt(this.#f, this.#transport, payload);
      this.#transport = next;
      return ct;
    }
    return this.#handshakeStep(() => {
      const r = writeMessage(this.#f, this.#hs!, payload);
      const first = r.state.messageIndex === 1 && this.initiator && this.#f.protocol.pattern.messages[0]![0] === 'e';
      this.#advance(r.state, r.split);
      if (first && !this.#transport) this.#firstEphemeral = r.state.e;
      return r.message;
    });
  }

  /**
   * Section 10.2: switches from this channel (Alice, the initiator, after writing her first message,
   * typically once Bob's reply failed to decrypt) to the fallback protocol `opts.protocol`, in which
   * Alice is the responder and her first message's ephemeral is the pre-message. This channel is
   * retired; its ephemeral moves to the returned channel, whose next call is readMessage.
   */
  fallback(opts: NoiseFallbackOptions): NoiseChannel {
    if (this.#exported || this.#transport) throw new AgentsecError('state_failure', 'FALLBACK_STATE', 'fallback is only possible before the handshake completes');
    // @req NOISE-084: only the original initiator, after its first message carried an ephemeral.
    const e = this.#firstEphemeral;
    if (!this.initiator || !e) {
      throw new AgentsecError('state_failure', 'FALLBACK_STATE', 'fallback needs the initiator of the original handshake after its first message sent "e"');
    }
    const next = new NoiseChannel({
      protocol: opts.protocol,
      initiator: false,
      ...(opts.prologue !== undefined ? { prologue: opts.prologue } : {}),
      ...(opts.staticPrivateKey !== undefined ? { staticPrivateKey: opts.staticPrivateKey } : {}),
      ...(opts.remoteStaticKey !== undefined ? { remoteStaticKey: opts.remoteStaticKey } : {}),
      ...(opts.psks !== undefined ? { psks: opts.psks } : {}),
      provider: opts.provider ?? this.#provider,
      [PRE_EPHEMERAL]: { privateKey: e.privateKey.slice(), publicKey: e.publicKey.slice() },
    });
    if (!keyNeeds(next.#f, false).e) throw new AgentsecError('decode_failure', 'NOT_FALLBACK', `${next.protocol.name} has no pre-message ephemeral for the responder`);
    this.#firstEphemeral = null;
    this.#hs = null;
    this.#failure ??= new AgentsecError('state_failure', 'FELL_BACK', 'the handshake was switched to its fallback protocol');
    return next;
  }

  /** Reads the next handshake message, or decrypts a transport message once the handshake is complete. */
  readMessage(message: Uint8Array): Uint8Array {
    return tracedSync(this.#transport ? 'agentsec.noise.transport.read' : 'agentsec.noise.handshake.read', this.#spanAttributes(message), () => this.#readMessage(message));
  }

  #readMessage(message: Uint8Array): Uint8Array {
    abytes(message, 'message');
    this.#checkAlive();
    if (this.#transport) {
      const r = decrypt(this.#f, this.#transport, message);
      this.#transport = r.state;
      if (r.error) throw r.error;
      return r.plaintext!;
    }
    return this.#handshakeStep(() => {
      const r = readMessage(this.#f, this.#hs!, message);
      this.#advance(r.state, r.split);
      return r.payload;
    });
  }

  /** The handshake hash h, for channel binding (11.2); only after the handshake is complete. */
  handshakeHash(): Uint8Array {
    // @req NOISE-020
    if (!this.#h) throw new AgentsecError('state_failure', 'HANDSHAKE_INCOMPLETE', 'the handshake hash exists once the handshake is complete');
    return this.#h.slice();
  }

  /** The peer's static public key: from the pre-message or as received during the handshake. */
  remoteStaticKey(): Uint8Array | null {
    return this.#rs ? this.#rs.slice() : null;
  }

  /** 11.3: replaces the key of one direction; the nonce is kept. */
  rekey(direction: Direction): void {
    this.#transportOnly();
    this.#transport = rekeyDirection(this.#f, this.#transport!, checkDirection(direction));
  }

  /** 5.1 SetNonce, for out-of-order transport messages (11.4). The caller must then reject replays itself. */
  setNonce(direction: Direction, n: bigint): void {
    this.#transportOnly();
    this.#transport = setNonceDirection(this.#transport!, checkDirection(direction), n);
  }

  /** The next nonce of one direction (n of its CipherState). */
  nonce(direction: Direction): bigint {
    this.#transportOnly();
    const cs = this.#transport![checkDirection(direction)];
    if (!cs) throw new AgentsecError('state_failure', 'ONE_WAY', `a one-way pattern has no ${direction} direction for this party`);
    return cs.n;
  }

  /**
   * Seals the transport state (both CipherStates, h, the peer's static key, the protocol name) as a
   * versioned, authenticated record under `storageKey` (32 bytes), for `NoiseChannel.importTransport`.
   * This is a hand-over: the channel is retired (`exported`), because two live copies of one sending
   * CipherState would encrypt under the same nonces. It does not survive a crash by itself: for that,
   * use NoiseExplicitNonceChannel, which persists a nonce reservation (NOISE-064).
   */
  exportTransport(storageKey: Uint8Array): Uint8Array {
    const record = sealTransport(this.#provider, storageKey, this.#snapshot('in-order'));
    // @req NOISE-065
    this.#exported = true;
    return record;
  }

  /** Restores a channel exported with exportTransport; it continues exactly where the exporter stopped. */
  static importTransport(storageKey: Uint8Array, record: Uint8Array, opts: { readonly provider?: CryptoProvider } = {}): NoiseChannel {
    const provider = opts.provider ?? getProvider('noble');
    return new NoiseChannel({ [RESTORE]: { snapshot: openTransport(provider, storageKey, record, 'in-order'), provider } });
  }

  #snapshot(framing: TransportSnapshot['framing']): TransportSnapshot {
    this.#transportOnly();
    return { protocol: this.protocol, initiator: this.initiator, h: this.#h!, rs: this.#rs, transport: this.#transport!, framing, window: EMPTY_REPLAY_WINDOW };
  }

  #checkAlive(): void {
    if (this.#exported) throw new AgentsecError('state_failure', 'EXPORTED', 'the transport state was handed over (exported); this channel is retired');
    // @req NOISE-023: a failed handshake cannot continue.
    if (this.#failure) throw new AgentsecError('state_failure', 'HANDSHAKE_FAILED', `the handshake failed earlier (${this.#failure.kind}) and cannot continue`);
  }

  #transportOnly(): void {
    this.#checkAlive();
    if (!this.#transport) throw new AgentsecError('state_failure', 'HANDSHAKE_INCOMPLETE', 'available once the handshake is complete');
  }

  #handshakeStep<T>(step: () => T): T {
    try {
      return step();
    } catch (e) {
      const err = e instanceof AgentsecError ? e : new AgentsecError('internal', 'HANDSHAKE', 'handshake step failed');
      if (!NON_FATAL.has(err.reason)) {
        this.#failure = err;
        this.#hs = null;
      }
      throw err;
    }
  }

  #advance(hs: HandshakeState, splitResult: StepSplit): void {
    this.#hs = hs;
    if (hs.rs) this.#rs = hs.rs;
    if (isComplete(this.#f, hs)) {
      if (!splitResult) throw new AgentsecError('internal', 'SPLIT', 'handshake complete without Split()');
      // The HandshakeState is dropped except for h (5).
      this.#h = hs.symmetric.h;
      this.#transport = fromSplit(this.initiator, this.protocol.pattern.oneWay, splitResult);
      this.#hs = null;
      this.#firstEphemeral = null;
    }
  }

  toJSON(): Record<string, unknown> {
    return { protocol: this.protocol.name, initiator: this.initiator, phase: this.phase };
  }

  [inspect.custom](): string {
    return `NoiseChannel(${this.protocol.name}, ${this.initiator ? 'initiator' : 'responder'}, ${this.phase})`;
  }
}

type StepSplit = Parameters<typeof fromSplit>[2] | undefined;

function checkDirection(d: unknown): Direction {
  if (d !== 'send' && d !== 'recv') throw new AgentsecError('decode_failure', 'BAD_PARAM', 'direction must be "send" or "recv"');
  return d;
}

export function createNoiseChannel(opts: NoiseChannelOptions): NoiseChannel {
  return new NoiseChannel(opts);
}
