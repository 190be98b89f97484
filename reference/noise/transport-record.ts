/**
 * A Noise transport state at rest: the sealed record of spec/records.md (type 0x02 `noise`),
 * whose body holds one party's transport phase as tagged fields (spec/noise.md NOISE-060).
 * Next free body tag: 0x09.
 */
import { concatBytes, u64be, utf8 } from '../bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { AgentsecError } from '../errors.js';
import { field32, FieldReader } from '../records/encoding.js';
import { openRecord, sealRecord } from '../session/index.js';
import type { CipherState } from './cipher-state.js';
import { noiseFunctions } from './functions.js';
import { parseProtocolName, type NoiseProtocol } from './protocol-name.js';
import { decodeReplayWindow, EMPTY_REPLAY_WINDOW, encodeReplayWindow, type ReplayWindow } from './replay-window.js';
import type { TransportState } from './transport.js';

/** How transport messages find their nonce: implicitly in order (plain Noise), or carried in each frame. */
export type TransportFraming = 'in-order' | 'explicit-nonce';
const FRAMING_BYTE: Record<TransportFraming, number> = { 'in-order': 1, 'explicit-nonce': 2 };

export interface TransportSnapshot {
  readonly protocol: NoiseProtocol;
  readonly initiator: boolean;
  readonly h: Uint8Array;
  readonly rs: Uint8Array | null;
  /**
   * For `explicit-nonce` records `send.n` is the reserved high-water mark, not the last nonce used:
   * every nonce below it may have been used before the record was written (NOISE-064).
   */
  readonly transport: TransportState;
  readonly framing: TransportFraming;
  /** Empty for `in-order` records. */
  readonly window: ReplayWindow;
}

const TAG = { protocol: 0x01, initiator: 0x02, framing: 0x03, h: 0x04, rs: 0x05, send: 0x06, recv: 0x07, window: 0x08 } as const;

const cipherBytes = (cs: CipherState): Uint8Array => {
  if (cs.k === null) throw new AgentsecError('internal', 'KEY_INVARIANT', 'a transport CipherState always has a key');
  return concatBytes(cs.k, u64be(cs.n));
};

function cipherFrom(b: Uint8Array, name: string): CipherState {
  if (b.length !== 40) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"${name}" expected 40 bytes, got ${b.length}`);
  return { k: b.slice(0, 32), n: new DataView(b.buffer, b.byteOffset + 32, 8).getBigUint64(0, false) };
}

export function encodeTransportBody(s: TransportSnapshot): Uint8Array {
  const parts = [
    field32(TAG.protocol, utf8(s.protocol.name)),
    field32(TAG.initiator, new Uint8Array([s.initiator ? 1 : 0])),
    field32(TAG.framing, new Uint8Array([FRAMING_BYTE[s.framing]])),
    field32(TAG.h, s.h),
  ];
  if (s.rs) parts.push(field32(TAG.rs, s.rs));
  if (s.transport.send) parts.push(field32(TAG.send, cipherBytes(s.transport.send)));
  if (s.transport.recv) parts.push(field32(TAG.recv, cipherBytes(s.transport.recv)));
  if (s.framing === 'explicit-nonce') parts.push(field32(TAG.window, encodeReplayWindow(s.window)));
  return concatBytes(...parts);
}

export function decodeTransportBody(body: Uint8Array, provider: CryptoProvider): TransportSnapshot {
  const r = new FieldReader(body, 'noise transport record', 0, 4);
  let protocol: NoiseProtocol;
  try {
    protocol = parseProtocolName(new TextDecoder('utf-8', { fatal: true }).decode(r.read(TAG.protocol, 'protocol')));
  } catch (e) {
    throw e instanceof AgentsecError ? e : new AgentsecError('decode_failure', 'BAD_FIELD', 'noise transport record: protocol name is not UTF-8');
  }
  const flag = r.read(TAG.initiator, 'initiator');
  if (flag.length !== 1 || flag[0]! > 1) throw new AgentsecError('decode_failure', 'BAD_FIELD', '"initiator" must be one byte 0 or 1');
  const initiator = flag[0] === 1;
  const fb = r.read(TAG.framing, 'framing');
  const framing = (Object.keys(FRAMING_BYTE) as TransportFraming[]).find((k) => fb.length === 1 && FRAMING_BYTE[k] === fb[0]);
  if (!framing) throw new AgentsecError('decode_failure', 'BAD_FIELD', '"framing" must be 1 (in-order) or 2 (explicit nonce)');
  const h = r.read(TAG.h, 'h').slice();
  const hashLen = noiseFunctions(protocol, provider).hashLen;
  if (h.length !== hashLen) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"h" expected ${hashLen} bytes, got ${h.length}`);
  const rsBytes = r.optional(TAG.rs, 'rs');
  if (rsBytes && rsBytes.length !== 32) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `"rs" expected 32 bytes, got ${rsBytes.length}`);
  const sendBytes = r.optional(TAG.send, 'send');
  const recvBytes = r.optional(TAG.recv, 'recv');
  const windowBytes = framing === 'explicit-nonce' ? r.read(TAG.window, 'window') : undefined;
  r.end();
  const oneWay = protocol.pattern.oneWay;
  // The directions present must be exactly those Split() gives this role (NOISE-019, NOISE-025).
  const wantSend = !oneWay || initiator;
  const wantRecv = !oneWay || !initiator;
  if (Boolean(sendBytes) !== wantSend || Boolean(recvBytes) !== wantRecv) {
    throw new AgentsecError('decode_failure', 'BAD_FIELD', 'noise transport record: the cipher states present do not match the pattern and role');
  }
  return {
    protocol,
    initiator,
    h,
    rs: rsBytes ? rsBytes.slice() : null,
    transport: { send: sendBytes ? cipherFrom(sendBytes, 'send') : null, recv: recvBytes ? cipherFrom(recvBytes, 'recv') : null },
    framing,
    window: windowBytes ? decodeReplayWindow(windowBytes) : EMPTY_REPLAY_WINDOW,
  };
}

// @req NOISE-060
export function sealTransport(p: CryptoProvider, storageKey: Uint8Array, s: TransportSnapshot): Uint8Array {
  return sealRecord(p, storageKey, 'noise', encodeTransportBody(s));
}

/** Opens a record written by sealTransport; `framing` must be the one the caller is about to use. */
export function openTransport(p: CryptoProvider, storageKey: Uint8Array, record: Uint8Array, framing: TransportFraming): TransportSnapshot {
  const s = decodeTransportBody(openRecord(p, storageKey, 'noise', record), p);
  // @req NOISE-061: an in-order record counts nonces implicitly, an explicit-nonce one holds a reservation: never mix them.
  if (s.framing !== framing) throw new AgentsecError('state_failure', 'RECORD_FRAMING', `this is an ${s.framing} transport record; it cannot be restored as ${framing}`);
  return s;
}
