/**
 * Noise over a byte stream (rev 34 section 13 "Length fields"): each Noise message is preceded by
 * its length as a 16-bit big-endian integer. Noise leaves framing to the application; this is the
 * recommended one.
 */
import type { Duplex } from 'node:stream';
import { concatBytes, u16be } from '../bytes.js';
import { AgentsecError } from '../errors.js';
import type { NoiseChannel } from './channel.js';
import { MAX_MESSAGE_LEN } from './handshake-state.js';

export function encodeFrame(message: Uint8Array): Uint8Array {
  // @req NOISE-037
  if (message.length > MAX_MESSAGE_LEN) throw new AgentsecError('policy_reject', 'MESSAGE_TOO_LARGE', `a frame carries at most ${MAX_MESSAGE_LEN} bytes`);
  return concatBytes(u16be(message.length), message);
}

/** Incremental decoder: push stream chunks in, take whole frames out. */
export class FrameDecoder {
  #buf: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    this.#buf = this.#buf.length ? concatBytes(this.#buf, chunk) : chunk.slice();
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#buf.length < 2) break;
      const len = (this.#buf[0]! << 8) | this.#buf[1]!;
      if (this.#buf.length < 2 + len) break;
      frames.push(this.#buf.slice(2, 2 + len));
      this.#buf = this.#buf.subarray(2 + len);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** A duplex byte stream (e.g. a net.Socket) carrying length-prefixed frames. */
export class FramedStream {
  readonly #stream: Duplex;
  readonly #decoder = new FrameDecoder();
  readonly #frames: Uint8Array[] = [];
  readonly #waiting: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  #ended: Error | null = null;

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', (chunk: Buffer) => {
      for (const f of this.#decoder.push(new Uint8Array(chunk))) {
        const w = this.#waiting.shift();
        if (w) w.resolve(f);
        else this.#frames.push(f);
      }
    });
    const end = (err?: Error): void => {
      this.#ended ??= err ?? new AgentsecError('state_failure', 'STREAM_CLOSED', 'the stream closed');
      for (const w of this.#waiting.splice(0)) w.reject(this.#ended);
    };
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', (e) => end(e));
  }

  send(message: Uint8Array): void {
    this.#stream.write(encodeFrame(message));
  }

  /** The next whole frame; rejects once the stream has ended. */
  receive(): Promise<Uint8Array> {
    const f = this.#frames.shift();
    if (f) return Promise.resolve(f);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  end(): void {
    this.#stream.end();
  }
}

/**
 * Runs a handshake to completion over a framed stream, taking turns as the pattern says.
 * `payloads` supplies the payload of each handshake message this party writes (default empty);
 * returns the payloads received from the peer, in order.
 */
export async function handshakeOver(channel: NoiseChannel, framed: FramedStream, payloads: readonly Uint8Array[] = []): Promise<Uint8Array[]> {
  const received: Uint8Array[] = [];
  let i = 0;
  while (!channel.isHandshakeComplete) {
    if (channel.isMyTurn) framed.send(channel.writeMessage(payloads[i++] ?? new Uint8Array(0)));
    else received.push(channel.readMessage(await framed.receive()));
  }
  return received;
}
