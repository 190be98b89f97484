/**
 * Sliding replay window for explicit-nonce transport messages (rev 34 section 11.4: a recipient
 * that calls SetNonce must reject replays itself). A plain record with pure transitions: `top` is
 * the highest nonce accepted so far and bit i of `seen` says whether `top - i` was accepted.
 */
import { AgentsecError } from '../errors.js';

/**
 * Window width in nonces. 1024 matches NONCE_RESERVE: after a sender restores and jumps ahead by
 * at most one reservation, messages still in flight from before the jump remain inside the window.
 */
export const REPLAY_WINDOW = 1024;
const W = BigInt(REPLAY_WINDOW);
const MASK = (1n << W) - 1n;

export interface ReplayWindow {
  /** Highest accepted nonce, or null before the first one. */
  readonly top: bigint | null;
  readonly seen: bigint;
}

export const EMPTY_REPLAY_WINDOW: ReplayWindow = Object.freeze({ top: null, seen: 0n });

/** Refuses a nonce that was accepted before or lies below the window; returns normally otherwise. */
export function checkReplay(w: ReplayWindow, n: bigint): void {
  if (w.top === null || n > w.top) return;
  const d = w.top - n;
  // @req NOISE-063
  if (d >= W) throw new AgentsecError('state_failure', 'REPLAY_TOO_OLD', `nonce ${n} is ${d} below the highest accepted nonce (window ${REPLAY_WINDOW})`);
  // @req NOISE-062
  if ((w.seen >> d) & 1n) throw new AgentsecError('duplicate', 'REPLAY', `nonce ${n} was already accepted`);
}

/** The window after accepting n (call only after checkReplay passed and the message authenticated). */
export function acceptNonce(w: ReplayWindow, n: bigint): ReplayWindow {
  checkReplay(w, n);
  if (w.top === null) return { top: n, seen: 1n };
  if (n > w.top) {
    const shift = n - w.top;
    return { top: n, seen: shift >= W ? 1n : ((w.seen << shift) | 1n) & MASK };
  }
  return { top: w.top, seen: w.seen | (1n << (w.top - n)) };
}

/** Window bytes for the record: u8 has-top || u64 top || 128-byte bitmap (big-endian). */
export function encodeReplayWindow(w: ReplayWindow): Uint8Array {
  const out = new Uint8Array(1 + 8 + REPLAY_WINDOW / 8);
  const view = new DataView(out.buffer);
  out[0] = w.top === null ? 0 : 1;
  view.setBigUint64(1, w.top ?? 0n, false);
  let s = w.seen;
  for (let i = out.length - 1; i >= 9; i--) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

export function decodeReplayWindow(b: Uint8Array): ReplayWindow {
  if (b.length !== 1 + 8 + REPLAY_WINDOW / 8) throw new AgentsecError('decode_failure', 'BAD_LENGTH', `replay window expected ${9 + REPLAY_WINDOW / 8} bytes, got ${b.length}`);
  const has = b[0];
  if (has !== 0 && has !== 1) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'replay window flag must be 0 or 1');
  let seen = 0n;
  for (let i = 9; i < b.length; i++) seen = (seen << 8n) | BigInt(b[i]!);
  const top = new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(1, false);
  if (has === 0) {
    if (top !== 0n || seen !== 0n) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'an empty replay window has no bits');
    return EMPTY_REPLAY_WINDOW;
  }
  if ((seen & 1n) === 0n) throw new AgentsecError('decode_failure', 'BAD_FIELD', 'the highest accepted nonce must be marked seen');
  return { top, seen };
}
