import { describe, expect, it } from 'vitest';
import { Duplex, PassThrough } from 'node:stream';
import { createNoiseChannel, encodeFrame, FrameDecoder, FramedStream, getProvider, handshakeOver, utf8 } from '../index.js';
import { bytes, errorOf } from './noise-helpers.js';

/** Two in-memory duplex streams wired to each other. */
function streamPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const a = Duplex.from({ readable: ba, writable: ab });
  const b = Duplex.from({ readable: ab, writable: ba });
  return [a, b];
}

describe('framing', () => {
  it('NOISE-037: a 16-bit big-endian length precedes each message; frames over 65535 bytes are refused', () => {
    expect(encodeFrame(bytes(3))).toEqual(new Uint8Array([0, 3, 7, 7, 7]));
    expect(encodeFrame(bytes(65535)).subarray(0, 2)).toEqual(new Uint8Array([0xff, 0xff]));
    expect(encodeFrame(bytes(258)).subarray(0, 2)).toEqual(new Uint8Array([1, 2]));
    expect(errorOf(() => encodeFrame(bytes(65536))).kind).toBe('policy_reject');
  });

  it('NOISE-037: the decoder reassembles frames split and merged across chunks', () => {
    const wire = new Uint8Array([...encodeFrame(utf8('hello')), ...encodeFrame(new Uint8Array(0)), ...encodeFrame(bytes(300))]);
    for (const cut of [1, 2, 3, 7, 9, wire.length - 1]) {
      const d = new FrameDecoder();
      const frames = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
      expect(frames.map((f) => f.length)).toEqual([5, 0, 300]);
      expect(d.pending).toBe(0);
    }
  });

  it('NOISE-037: an XX handshake and transport messages over framed streams', async () => {
    const prov = getProvider('noble');
    const [a, b] = streamPair();
    const fa = new FramedStream(a);
    const fb = new FramedStream(b);
    const i = createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, staticPrivateKey: prov.x25519.generateKeyPair().privateKey });
    const r = createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: false, staticPrivateKey: prov.x25519.generateKeyPair().privateKey });
    const [gotI, gotR] = await Promise.all([handshakeOver(i, fa, [utf8('m1'), utf8('m3')]), handshakeOver(r, fb, [utf8('m2')])]);
    expect(gotI).toEqual([utf8('m2')]);
    expect(gotR).toEqual([utf8('m1'), utf8('m3')]);
    fa.send(i.writeMessage(utf8('over the wire')));
    expect(r.readMessage(await fb.receive())).toEqual(utf8('over the wire'));
    fa.end();
    fb.end();
  });
});
