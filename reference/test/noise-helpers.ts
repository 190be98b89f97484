/** Shared helpers of the Noise unit tests: key setup from a pattern's needs, and running a handshake. */
import { createNoiseChannel, getProvider, parseProtocolName, type CryptoProvider, type NoiseChannel, type NoiseChannelOptions } from '../index.js';

export interface Pair {
  i: NoiseChannel;
  r: NoiseChannel;
}

type Extra = Partial<Omit<NoiseChannelOptions, 'protocol' | 'initiator'>>;

/** Two parties of `protocol` with fresh static keys wherever the pattern needs them. */
export function makePair(protocol: string, opts: { provider?: CryptoProvider; responderProvider?: CryptoProvider; i?: Extra; r?: Extra; psks?: Uint8Array[] } = {}): Pair {
  const p = parseProtocolName(protocol).pattern;
  const prov = opts.provider ?? getProvider('noble');
  const iS = prov.x25519.generateKeyPair();
  const rS = prov.x25519.generateKeyPair();
  const uses = (initiator: boolean): boolean => {
    const pre = initiator ? p.initiatorPre : p.responderPre;
    if (pre.includes('s')) return true;
    return p.messages.some((m, idx) => m.some((t) => (t === 's' && (idx % 2 === 0) === initiator) || t === 'ss' || (t === 'se' && initiator) || (t === 'es' && !initiator)));
  };
  const pskCount = p.messages.flat().filter((t) => t === 'psk').length;
  const psks = opts.psks ?? Array.from({ length: pskCount }, () => prov.randomBytes(32));
  const i = createNoiseChannel({
    protocol,
    initiator: true,
    provider: prov,
    psks,
    ...(uses(true) ? { staticPrivateKey: iS.privateKey } : {}),
    ...(p.responderPre.includes('s') ? { remoteStaticKey: rS.publicKey } : {}),
    ...opts.i,
  });
  const r = createNoiseChannel({
    protocol,
    initiator: false,
    provider: opts.responderProvider ?? prov,
    psks,
    ...(uses(false) ? { staticPrivateKey: rS.privateKey } : {}),
    ...(p.initiatorPre.includes('s') ? { remoteStaticKey: iS.publicKey } : {}),
    ...opts.r,
  });
  return { i, r };
}

/** Runs the handshake to completion; returns the handshake messages in order. */
export function handshake({ i, r }: Pair, payload = (n: number) => new Uint8Array(n % 3)): Uint8Array[] {
  const msgs: Uint8Array[] = [];
  let n = 0;
  while (!i.isHandshakeComplete || !r.isHandshakeComplete) {
    const [w, rd] = i.isMyTurn ? [i, r] : [r, i];
    const pl = payload(n++);
    const m = w.writeMessage(pl);
    msgs.push(m);
    const got = rd.readMessage(m);
    if (Buffer.compare(Buffer.from(got), Buffer.from(pl)) !== 0) throw new Error('payload mismatch');
    if (w.isHandshakeComplete && !rd.isHandshakeComplete && w.protocol.pattern.oneWay) break;
  }
  return msgs;
}

export const bytes = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill);

export function flip(m: Uint8Array, pos: number): Uint8Array {
  const c = m.slice();
  c[pos] = c[pos]! ^ 0x01;
  return c;
}

/** Calls fn, returns the thrown error's kind and reason (fails when nothing is thrown). */
export function errorOf(fn: () => unknown): { kind: string; reason: string } {
  try {
    fn();
  } catch (e) {
    const x = e as { kind?: string; reason?: string };
    return { kind: String(x.kind), reason: String(x.reason) };
  }
  throw new Error('expected an error, none was thrown');
}

export { LOW_ORDER_25519 } from '../../vectors/low-order-25519.js';
