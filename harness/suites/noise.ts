/**
 * The `noise` suite (spec/noise.md): vectors through the adapter with fixed ephemerals (cacophony
 * and this project's), live interop in both roles against the reference with random keys, and
 * negative tests (tampering, truncation, prologue mismatch, turn-taking, oversize, low-order keys,
 * nonce limits and encodings, rekey, one-way patterns).
 *
 * Capabilities (hello.capabilities.noise): a protocol applies when its DH, cipher and hash are
 * claimed, its KEM is in `hfs` (hfs protocols), and `patterns` holds either its whole pattern
 * section (`XXpsk3`) or its base pattern with, for psk modifiers, the entry `psk`, and for the
 * fallback modifier the entry `<base>fallback` (`XXfallback` with `psk` claims `XXfallback+psk0`).
 */
import type { MethodParams } from '../../protocol/methods.js';
import { callMethod } from '../conform/call.js';
import { LOW_ORDER_25519 } from '../../vectors/low-order-25519.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { patternShape } from '../../vectors/noise/patterns.js';
import { REPO_ROOT, vendoredExists } from '../../vectors/external.js';
import { loadVectorFile, type NoiseVector } from '../../vectors/noise/format.js';
import { adapterParties, runVector } from '../../vectors/noise/run.js';
import { check, CheckFailure, expectRefusal } from '../conform/assert.js';
import { AdapterCallError, type Adapter, type Capabilities, type Suite, type TestCase, type TestContext } from '../conform/types.js';
// A cycle on purpose: the explicit-nonce tests use this file's handshake helpers at run time only.
import { explicitNonceTests } from './noise-explicit.js';

export const PROJECT_VECTORS = join(REPO_ROOT, 'vectors/noise/agentsec-noise.json');
const MAX_NONCE = 18446744073709551615n;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

interface NameParts {
  section: string;
  base: string;
  modifiers: string[];
  dh: string;
  kem?: string;
  cipher: string;
  hash: string;
}

/** Splits a protocol name without judging it (so 448 vectors can be reported as not applicable). */
function nameParts(protocol: string): NameParts {
  const [, section = '', dhSec = '', cipher = '', hash = ''] = protocol.split('_');
  const m = /^([A-Z0-9]+)(.*)$/.exec(section);
  const [dh = '', kem] = dhSec.split('+');
  return { section, base: m?.[1] ?? section, modifiers: m?.[2] ? m[2].split('+') : [], dh, ...(kem ? { kem } : {}), cipher, hash };
}

/** Whether `caps` claim a protocol; a reason string when they do not. */
export function claims(caps: Capabilities, protocol: string, needs: { fixedEphemeral?: boolean; rekey?: boolean; setNonce?: boolean } = {}): true | string {
  const n = caps.noise;
  if (!n) return 'no noise capability claimed';
  const p = nameParts(protocol);
  if (!n.dh.includes(p.dh)) return `DH ${p.dh} not claimed`;
  if (!n.cipher.includes(p.cipher)) return `cipher ${p.cipher} not claimed`;
  if (!n.hash.includes(p.hash)) return `hash ${p.hash} not claimed`;
  const hfs = p.modifiers.includes('hfs');
  if (hfs && !(p.kem && n.hfs?.includes(p.kem))) return `hfs with ${p.kem ?? '?'} not claimed`;
  if (!n.patterns.includes(p.section)) {
    if (!n.patterns.includes(p.base)) return `pattern ${p.section} not claimed`;
    for (const m of p.modifiers) {
      if (m === 'hfs') continue;
      if (m === 'fallback' && n.patterns.includes(`${p.base}fallback`)) continue;
      if (!(m.startsWith('psk') && n.patterns.includes('psk'))) return `pattern ${p.section} not claimed`;
    }
  }
  if (needs.fixedEphemeral && !n.fixed_ephemeral) return 'fixed_ephemeral not claimed';
  if (needs.rekey && !n.rekey) return 'rekey not claimed';
  if (needs.setNonce && !n.set_nonce) return 'set_nonce not claimed';
  return true;
}

/** Preference orders for the parts a negative test does not care about (CONF-045). */
const CIPHER_ORDER = ['ChaChaPoly', 'AESGCM'];
const HASH_ORDER = ['SHA256', 'BLAKE2s', 'SHA512', 'BLAKE2b'];
const DH_ORDER = ['25519', '448'];

const ordered = (claimed: readonly string[], preferred: readonly string[]): string[] => [...preferred.filter((x) => claimed.includes(x)), ...claimed.filter((x) => !preferred.includes(x))];

/**
 * What a negative or limit test needs: one of `patterns` (in preference order), and optionally a
 * DH (low-order tests need 25519) and rekey / set_nonce.
 */
export interface NegativeNeeds {
  patterns: readonly string[];
  dh?: string;
  rekey?: boolean;
  setNonce?: boolean;
  /** Only this cipher (a test about one cipher's nonce encoding). */
  cipher?: string;
}

/**
 * The protocols a negative test runs, chosen from the claims (CONF-045): one per claimed cipher,
 * each with the first claimed pattern of `needs.patterns` and a claimed hash and DH. A reason when
 * the claims hold none.
 */
export function pickProtocols(caps: Capabilities, needs: NegativeNeeds): string[] | string {
  const n = caps.noise;
  if (!n) return 'no noise capability claimed';
  if (needs.cipher && !n.cipher.includes(needs.cipher)) return `cipher ${needs.cipher} not claimed`;
  const out: string[] = [];
  let last: string | undefined;
  for (const cipher of ordered(n.cipher, CIPHER_ORDER)) {
    if (needs.cipher && cipher !== needs.cipher) continue;
    let found: string | undefined;
    for (const pattern of needs.patterns) {
      for (const dh of needs.dh ? [needs.dh] : ordered(n.dh, DH_ORDER)) {
        for (const hash of ordered(n.hash, HASH_ORDER)) {
          const hfs = pattern.includes('hfs') ? `+${n.hfs?.[0] ?? 'MLKEM768'}` : '';
          const protocol = `Noise_${pattern}_${dh}${hfs}_${cipher}_${hash}`;
          const c = claims(caps, protocol, { ...(needs.rekey ? { rekey: true } : {}), ...(needs.setNonce ? { setNonce: true } : {}) });
          if (c === true) {
            found = protocol;
            break;
          }
          last = c;
        }
        if (found) break;
      }
      if (found) break;
    }
    if (found) out.push(found);
  }
  if (out.length > 0) return out;
  const what = `${needs.cipher ? `cipher ${needs.cipher} with ` : ''}pattern ${needs.patterns.join(' / ')}${needs.dh ? ` over ${needs.dh}` : ''}`;
  return `no claimed protocol has ${what}${last ? ` (${last})` : ''}`;
}

/** applies() and plan() of a claim-driven test. */
function byClaims(needs: NegativeNeeds): Pick<TestCase, 'applies' | 'plan'> {
  return {
    applies: (caps) => {
      const p = pickProtocols(caps, needs);
      return typeof p === 'string' ? p : true;
    },
    plan: (caps) => {
      const p = pickProtocols(caps, needs);
      return typeof p === 'string' ? p : p.join(', ');
    },
  };
}

/** Runs `body` once per protocol the claims give (the test only runs when there is one). */
async function forEachProtocol(ctx: TestContext, needs: NegativeNeeds, body: (protocol: string) => Promise<void>): Promise<void> {
  const picked = pickProtocols(ctx.iut.hello.capabilities, needs);
  if (typeof picked === 'string') throw new CheckFailure(`no protocol to run: ${picked}`);
  for (const protocol of picked) {
    ctx.log(`protocol ${protocol}`);
    try {
      await body(protocol);
    } catch (e) {
      if (e instanceof CheckFailure) throw new CheckFailure(`${protocol}: ${e.message}`);
      throw e;
    }
  }
}

/** Interactive patterns for transport-phase tests, in preference order. */
export const TRANSPORT_PATTERNS = ['NN', 'XX', 'NK', 'NX', 'XN', 'XK', 'KK', 'KN', 'KX', 'IK', 'IN', 'IX', 'NK1', 'X1K1', 'I1X1'];

/** One party of a live handshake, on either adapter. */
class Party {
  constructor(
    readonly adapter: Adapter,
    readonly id: string,
    readonly publicKey: Uint8Array | undefined,
  ) {}

  async write(payload: Uint8Array): Promise<Uint8Array> {
    return unhex(((await callMethod(this.adapter, 'noise.write', { id: this.id, payload: hex(payload) })) as { message: string }).message);
  }

  async read(message: Uint8Array): Promise<Uint8Array> {
    return unhex(((await callMethod(this.adapter, 'noise.read', { id: this.id, message: hex(message) })) as { payload: string }).payload);
  }

  async state(): Promise<{ complete: boolean; handshake_hash?: string }> {
    return (await callMethod(this.adapter, 'noise.state', { id: this.id })) as { complete: boolean; handshake_hash?: string };
  }

  async free(): Promise<void> {
    await callMethod(this.adapter, 'free', { id: this.id }).catch(() => undefined);
  }
}

interface Setup {
  protocol: string;
  initiatorOn: Adapter;
  responderOn: Adapter;
  rng: TestContext['rng'];
  prologue?: [Uint8Array, Uint8Array];
  /** Overrides the responder's static public key the initiator is given (low-order tests). */
  initiatorRs?: Uint8Array;
}

/** Creates both parties with fresh random keys from the test's rng, as the pattern needs them. */
export async function setup(s: Setup): Promise<{ i: Party; r: Party; messages: number; oneWay: boolean }> {
  const pat = patternShape(s.protocol);
  const pub = (sk: Uint8Array): Uint8Array => x25519.getPublicKey(sk);
  const iS = s.rng.bytes(32);
  const rS = s.rng.bytes(32);
  const psks = Array.from({ length: pat.messages.flat().filter((t) => t === 'psk').length }, () => hex(s.rng.bytes(32)));
  const usesS = (initiator: boolean): boolean =>
    (initiator ? pat.initiatorPre : pat.responderPre).includes('s') ||
    pat.messages.some((m, idx) => m.some((t) => (t === 's' && (idx % 2 === 0) === initiator) || t === 'ss' || (t === 'se' && initiator) || (t === 'es' && !initiator)));
  const prologue = s.prologue ?? [s.rng.bytes(8), undefined];
  const p0 = prologue[0];
  const p1 = prologue[1] ?? p0;
  const make = async (a: Adapter, initiator: boolean): Promise<Party> => {
    const own = initiator ? iS : rS;
    const peerPre = initiator ? pat.responderPre : pat.initiatorPre;
    const peerPub = initiator ? (s.initiatorRs ?? pub(rS)) : pub(iS);
    const params: MethodParams['noise.new'] = { protocol: s.protocol, initiator, prologue: hex(initiator ? p0 : p1) };
    if (usesS(initiator)) params.s = hex(own);
    if (peerPre.includes('s')) params.rs = hex(peerPub);
    if (psks.length) params.psks = psks;
    const { id } = (await callMethod(a, 'noise.new', params)) as { id: string };
    return new Party(a, id, usesS(initiator) ? pub(own) : undefined);
  };
  const i = await make(s.initiatorOn, true);
  const r = await make(s.responderOn, false);
  return { i, r, messages: pat.messages.length, oneWay: pat.oneWay };
}

const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** Runs handshake messages [from, to) (writer by index parity), checking each payload arrives. */
export async function exchange(i: Party, r: Party, from: number, to: number, payload: (n: number) => Uint8Array): Promise<void> {
  for (let n = from; n < to; n++) {
    const [w, rd] = n % 2 === 0 ? [i, r] : [r, i];
    const pl = payload(n);
    const got = await rd.read(await w.write(pl));
    check(eq(got, pl), `handshake message ${n}: the payload arrived altered`);
  }
}

/** A full live run: handshake, equal handshake hashes, transport both ways (one way for N, K, X). */
async function interop(ctx: TestContext, protocol: string, iutInitiator: boolean, payloadLen: (n: number) => number): Promise<void> {
  const { iut, reference } = ctx;
  const { i, r, messages, oneWay } = await setup({ protocol, initiatorOn: iutInitiator ? iut : reference, responderOn: iutInitiator ? reference : iut, rng: ctx.rng });
  try {
    await exchange(i, r, 0, messages, (n) => ctx.rng.bytes(payloadLen(n)));
    const [si, sr] = [await i.state(), await r.state()];
    check(si.complete && sr.complete, 'the handshake is not complete on both sides after its last message');
    check(si.handshake_hash !== undefined && si.handshake_hash === sr.handshake_hash, 'the handshake hashes differ (or one is missing)');
    for (let k = 0; k < 3; k++) {
      const pl = ctx.rng.bytes(payloadLen(100 + k));
      check(eq(await r.read(await i.write(pl)), pl), `transport message ${k} initiator -> responder altered`);
      if (!oneWay) check(eq(await i.read(await r.write(pl)), pl), `transport message ${k} responder -> initiator altered`);
    }
    if (oneWay && !iutInitiator) {
      await expectRefusal(r.write(new Uint8Array(1)), 'one-way pattern: the responder sends a transport message');
    }
  } finally {
    await i.free();
    await r.free();
  }
}

/**
 * After a message was corrupted on its way to the IUT, the protocol must not go on to a working
 * channel: some later step must be refused. Returns whether the IUT refused the corrupted message
 * itself (then it must also refuse to continue, NOISE-023).
 */
async function mustNotComplete(i: Party, r: Party, iutReader: Party, corrupted: Uint8Array, genuine: Uint8Array, next: number, messages: number, what: string, authenticated: boolean): Promise<void> {
  try {
    await iutReader.read(corrupted);
    // With a key set, the payload (and so the whole message, through h) is authenticated: the
    // corruption must be refused right here (NOISE-007, NOISE-021).
    if (authenticated) throw new CheckFailure(`${what}: the IUT accepted a corrupted message that is authenticated`);
  } catch (e) {
    if (e instanceof CheckFailure) throw e;
    if (!(e instanceof AdapterCallError)) throw e;
    // NOISE-023: the failed handshake cannot continue, not even with the genuine message.
    await expectRefusal(iutReader.read(genuine), `${what}: after refusing a corrupted message, the IUT accepted the genuine one`);
    return;
  }
  try {
    await exchange(i, r, next, messages, () => new Uint8Array(0));
    const pl = new Uint8Array([1, 2, 3]);
    await r.read(await i.write(pl));
    await i.read(await r.write(pl));
  } catch (e) {
    if (e instanceof AdapterCallError || e instanceof CheckFailure) return;
    throw e;
  }
  throw new CheckFailure(`${what}: the corrupted message was accepted and the handshake went on to a working channel`);
}

/** Whether the payload of handshake message `msg` is encrypted (a key is set by then). */
function payloadEncrypted(protocol: string, msg: number): boolean {
  const p = patternShape(protocol);
  return p.messages.slice(0, msg + 1).some((m) => m.some((t) => ['ee', 'es', 'se', 'ss', 'psk'].includes(t) || (p.hasPsk && t === 'e')));
}

/** Reads a message that must decrypt; a refusal is a finding. */
async function mustRead(p: Party, m: Uint8Array, expected: Uint8Array, finding: string): Promise<void> {
  let got: Uint8Array;
  try {
    got = await p.read(m);
  } catch (e) {
    if (e instanceof AdapterCallError) throw new CheckFailure(`${finding} (refused: ${e.kind})`);
    throw e;
  }
  check(eq(got, expected), `${finding} (the payload differs)`);
}

/** The fixed protocol of the empty-payload interop test. */
const proto = (p: string): string => `Noise_${p}_25519_ChaChaPoly_SHA256`;

function positions(len: number, quick: boolean, cap: number): number[] {
  const limit = quick ? 8 : cap;
  if (len <= limit) return Array.from({ length: len }, (_, k) => k);
  const step = len / limit;
  const out = new Set<number>([0, len - 1]);
  for (let k = 0; k < limit; k++) out.add(Math.floor(k * step));
  return [...out].sort((a, b) => a - b);
}

/** Tamper / truncate message `msg` of `section` (e.g. XX, XXhfs, XXpsk3) under each claimed cipher. */
function tamperTest(section: string, msg: number, kind: 'tamper' | 'truncate'): TestCase {
  const needs: NegativeNeeds = { patterns: [section] };
  return {
    id: `noise/negative/${kind}/${section}/msg${msg}`,
    reqs: kind === 'tamper' ? ['NOISE-007', 'NOISE-023', 'NOISE-021', 'CONF-045'] : ['NOISE-023', 'NOISE-021', 'CONF-045'],
    ...byClaims(needs),
    run: (ctx) => forEachProtocol(ctx, needs, (protocol) => tamperOne(ctx, protocol, msg, kind)),
  };
}

async function tamperOne(ctx: TestContext, protocol: string, msg: number, kind: 'tamper' | 'truncate'): Promise<void> {
  const iutReads = msg % 2 === 0 ? 'responder' : 'initiator';
  const authenticated = payloadEncrypted(protocol, msg);
  // The genuine message, to learn its length.
  const probe = await setup({ protocol, initiatorOn: ctx.reference, responderOn: ctx.reference, rng: ctx.rng });
  await exchange(probe.i, probe.r, 0, msg, () => new Uint8Array(3));
  const len = (await (msg % 2 === 0 ? probe.i : probe.r).write(new Uint8Array(3))).length;
  await probe.i.free();
  await probe.r.free();
  const cuts = kind === 'tamper' ? positions(len, ctx.quick, patternShape(protocol).hfs ? 64 : 512) : [...new Set([0, 1, 31, 32, 33, len - 17, len - 16, len - 1].filter((c) => c >= 0 && c < len))];
  for (const c of cuts) {
    const s = await setup({
      protocol,
      initiatorOn: iutReads === 'initiator' ? ctx.iut : ctx.reference,
      responderOn: iutReads === 'responder' ? ctx.iut : ctx.reference,
      rng: ctx.rng,
    });
    try {
      await exchange(s.i, s.r, 0, msg, () => new Uint8Array(3));
      const writer = msg % 2 === 0 ? s.i : s.r;
      const reader = msg % 2 === 0 ? s.r : s.i;
      const genuine = await writer.write(new Uint8Array(3));
      let bad: Uint8Array;
      if (kind === 'tamper') {
        bad = genuine.slice();
        bad[c] = bad[c]! ^ 0x01;
      } else bad = genuine.slice(0, c);
      await mustNotComplete(s.i, s.r, reader, bad, genuine, msg + 1, s.messages, `${kind} ${kind === 'tamper' ? 'byte' : 'to length'} ${c} of message ${msg}`, authenticated);
    } finally {
      await s.i.free();
      await s.r.free();
    }
  }
  ctx.log(`${protocol}: ${cuts.length} ${kind === 'tamper' ? 'positions' : 'lengths'} checked`);
}

/** Sets up a channel IUT <-> reference to the transport phase. */
async function transportPair(ctx: TestContext, protocol: string, iutInitiator: boolean): Promise<{ iut: Party; ref: Party; i: Party; r: Party }> {
  const s = await setup({ protocol, initiatorOn: iutInitiator ? ctx.iut : ctx.reference, responderOn: iutInitiator ? ctx.reference : ctx.iut, rng: ctx.rng });
  await exchange(s.i, s.r, 0, s.messages, () => new Uint8Array(0));
  return { iut: iutInitiator ? s.i : s.r, ref: iutInitiator ? s.r : s.i, i: s.i, r: s.r };
}

async function setNonce(p: Party, direction: 'send' | 'recv', n: bigint): Promise<void> {
  await callMethod(p.adapter, 'noise.set_nonce', { id: p.id, direction, n: n.toString() });
}

/** A claim-driven negative test: `body` runs once per protocol the claims give for `needs`. */
function negative(id: string, reqs: string[], needs: NegativeNeeds, body: (ctx: TestContext, protocol: string) => Promise<void>): TestCase {
  return { id, reqs: [...reqs, 'CONF-045'], ...byClaims(needs), run: (ctx) => forEachProtocol(ctx, needs, (protocol) => body(ctx, protocol)) };
}

function negativeTests(): TestCase[] {
  const tests: TestCase[] = [];
  for (const [p, msgs] of [['NN', 2], ['IK', 2], ['XX', 3], ['XXhfs', 3], ['XXpsk3', 3]] as const) {
    for (let m = 0; m < msgs; m++) {
      tests.push(tamperTest(p, m, 'tamper'));
      tests.push(tamperTest(p, m, 'truncate'));
    }
  }

  for (const [p, failsAt] of [['NN', 1], ['IK', 0], ['XX', 1], ['NK', 0]] as const) {
    for (const iutInitiator of [true, false]) {
      tests.push(
        negative(`noise/negative/prologue-mismatch/${p}/iut-${iutInitiator ? 'initiator' : 'responder'}`, ['NOISE-024', 'NOISE-008'], { patterns: [p] }, async (ctx, protocol) => {
          const s = await setup({ protocol, initiatorOn: iutInitiator ? ctx.iut : ctx.reference, responderOn: iutInitiator ? ctx.reference : ctx.iut, rng: ctx.rng, prologue: [ctx.rng.bytes(5), ctx.rng.bytes(6)] });
          try {
            await exchange(s.i, s.r, 0, failsAt, () => new Uint8Array(2));
            const [w, rd] = failsAt % 2 === 0 ? [s.i, s.r] : [s.r, s.i];
            const m = await w.write(new Uint8Array(2));
            await expectRefusal(rd.read(m), `prologue mismatch: message ${failsAt} (the first encrypted one) read`, ['auth_failure']);
          } finally {
            await s.i.free();
            await s.r.free();
          }
        }),
      );
    }
  }

  // Any interactive pattern of at least two messages: out-of-turn calls before message 0 and 1.
  tests.push(
    negative('noise/negative/turn-taking', ['NOISE-022'], { patterns: ['XX', ...TRANSPORT_PATTERNS] }, async (ctx, protocol) => {
      for (const iutInitiator of [true, false]) {
        const s = await setup({ protocol, initiatorOn: iutInitiator ? ctx.iut : ctx.reference, responderOn: iutInitiator ? ctx.reference : ctx.iut, rng: ctx.rng });
        try {
          const iutP = iutInitiator ? s.i : s.r;
          if (iutInitiator) await expectRefusal(iutP.read(new Uint8Array(32)), 'initiator reads before writing message 1', ['state_failure']);
          else await expectRefusal(iutP.write(new Uint8Array(0)), 'responder writes message 1', ['state_failure']);
          // The refusal left the handshake usable.
          await exchange(s.i, s.r, 0, 1, () => new Uint8Array(0));
          if (iutInitiator) await expectRefusal(iutP.write(new Uint8Array(0)), 'initiator writes twice in a row', ['state_failure']);
          else await expectRefusal(iutP.read(new Uint8Array(32)), 'responder reads twice in a row', ['state_failure']);
          await exchange(s.i, s.r, 1, s.messages, () => new Uint8Array(0));
          check((await s.i.state()).complete && (await s.r.state()).complete, 'the handshake did not complete after refused out-of-turn calls');
        } finally {
          await s.i.free();
          await s.r.free();
        }
      }
    }),
  );

  tests.push(
    negative('noise/negative/oversize', ['NOISE-010', 'NOISE-011'], { patterns: TRANSPORT_PATTERNS }, async (ctx, protocol) => {
      const hs = await setup({ protocol, initiatorOn: ctx.iut, responderOn: ctx.iut, rng: ctx.rng });
      await expectRefusal(hs.i.write(new Uint8Array(65504)), 'writing a 65536-byte handshake message');
      await expectRefusal(hs.r.read(new Uint8Array(65536)), 'reading a 65536-byte handshake message');
      await hs.i.free();
      await hs.r.free();
      const t = await transportPair(ctx, protocol, true);
      await expectRefusal(t.iut.write(new Uint8Array(65520)), 'writing a 65520-byte transport plaintext');
      const max = ctx.rng.bytes(65519);
      const ct = await t.iut.write(max);
      check(ct.length === 65535, `a 65519-byte plaintext gave ${ct.length} bytes, expected 65535`);
      check(eq(await t.ref.read(ct), max), 'the 65519-byte message did not arrive intact');
      await expectRefusal(t.iut.read(new Uint8Array(65536)), 'reading a 65536-byte transport message');
      const ok = await t.ref.write(new Uint8Array([9]));
      check(eq(await t.iut.read(ok), new Uint8Array([9])), 'after refusing an oversize message the next genuine one did not decrypt');
      await t.iut.free();
      await t.ref.free();
    }),
  );

  // The IUT responds and its first write does ee with the initiator's (low-order) ephemeral.
  tests.push(
    negative('noise/negative/low-order/re', ['NOISE-026'], { patterns: ['NN', 'NX', 'XN', 'XX'], dh: '25519' }, async (ctx, protocol) => {
      const kinds = new Set<string>();
      for (const h of LOW_ORDER_25519) {
        const s = await setup({ protocol, initiatorOn: ctx.reference, responderOn: ctx.iut, rng: ctx.rng });
        try {
          let refused: string | undefined;
          try {
            await s.r.read(unhex(h));
            await s.r.write(new Uint8Array(0));
          } catch (e) {
            if (!(e instanceof AdapterCallError)) throw e;
            refused = e.kind;
          }
          check(refused !== undefined, `low-order ephemeral ${h}: the IUT completed its ee DH and wrote message 2`);
          kinds.add(refused);
        } finally {
          await s.i.free();
          await s.r.free();
        }
      }
      check(kinds.size === 1, `low-order keys are refused inconsistently (${[...kinds].join(', ')})`);
      ctx.log(`14 encodings refused with ${[...kinds][0]}`);
    }),
  );

  // The IUT initiates toward a (low-order) pre-message static key: its first message does es.
  tests.push(
    negative('noise/negative/low-order/rs-premessage', ['NOISE-026'], { patterns: ['NK', 'XK', 'IK'], dh: '25519' }, async (ctx, protocol) => {
      for (const h of LOW_ORDER_25519) {
        let s: Awaited<ReturnType<typeof setup>>;
        try {
          s = await setup({ protocol, initiatorOn: ctx.iut, responderOn: ctx.reference, rng: ctx.rng, initiatorRs: unhex(h) });
        } catch (e) {
          if (e instanceof AdapterCallError) continue; // refused at noise.new: fine
          throw e;
        }
        try {
          await expectRefusal(s.i.write(new Uint8Array(0)), `low-order responder key ${h}: the initiator's first message (es)`);
        } finally {
          await s.i.free();
          await s.r.free();
        }
      }
    }),
  );

  tests.push(
    negative('noise/negative/failed-decrypt-keeps-nonce', ['NOISE-014', 'NOISE-033'], { patterns: TRANSPORT_PATTERNS }, async (ctx, protocol) => {
      const t = await transportPair(ctx, protocol, false);
      const m1 = await t.ref.write(new Uint8Array([1]));
      const m2 = await t.ref.write(new Uint8Array([2]));
      for (const pos of [0, m1.length - 1]) {
        const bad = m1.slice();
        bad[pos] = bad[pos]! ^ 0x80;
        await expectRefusal(t.iut.read(bad), `a transport message with byte ${pos} flipped`, ['auth_failure']);
      }
      await expectRefusal(t.iut.read(m2), 'message 2 before message 1 (nonce 1 while 0 is expected)', ['auth_failure']);
      await mustRead(t.iut, m1, new Uint8Array([1]), 'after refused messages the genuine message 1 did not decrypt: the nonce advanced on failure');
      await mustRead(t.iut, m2, new Uint8Array([2]), 'message 2 did not decrypt after message 1');
      await t.iut.free();
      await t.ref.free();
    }),
  );

  // One test per cipher: the nonce's encoding into the AEAD nonce differs (little- vs big-endian).
  for (const cipher of CIPHER_ORDER) {
    tests.push(
      negative(`noise/negative/nonce-limit/${cipher}`, ['NOISE-013', 'NOISE-015', 'NOISE-034'], { patterns: TRANSPORT_PATTERNS, setNonce: true, cipher }, async (ctx, protocol) => {
        for (const iutSends of [true, false]) {
          const t = await transportPair(ctx, protocol, iutSends);
          const [snd, rcv] = iutSends ? [t.iut, t.ref] : [t.ref, t.iut];
          for (const n of [1n << 32n, (1n << 56n) + 3n, MAX_NONCE - 1n]) {
            await setNonce(snd, 'send', n);
            await setNonce(rcv, 'recv', n);
            const pl = ctx.rng.bytes(17);
            check(eq(await rcv.read(await snd.write(pl)), pl), `nonce ${n} (${cipher} encoding): the message did not decrypt on the other side`);
          }
          // Now at 2^64-1: reserved.
          await expectRefusal(snd.write(new Uint8Array(1)), `writing at nonce 2^64-1 (${iutSends ? 'IUT' : 'reference'} sends)`);
          if (!iutSends) await expectRefusal(t.iut.read(new Uint8Array(20)), 'reading at nonce 2^64-1');
          if (iutSends) await expectRefusal(t.iut.write(new Uint8Array(1)), 'writing again after exhaustion (no wrap-around)');
          await t.iut.free();
          await t.ref.free();
        }
      }),
    );
  }

  tests.push(
    negative('noise/rekey', ['NOISE-016'], { patterns: ['XX', ...TRANSPORT_PATTERNS], rekey: true }, async (ctx, protocol) => {
      const t = await transportPair(ctx, protocol, true);
      const call = (p: Party, direction: 'send' | 'recv') => callMethod(p.adapter, 'noise.rekey', { id: p.id, direction });
      await call(t.iut, 'send');
      const m = await t.iut.write(new Uint8Array([5]));
      await expectRefusal(t.ref.read(m), 'a message under the rekeyed key, read without rekeying', ['auth_failure']);
      await call(t.ref, 'recv');
      check(eq(await t.ref.read(m), new Uint8Array([5])), 'after both rekeyed, the message did not decrypt (REKEY differs from 4.2, or n was reset)');
      await call(t.ref, 'send');
      await call(t.iut, 'recv');
      check(eq(await t.iut.read(await t.ref.write(new Uint8Array([6]))), new Uint8Array([6])), 'rekey of the receiving direction does not match');
      await t.iut.free();
      await t.ref.free();
    }),
  );

  for (const p of ['N', 'K', 'X']) {
    tests.push(
      negative(`noise/negative/one-way/${p}`, ['NOISE-025'], { patterns: [p] }, async (ctx, protocol) => {
        const t = await transportPair(ctx, protocol, false);
        check(eq(await t.iut.read(await t.ref.write(new Uint8Array([1]))), new Uint8Array([1])), 'the one-way transport message did not arrive');
        await expectRefusal(t.iut.write(new Uint8Array([2])), `${p}: the responder sends a transport message`);
        await t.iut.free();
        await t.ref.free();
      }),
    );
  }
  return tests;
}

/** Live interop protocols: IK and XX over every cipher and hash, then a spread of the rest. */
function interopProtocols(quick: boolean): string[] {
  const out: string[] = [];
  const ciphers = quick ? ['ChaChaPoly'] : ['ChaChaPoly', 'AESGCM'];
  const hashes = quick ? ['SHA256'] : ['SHA256', 'SHA512', 'BLAKE2s', 'BLAKE2b'];
  for (const p of ['IK', 'XX']) for (const c of ciphers) for (const h of hashes) out.push(`Noise_${p}_25519_${c}_${h}`);
  const more = quick
    ? ['NN', 'N', 'XXhfs']
    : ['N', 'K', 'X', 'NN', 'NK', 'NX', 'KN', 'KK', 'KX', 'XN', 'XK', 'IN', 'IX', 'NK1', 'X1K1', 'I1X1', 'XXpsk3', 'IKpsk2', 'NNpsk0+psk2', 'XXhfs', 'IKhfs', 'NNhfs', 'KKhfs+psk0'];
  for (const p of more) out.push(p.includes('hfs') ? `Noise_${p}_25519+MLKEM768_ChaChaPoly_SHA256` : `Noise_${p}_25519_AESGCM_BLAKE2s`);
  return out;
}

function interopTests(quick: boolean): TestCase[] {
  const tests: TestCase[] = [];
  for (const protocol of interopProtocols(quick)) {
    for (const iutInitiator of [true, false]) {
      tests.push({
        id: `noise/interop/${protocol}/iut-${iutInitiator ? 'initiator' : 'responder'}`,
        reqs: ['NOISE-019', 'NOISE-020', 'NOISE-021', 'NOISE-004', ...(protocol.includes('hfs') ? ['NOISE-040', 'NOISE-041', 'NOISE-042'] : []), ...(protocol.includes('psk') ? ['NOISE-027', 'NOISE-028', 'NOISE-029'] : [])],
        applies: (caps) => claims(caps, protocol),
        run: (ctx) => interop(ctx, protocol, iutInitiator, () => ctx.rng.int(40)),
      });
    }
  }
  tests.push({
    id: 'noise/interop/empty-payloads',
    reqs: ['NOISE-018'],
    applies: (caps) => claims(caps, proto('XX')),
    run: async (ctx) => {
      await interop(ctx, proto('XX'), true, () => 0);
      await interop(ctx, proto('XX'), false, () => 0);
    },
  });
  return tests;
}

function vectorTest(id: string, v: NoiseVector, reqs: string[]): TestCase {
  const needs = { fixedEphemeral: true, rekey: v.messages.some((m) => m.rekey_before), setNonce: v.messages.some((m) => m.set_nonce_before !== undefined) };
  return {
    id,
    reqs: [...new Set([...reqs, ...(v.reqs ?? [])])],
    applies: (caps) => claims(caps, v.protocol_name, needs),
    async run(ctx) {
      const r = await runVector(v, adapterParties(ctx.iut));
      if (r.status === 'unsupported') throw new CheckFailure(`refused as unsupported although claimed: ${r.reason}`);
      if (r.status === 'fail') throw new CheckFailure(r.reason);
    },
  };
}

/** --quick: the first vector of each pattern section. */
function sample(vs: NoiseVector[], quick: boolean): NoiseVector[] {
  if (!quick) return vs;
  const seen = new Set<string>();
  return vs.filter((v) => {
    const k = nameParts(v.protocol_name).section;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const noiseSuite: Suite = {
  name: 'noise',
  description: 'Noise rev 34 + hfs: cacophony and project vectors, live interop with the reference, negative tests',
  async tests(opts) {
    const tests: TestCase[] = [];
    const cacophony = opts.sharedVectorsDir ? join(opts.sharedVectorsDir, 'noise/cacophony.txt') : undefined;
    if (cacophony && vendoredExists(cacophony)) {
      for (const v of sample(loadVectorFile(cacophony).vectors, opts.quick)) tests.push(vectorTest(`noise/vectors/${v.protocol_name}`, v, ['NOISE-050']));
    } else {
      tests.push({
        id: 'noise/vectors/cacophony',
        reqs: ['NOISE-050'],
        applies: () => 'the cacophony vectors (vectors/third_party/noise/cacophony.txt) are not available here',
        run: async () => undefined,
      });
    }
    if (existsSync(PROJECT_VECTORS)) {
      const vs = loadVectorFile(PROJECT_VECTORS).vectors;
      vs.forEach((v, k) => {
        if (!opts.quick || k % 4 === 0) tests.push(vectorTest(`noise/vectors/agentsec/${v.description ?? k}`, v, ['NOISE-051']));
      });
    }
    tests.push(...interopTests(opts.quick), ...negativeTests(), ...explicitNonceTests());
    return tests;
  },
};
