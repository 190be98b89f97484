/**
 * Explicit-nonce transport through the adapter (spec/noise.md NOISE-060..068, spec/conformance.md
 * CONF-130, CONF-131): replay-window boundaries and nonce reservation across crashes, for
 * implementations claiming `noise.explicit_nonce` (n/a elsewhere). Frames are `u64be(n) ||
 * ciphertext`, so the harness reads every nonce a sender uses. A crash is `explicit_stored` (the
 * bytes in the durable store), `free`, `explicit_restore` from those bytes.
 */
import { callMethod } from '../conform/call.js';
import { check, CheckFailure, expectRefusal } from '../conform/assert.js';
import type { Adapter, Capabilities, TestCase, TestContext } from '../conform/types.js';
import type { ErrorKind } from '../../protocol/types.js';
import { exchange, pickProtocols, setup, TRANSPORT_PATTERNS, type NegativeNeeds } from './noise.js';

/** Sends between sender crashes: two segments of 1100 cross the reference's 1024-nonce reservation twice. */
const CRASH_SEGMENTS = [0, 3, 1100, 1100];
/** Frames shorter than this cannot hold a nonce and a tag. */
const MIN_FRAME = 8 + 16;
const TOO_OLD: ErrorKind[] = ['state_failure', 'duplicate'];

/** A function, not a constant: noise.ts (which imports this file) defines the patterns. */
const needs = (): NegativeNeeds => ({ patterns: TRANSPORT_PATTERNS });

function window(caps: Capabilities): number | undefined {
  return caps.noise?.explicit_nonce?.window;
}

function applies(caps: Capabilities): true | string {
  if (!caps.noise) return 'no noise capability claimed';
  if (window(caps) === undefined) return 'explicit_nonce not claimed';
  const p = pickProtocols(caps, needs());
  return typeof p === 'string' ? p : true;
}

/** One protocol is enough: the window and the reservation do not depend on the cipher suite. */
function protocolOf(caps: Capabilities): string {
  const p = pickProtocols(caps, needs());
  if (typeof p === 'string') throw new CheckFailure(`no protocol to run: ${p}`);
  return p[0]!;
}

interface Frame {
  readonly hex: string;
  readonly n: bigint;
  readonly payload: string;
}

/** One explicit-nonce channel in the implementation; `crash()` restarts it from its durable store. */
class Channel {
  constructor(
    readonly adapter: Adapter,
    public id: string,
    readonly label: string,
  ) {}

  async send(payload: string): Promise<Frame> {
    const r = (await callMethod(this.adapter, 'noise.explicit_send', { id: this.id, payload })) as { frame: string };
    check(r.frame.length >= 2 * MIN_FRAME, `${this.label}: a frame of ${r.frame.length / 2} bytes cannot hold u64be(n) || ciphertext`);
    return { hex: r.frame, n: BigInt(`0x${r.frame.slice(0, 16)}`), payload };
  }

  async receive(frame: string): Promise<string> {
    return ((await callMethod(this.adapter, 'noise.explicit_receive', { id: this.id, frame })) as { payload: string }).payload;
  }

  async stored(): Promise<string> {
    return ((await callMethod(this.adapter, 'noise.explicit_stored', { id: this.id })) as { record: string }).record;
  }

  /** The process dies now: only what the durable store holds survives. */
  async crash(): Promise<void> {
    const record = await this.stored();
    await callMethod(this.adapter, 'free', { id: this.id });
    this.id = ((await callMethod(this.adapter, 'noise.explicit_restore', { record })) as { id: string }).id;
  }

  async accept(f: Frame, what: string): Promise<void> {
    let got: string;
    try {
      got = await this.receive(f.hex);
    } catch (e) {
      throw new CheckFailure(`${what} (nonce ${f.n}) was refused at ${this.label}: ${(e as Error).message}`);
    }
    check(got === f.payload, `${what} (nonce ${f.n}) decrypted at ${this.label} to a different payload`);
  }

  /** A refused frame must write nothing: the durable record is byte-identical before and after. */
  async refused(frame: string, what: string, kinds: ErrorKind[]): Promise<ErrorKind> {
    const before = await this.stored();
    const kind = await expectRefusal(this.receive(frame), `${what} (at ${this.label})`, kinds);
    check(before === (await this.stored()), `${what}: refused with ${kind}, but the stored state of ${this.label} changed`);
    return kind;
  }
}

/** A handshake of `protocol` (by default on the implementation in both roles), handed over to explicit-nonce channels. */
async function channels(ctx: TestContext, protocol: string, on: [Adapter, Adapter] = [ctx.iut, ctx.iut]): Promise<{ i: Channel; r: Channel }> {
  const s = await setup({ protocol, initiatorOn: on[0], responderOn: on[1], rng: ctx.rng });
  await exchange(s.i, s.r, 0, s.messages, () => new Uint8Array(0));
  const start = async (a: Adapter, id: string, label: string): Promise<Channel> => new Channel(a, ((await callMethod(a, 'noise.explicit_start', { id })) as { id: string }).id, label);
  const i = await start(on[0], s.i.id, on[0] === on[1] ? 'initiator' : on[0] === ctx.iut ? 'iut initiator' : 'reference initiator');
  const r = await start(on[1], s.r.id, on[0] === on[1] ? 'responder' : on[1] === ctx.iut ? 'iut responder' : 'reference responder');
  // NOISE-065: two live copies of one sending CipherState would reuse nonces.
  await expectRefusal(s.i.write(new Uint8Array(1)), 'the handshake object after explicit_start (a second live copy of the sending state)', ['state_failure']);
  return { i, r };
}

function withNonce(frame: string, n: bigint): string {
  return n.toString(16).padStart(16, '0') + frame.slice(16);
}

const payload = (ctx: TestContext): string => Buffer.from(ctx.rng.bytes(1 + ctx.rng.int(24))).toString('hex');

/**
 * CONF-130: the receiver's window (width W as claimed): a duplicate inside it is `duplicate`; a
 * fresh nonce exactly W-1 below the highest is accepted, exactly W below is refused, and so is a
 * replay of a nonce that has just slid to W below; a forged far-future nonce fails authentication
 * and moves nothing; a genuine jump past the whole window leaves the channel working.
 */
async function replayWindow(ctx: TestContext): Promise<void> {
  const W = window(ctx.iut.hello.capabilities)!;
  const protocol = protocolOf(ctx.iut.hello.capabilities);
  ctx.log(`protocol ${protocol}, window ${W}`);
  const { i, r } = await channels(ctx, protocol);
  const f: Frame[] = [];
  for (let k = 0; k < W + 4; k++) f.push(await i.send(payload(ctx)));
  for (let k = 1; k < f.length; k++) check(f[k]!.n > f[k - 1]!.n, `the sender's nonces do not increase (frame ${k}: ${f[k]!.n} after ${f[k - 1]!.n})`);
  const base = f[0]!.n;
  for (const [k, x] of f.entries()) check(x.n === base + BigInt(k), `frame ${k} carries nonce ${x.n}, expected ${base + BigInt(k)} (one nonce per frame, none skipped without a restart)`);

  await r.accept(f[0]!, 'the first frame');
  await r.refused(f[0]!.hex, 'the first frame again', ['duplicate']);
  // @req NOISE-063: only an authenticated frame moves the window.
  await r.refused(withNonce(f[1]!.hex, 1n << 63n), 'frame 1 with its nonce changed to 2^63 (a forged far-future jump)', ['auth_failure']);
  await r.refused(withNonce(f[1]!.hex, (1n << 64n) - 1n), 'frame 1 with its nonce changed to 2^64-1', []);
  // A genuine jump past the whole window: highest = base + W + 1.
  await r.accept(f[W + 1]!, `frame ${W + 1} (a jump of ${W + 1} nonces)`);
  await r.refused(f[1]!.hex, `a fresh frame exactly ${W} below the highest accepted nonce (one past the window edge)`, TOO_OLD);
  await r.refused(f[0]!.hex, `the first frame again, now ${W + 1} below the highest`, TOO_OLD);
  await r.accept(f[2]!, `a fresh frame ${W - 1} below the highest (at the window edge)`);
  // @req NOISE-062
  await r.refused(f[2]!.hex, `the frame at the window edge again (a duplicate inside the window)`, ['duplicate']);
  await r.refused(f[W + 1]!.hex, 'the highest frame again', ['duplicate']);
  // The window slides by one: frame 2 (accepted) is now exactly W below the highest.
  await r.accept(f[W + 2]!, `frame ${W + 2}`);
  await r.refused(f[2]!.hex, `a replay of a frame that slid to exactly ${W} below the highest`, TOO_OLD);
  await r.accept(f[3]!, `a fresh frame ${W - 1} below the highest (at the window edge)`);
  await r.accept(f[W]!, 'a fresh frame inside the window, out of order');
  await r.accept(f[W - 1]!, 'another fresh frame inside the window, out of order');
  await r.refused(f[W]!.hex, 'an out-of-order frame again', ['duplicate']);
  await r.accept(f[W + 3]!, 'the next frame after the refusals');
  // The other direction works the same way.
  const back = await r.send(payload(ctx));
  await i.accept(back, 'a frame from the responder');
  await i.refused(back.hex, 'the frame from the responder again', ['duplicate']);
}

/**
 * CONF-131: sender and receiver crash at several points (after 0, 3 and about 1100 sends, twice
 * past a reservation the size of the reference's) and restart from their durable stores: no nonce
 * is ever used twice, frames sent after a sender's restart are accepted, and a frame the receiver
 * accepted before its crash is refused after it.
 */
async function crashReservation(ctx: TestContext): Promise<void> {
  const protocol = protocolOf(ctx.iut.hello.capabilities);
  ctx.log(`protocol ${protocol}`);
  const { i, r } = await channels(ctx, protocol);
  const used = new Map<bigint, number>();
  const segments = ctx.quick ? CRASH_SEGMENTS : [...CRASH_SEGMENTS, ...Array.from({ length: 5 }, () => 1 + ctx.rng.int(1500))];
  let crashes = 0;
  let delivered: Frame[] = [];
  for (const [s, count] of segments.entries()) {
    for (let k = 0; k < count; k++) {
      const f = await i.send(payload(ctx));
      // @req NOISE-064
      const earlier = used.get(f.n);
      check(earlier === undefined, `nonce ${f.n} used twice: first before sender crash ${earlier}, again after sender crash ${crashes} (the reservation was not persisted before the nonce was used)`);
      used.set(f.n, crashes);
      await r.accept(f, `frame ${k} after sender crash ${crashes}`);
      delivered.push(f);
    }
    if (s % 2 === 1 && delivered.length > 0) {
      // @req NOISE-068: accepted before the crash, so refused after it.
      await r.crash();
      const last = delivered[delivered.length - 1]!;
      await r.refused(last.hex, `the last frame the receiver accepted before its crash, after the restart`, ['duplicate']);
      await r.refused(delivered[0]!.hex, 'an earlier accepted frame, after the receiver restarted', [...TOO_OLD]);
      delivered = [last];
    }
    await i.crash();
    crashes++;
  }
  const f = await i.send(payload(ctx));
  check(!used.has(f.n), `nonce ${f.n} used twice (after the last sender crash)`);
  await r.accept(f, 'a frame after the last sender crash');
  const back = await r.send(payload(ctx));
  await i.accept(back, 'a frame from the responder after the crashes');
  ctx.log(`${used.size + 1} frames, ${crashes} sender crashes, highest nonce ${f.n}`);
}

/**
 * CONF-132: frames cross between the implementation and the reference in both roles (the frame
 * format of NOISE-067), also after the implementation's side crashed and restarted.
 */
async function interop(ctx: TestContext): Promise<void> {
  const protocol = protocolOf(ctx.iut.hello.capabilities);
  if (window(ctx.reference.hello.capabilities) === undefined) throw new CheckFailure('the reference does not offer explicit-nonce transport');
  for (const iutInitiates of [true, false]) {
    const { i, r } = await channels(ctx, protocol, iutInitiates ? [ctx.iut, ctx.reference] : [ctx.reference, ctx.iut]);
    const iut = iutInitiates ? i : r;
    const ref = iutInitiates ? r : i;
    for (let k = 0; k < 3; k++) {
      await ref.accept(await iut.send(payload(ctx)), `frame ${k} from the implementation`);
      await iut.accept(await ref.send(payload(ctx)), `frame ${k} from the reference`);
    }
    await iut.crash();
    await ref.accept(await iut.send(payload(ctx)), 'a frame from the implementation after its restart');
    await iut.accept(await ref.send(payload(ctx)), 'a frame from the reference after the implementation restarted');
  }
}

export function explicitNonceTests(): TestCase[] {
  const plan = (caps: Capabilities): string => (applies(caps) === true ? `${protocolOf(caps)}, window ${window(caps)}` : String(applies(caps)));
  return [
    { id: 'noise/explicit-nonce/replay-window', reqs: ['NOISE-062', 'NOISE-063', 'NOISE-065', 'NOISE-067', 'CONF-130'], applies, plan, run: replayWindow },
    { id: 'noise/explicit-nonce/interop', reqs: ['NOISE-067', 'CONF-132'], applies, plan, run: interop },
    { id: 'noise/explicit-nonce/crash-reservation', reqs: ['NOISE-064', 'NOISE-068', 'NOISE-060', 'CONF-131'], applies, plan, run: crashReservation },
  ];
}
