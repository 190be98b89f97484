/**
 * Generates the project's Noise vectors (spec/noise.md NOISE-051) for what cacophony lacks: empty
 * payloads, high nonces through SetNonce, rekey, hfs with ML-KEM-768, and failure cases. Every
 * value comes from the seed; every expected byte from independent.ts (not the reference). Each
 * failure is checked against the independent implementation while generating, so a vector can
 * only claim a refusal that a spec-following implementation actually produces.
 */
import { LOW_ORDER_25519 } from '../low-order-25519.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { NoiseVector, NoiseVectorFile, NoiseVectorMessage } from './format.js';
import { IndependentError, IndependentParty } from './independent.js';

export const FORMAT = 'agentsec-noise/1';
export const DEFAULT_SEED = 1;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MAX = (1n << 64n) - 1n;

/** Seeded byte stream: SHA-256(label || seed || counter) blocks. */
function stream(seed: number): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(new TextEncoder().encode(`agentsec-noise-vectors/1:${seed}:${counter++}`));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

type Who = 'initiator' | 'responder';

interface Step {
  from: Who;
  payload?: Uint8Array;
  rekey?: boolean;
  setNonce?: bigint;
  /** The write must be refused with this kind. */
  writeFails?: string;
  /** The read of the genuine message must be refused with this kind. */
  readFails?: string;
  /** Replace the message on the wire: `forge(genuine)`; the read must be refused with `forgedFails`. */
  forge?: (genuine: Uint8Array | undefined) => Uint8Array;
  forgedFails?: string;
  /** Forged without writing anything first (turn-taking, after a failure). */
  forgeOnly?: boolean;
  /** Sees the genuine message (to replay it later). */
  capture?: (genuine: Uint8Array) => void;
  /** After a forged handshake message the handshake has failed: the genuine one is not delivered. */
  noGenuine?: boolean;
}

interface Spec {
  description: string;
  reqs: string[];
  protocol: string;
  prologues?: [Uint8Array, Uint8Array];
  /** Overrides the responder static public key the initiator holds (low-order tests). */
  initiatorRs?: Uint8Array;
  /** Fallback: overrides the pre-message ephemeral public key the initiator (Bob) holds. */
  initiatorRe?: Uint8Array;
  steps: (ctx: { rand: (n: number) => Uint8Array; handshakeLen: number; oneWay: boolean }) => Step[];
  complete: boolean;
}

function expectKind(f: () => unknown, kind: string, what: string): void {
  try {
    f();
  } catch (e) {
    if (e instanceof IndependentError && e.kind === kind) return;
    throw new Error(`generator: ${what}: expected ${kind}, got ${(e as Error).message}`, { cause: e });
  }
  throw new Error(`generator: ${what}: expected ${kind}, nothing thrown`);
}

function patternInfo(protocol: string): { pre: [boolean, boolean]; preE: boolean; usesS: [boolean, boolean]; psks: number; len: number; oneWay: boolean; hfs: boolean } {
  const section = protocol.split('_')[1]!;
  const base = section.replace(/hfs|psk\d+|\+/g, '');
  const TABLE: Record<string, [string, string, string[]]> = {
    N: ['', 's', ['e es']], K: ['s', 's', ['e es ss']], X: ['', 's', ['e es s ss']],
    NN: ['', '', ['e', 'e ee']], NK: ['', 's', ['e es', 'e ee']], NX: ['', '', ['e', 'e ee s es']],
    KN: ['s', '', ['e', 'e ee se']], KK: ['s', 's', ['e es ss', 'e ee se']], KX: ['s', '', ['e', 'e ee se s es']],
    XN: ['', '', ['e', 'e ee', 's se']], XK: ['', 's', ['e es', 'e ee', 's se']], XX: ['', '', ['e', 'e ee s es', 's se']],
    IN: ['', '', ['e s', 'e ee se']], IK: ['', 's', ['e es s ss', 'e ee se']], IX: ['', '', ['e s', 'e ee se s es']],
    X1K1: ['', 's', ['e', 'e ee es', 's', 'se']],
    XXfallback: ['', 'e', ['e ee s se', 's es']],
  };
  const [iPre, rPre, msgs] = TABLE[base]!;
  const uses = (initiator: boolean): boolean =>
    (initiator ? iPre : rPre) === 's' ||
    msgs.some((m, i) => m.split(' ').some((t) => (t === 's' && (i % 2 === 0) === initiator) || t === 'ss' || (t === 'se' && initiator) || (t === 'es' && !initiator)));
  return {
    pre: [iPre === 's', rPre === 's'],
    preE: rPre === 'e',
    usesS: [uses(true), uses(false)],
    psks: (section.match(/psk\d+/g) ?? []).length,
    len: msgs.length,
    oneWay: ['N', 'K', 'X'].includes(base),
    hfs: section.includes('hfs'),
  };
}

function build(spec: Spec, rand: (n: number) => Uint8Array): NoiseVector {
  const info = patternInfo(spec.protocol);
  const iS = rand(32);
  const rS = rand(32);
  const iE = rand(32);
  const rE = rand(32);
  const psks = Array.from({ length: info.psks }, () => rand(32));
  const prologue = spec.prologues ?? [rand(12), undefined];
  const p0 = prologue[0];
  const p1 = prologue[1] ?? p0;
  const iKem = info.hfs ? rand(64) : undefined;
  const rKem = info.hfs ? rand(32) : undefined;
  const iRs = info.pre[1] ? (spec.initiatorRs ?? x25519.getPublicKey(rS)) : undefined;
  const rRs = info.pre[0] ? x25519.getPublicKey(iS) : undefined;
  // Fallback (10.2): the responder (Alice) reuses her ephemeral rE as the pre-message; Bob holds its public key.
  const iRe = info.preE ? (spec.initiatorRe ?? x25519.getPublicKey(rE)) : undefined;
  const v: NoiseVector = {
    protocol_name: spec.protocol,
    description: spec.description,
    reqs: spec.reqs,
    init_prologue: hex(p0),
    ...(psks.length ? { init_psks: psks.map(hex) } : {}),
    ...(info.usesS[0] ? { init_static: hex(iS) } : {}),
    init_ephemeral: hex(iE),
    ...(iRs ? { init_remote_static: hex(iRs) } : {}),
    ...(iRe ? { init_remote_ephemeral: hex(iRe) } : {}),
    ...(iKem ? { init_e1_seed: hex(iKem) } : {}),
    resp_prologue: hex(p1),
    ...(psks.length ? { resp_psks: psks.map(hex) } : {}),
    ...(info.usesS[1] ? { resp_static: hex(rS) } : {}),
    resp_ephemeral: hex(rE),
    ...(rRs ? { resp_remote_static: hex(rRs) } : {}),
    ...(rKem ? { resp_ekem1_randomness: hex(rKem) } : {}),
    messages: [],
  };
  const parties = {
    initiator: new IndependentParty({ protocol: spec.protocol, initiator: true, prologue: p0, ...(info.usesS[0] ? { s: iS } : {}), ...(iRs ? { rs: iRs } : {}), ...(iRe ? { re: iRe } : {}), psks, e: iE, ...(iKem ? { kemRandomness: iKem } : {}) }),
    responder: new IndependentParty({ protocol: spec.protocol, initiator: false, prologue: p1, ...(info.usesS[1] ? { s: rS } : {}), ...(rRs ? { rs: rRs } : {}), psks, e: rE, ...(rKem ? { kemRandomness: rKem } : {}) }),
  };
  for (const [k, st] of spec.steps({ rand, handshakeLen: info.len, oneWay: info.oneWay }).entries()) {
    const w = parties[st.from];
    const rd = parties[st.from === 'initiator' ? 'responder' : 'initiator'];
    const what = `${spec.description} step ${k}`;
    const payload = st.payload ?? new Uint8Array(0);
    const m: NoiseVectorMessage = { sender: st.from, payload: hex(payload) };
    if (st.setNonce !== undefined) {
      m.set_nonce_before = st.setNonce.toString();
      w.setNonce('send', st.setNonce);
      rd.setNonce('recv', st.setNonce);
    }
    if (st.rekey) {
      m.rekey_before = true;
      w.rekey('send');
      rd.rekey('recv');
    }
    if (st.writeFails) {
      expectKind(() => w.write(payload), st.writeFails, what);
      v.messages.push({ ...m, expected_error: st.writeFails });
      continue;
    }
    const genuine = st.forgeOnly ? undefined : w.write(payload);
    if (genuine) st.capture?.(genuine);
    if (st.forge) {
      const forged = st.forge(genuine);
      expectKind(() => rd.read(forged), st.forgedFails!, what);
      v.messages.push({ ...m, ciphertext: hex(forged), forged: true, expected_error: st.forgedFails! });
      if (!genuine || st.noGenuine) continue;
      // The genuine message follows; the runner writes it (the forged entry wrote nothing).
      delete m.set_nonce_before;
      delete m.rekey_before;
    }
    if (st.readFails) {
      expectKind(() => rd.read(genuine!), st.readFails, what);
      v.messages.push({ ...m, ciphertext: hex(genuine!), expected_error: st.readFails });
      continue;
    }
    const got = rd.read(genuine!);
    if (hex(got) !== hex(payload)) throw new Error(`generator: ${what}: payload mismatch`);
    v.messages.push({ ...m, ciphertext: hex(genuine!) });
  }
  const [a, b] = [parties.initiator, parties.responder];
  if (spec.complete) {
    if (!a.handshakeHash || !b.handshakeHash || hex(a.handshakeHash) !== hex(b.handshakeHash)) throw new Error(`generator: ${spec.description}: handshake incomplete`);
    v.handshake_hash = hex(a.handshakeHash);
  }
  return v;
}

const order: (n: number) => Who = (n) => (n % 2 === 0 ? 'initiator' : 'responder');

/** The handshake with payloads of `len(n)` bytes, then transport messages. */
function normal(len: (n: number) => number, transport = 2): Spec['steps'] {
  return ({ rand, handshakeLen, oneWay }) => {
    const steps: Step[] = [];
    for (let n = 0; n < handshakeLen; n++) steps.push({ from: order(n), payload: rand(len(n)) });
    for (let t = 0; t < transport; t++) {
      steps.push({ from: 'initiator', payload: rand(len(100 + t)) });
      if (!oneWay) steps.push({ from: 'responder', payload: rand(len(200 + t)) });
    }
    return steps;
  };
}

const handshakeOnly = (rand: (n: number) => Uint8Array, len: number): Step[] => Array.from({ length: len }, (_, n) => ({ from: order(n), payload: rand(n + 1) }));

const flipAt = (pos: (m: Uint8Array) => number) => (m: Uint8Array | undefined): Uint8Array => {
  const c = m!.slice();
  const p = pos(c);
  c[p] = c[p]! ^ 0x01;
  return c;
};

/** The 14 low-order X25519 encodings (spec/noise.md NOISE-026). */
function lowOrderPoints(): Uint8Array[] {
  return LOW_ORDER_25519.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
}

function specs(): Spec[] {
  const out: Spec[] = [];
  const empty = (): number => 0;
  for (const p of ['NN_25519_ChaChaPoly_SHA256', 'XX_25519_AESGCM_SHA512', 'IK_25519_ChaChaPoly_BLAKE2s', 'N_25519_AESGCM_BLAKE2b', 'KK_25519_ChaChaPoly_SHA256', 'X_25519_ChaChaPoly_SHA256',
    'NNpsk0_25519_AESGCM_SHA256', 'XXpsk3_25519_ChaChaPoly_BLAKE2b', 'X1K1_25519_AESGCM_SHA256', 'XXhfs_25519+MLKEM768_ChaChaPoly_SHA256']) {
    out.push({ description: `empty-payloads/${p}`, reqs: ['NOISE-018'], protocol: `Noise_${p}`, complete: true, steps: normal(empty) });
  }
  for (const cipher of ['ChaChaPoly', 'AESGCM']) {
    out.push({
      description: `high-nonces/${cipher}`,
      reqs: ['NOISE-013', 'NOISE-015', 'NOISE-034'],
      protocol: `Noise_NN_25519_${cipher}_SHA256`,
      complete: true,
      steps: ({ rand }) => [
        ...handshakeOnly(rand, 2),
        { from: 'initiator', payload: rand(9), setNonce: 1n << 32n },
        { from: 'responder', payload: rand(9), setNonce: (1n << 32n) + 1n },
        { from: 'initiator', payload: rand(9), setNonce: 0x0102030405060708n },
        { from: 'initiator', payload: rand(9) },
        { from: 'responder', payload: rand(9), setNonce: MAX - 1n },
        { from: 'responder', payload: rand(3), writeFails: 'state_failure' },
        { from: 'initiator', payload: rand(9), setNonce: MAX - 1n },
        { from: 'initiator', payload: rand(3), writeFails: 'state_failure' },
      ],
    });
    out.push({
      description: `rekey/${cipher}`,
      reqs: ['NOISE-016'],
      protocol: `Noise_XX_25519_${cipher}_BLAKE2s`,
      complete: true,
      steps: ({ rand }) => [
        ...handshakeOnly(rand, 3),
        { from: 'initiator', payload: rand(5) },
        { from: 'initiator', payload: rand(5), rekey: true },
        { from: 'responder', payload: rand(5), rekey: true },
        { from: 'initiator', payload: rand(5), rekey: true },
        { from: 'initiator', payload: rand(5) },
        { from: 'responder', payload: rand(5), setNonce: 1n << 40n },
        { from: 'responder', payload: rand(5), rekey: true },
      ],
    });
    out.push({
      description: `failure/tampered-transport/${cipher}`,
      reqs: ['NOISE-014', 'NOISE-033'],
      protocol: `Noise_NN_25519_${cipher}_SHA256`,
      complete: true,
      steps: ({ rand }) => {
        let last: Uint8Array | undefined;
        return [
          ...handshakeOnly(rand, 2),
          { from: 'initiator', payload: rand(20), forge: flipAt((m) => m.length - 1), forgedFails: 'auth_failure' },
          { from: 'initiator', payload: rand(20), forge: flipAt(() => 0), forgedFails: 'auth_failure' },
          { from: 'initiator', payload: rand(20), forge: (m) => m!.subarray(0, 15), forgedFails: 'auth_failure' },
          { from: 'responder', payload: rand(20), capture: (m) => (last = m) },
          // A replay of the message just decrypted is refused (its nonce is used up).
          { from: 'responder', forgeOnly: true, forge: () => last!, forgedFails: 'auth_failure' },
          { from: 'responder', payload: rand(4) },
        ];
      },
    });
  }
  const hfsNames = ['NN', 'NK', 'NX', 'KN', 'KK', 'KX', 'XN', 'XK', 'XX', 'IN', 'IK', 'IX', 'X1K1'];
  for (const p of hfsNames) {
    out.push({ description: `hfs/${p}hfs_ChaChaPoly_SHA256`, reqs: ['NOISE-040', 'NOISE-041', 'NOISE-042'], protocol: `Noise_${p}hfs_25519+MLKEM768_ChaChaPoly_SHA256`, complete: true, steps: normal((n) => (n * 7) % 23) });
  }
  for (const p of ['XXhfs_25519+MLKEM768_AESGCM_BLAKE2b', 'IKhfs_25519+MLKEM768_AESGCM_SHA512', 'NNhfs+psk0_25519+MLKEM768_ChaChaPoly_BLAKE2s', 'XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256']) {
    out.push({ description: `hfs/${p.replace('_25519+MLKEM768', '')}`, reqs: ['NOISE-040', 'NOISE-041', 'NOISE-042', 'NOISE-043'], protocol: `Noise_${p}`, complete: true, steps: normal((n) => n % 5) });
  }
  out.push({
    description: 'failure/tampered-handshake/IK',
    reqs: ['NOISE-023', 'NOISE-007'],
    protocol: 'Noise_IK_25519_ChaChaPoly_SHA256',
    complete: false,
    steps: ({ rand }) => {
      let genuine: Uint8Array | undefined;
      return [
        { from: 'initiator', payload: rand(8), forge: (m) => ((genuine = m), flipAt(() => 40)(m)), forgedFails: 'auth_failure', noGenuine: true },
        // Same message genuine this time: the failed handshake cannot continue.
        { from: 'initiator', forgeOnly: true, forge: () => genuine!, forgedFails: 'state_failure' },
      ];
    },
  });
  out.push({
    description: 'failure/tampered-handshake/XXhfs-ekem1',
    reqs: ['NOISE-023', 'NOISE-042'],
    protocol: 'Noise_XXhfs_25519+MLKEM768_ChaChaPoly_SHA256',
    complete: false,
    steps: ({ rand }) => [
      { from: 'initiator', payload: rand(4) },
      { from: 'responder', payload: rand(4), forge: flipAt(() => 32 + 500), forgedFails: 'auth_failure', noGenuine: true },
    ],
  });
  for (const p of ['NN', 'IK']) {
    out.push({
      description: `failure/prologue-mismatch/${p}`,
      reqs: ['NOISE-024', 'NOISE-008'],
      protocol: `Noise_${p}_25519_AESGCM_SHA256`,
      prologues: [new TextEncoder().encode('agentsec prologue A'), new TextEncoder().encode('agentsec prologue B')],
      complete: false,
      steps: ({ rand }) => (p === 'NN' ? [{ from: 'initiator', payload: rand(6) }, { from: 'responder', payload: rand(6), readFails: 'auth_failure' }] : [{ from: 'initiator', payload: rand(6), readFails: 'auth_failure' }]),
    });
  }
  lowOrderPoints().forEach((pt, k) => {
    out.push({
      description: `failure/low-order-re/${k}-${hex(pt).slice(0, 8)}${hex(pt).slice(62)}`,
      reqs: ['NOISE-026'],
      protocol: 'Noise_XX_25519_ChaChaPoly_SHA256',
      complete: false,
      steps: ({ rand }) => [
        { from: 'initiator', payload: rand(3) },
        // The responder's message 2 with a low-order ephemeral: the initiator's ee refuses it.
        { from: 'responder', forgeOnly: true, forge: () => new Uint8Array([...pt, ...rand(48 + 16)]), forgedFails: 'policy_reject' },
      ],
    });
  });
  out.push({
    description: 'failure/low-order-rs/NK',
    reqs: ['NOISE-026'],
    protocol: 'Noise_NK_25519_ChaChaPoly_SHA256',
    initiatorRs: lowOrderPoints()[3]!,
    complete: false,
    steps: ({ rand }) => [{ from: 'initiator', payload: rand(3), writeFails: 'policy_reject' }],
  });
  out.push({
    description: 'failure/turn-taking/XX',
    reqs: ['NOISE-022'],
    protocol: 'Noise_XX_25519_ChaChaPoly_SHA256',
    complete: true,
    steps: ({ rand }) => [
      { from: 'responder', payload: rand(2), writeFails: 'state_failure' },
      { from: 'responder', forgeOnly: true, forge: () => rand(32), forgedFails: 'state_failure' },
      { from: 'initiator', payload: rand(2) },
      { from: 'initiator', payload: rand(2), writeFails: 'state_failure' },
      ...handshakeOnly(rand, 3).slice(1),
      { from: 'initiator', payload: rand(2) },
    ],
  });
  for (const p of ['N', 'X']) {
    out.push({
      description: `failure/one-way/${p}`,
      reqs: ['NOISE-025'],
      protocol: `Noise_${p}_25519_AESGCM_SHA256`,
      complete: true,
      steps: ({ rand }) => [{ from: 'initiator', payload: rand(4) }, { from: 'initiator', payload: rand(4) }, { from: 'responder', payload: rand(4), writeFails: 'state_failure' }],
    });
  }
  out.push({
    description: 'failure/oversize-transport-write',
    reqs: ['NOISE-010'],
    protocol: 'Noise_NN_25519_ChaChaPoly_SHA256',
    complete: true,
    steps: ({ rand }) => [...handshakeOnly(rand, 2), { from: 'initiator', payload: new Uint8Array(65520), writeFails: 'policy_reject' }, { from: 'initiator', payload: rand(1) }],
  });
  // Fallback (10.2): Bob is the initiator; Alice's ephemeral (resp_ephemeral) is the pre-message.
  for (const p of ['XXfallback_25519_ChaChaPoly_SHA256', 'XXfallback_25519_AESGCM_SHA256', 'XXfallback_25519_ChaChaPoly_BLAKE2b', 'XXfallback_25519_AESGCM_BLAKE2b',
    'XXfallback+psk0_25519_ChaChaPoly_SHA256']) {
    out.push({ description: `fallback/${p.replace('_25519', '')}`, reqs: ['NOISE-081', 'NOISE-083'], protocol: `Noise_${p}`, complete: true, steps: normal((n) => (n * 5) % 17) });
  }
  out.push({
    description: 'failure/fallback-wrong-pre-message-ephemeral',
    reqs: ['NOISE-083'],
    protocol: 'Noise_XXfallback_25519_ChaChaPoly_SHA256',
    initiatorRe: x25519.getPublicKey(new Uint8Array(32).fill(0x42)),
    complete: false,
    steps: ({ rand }) => [{ from: 'initiator', payload: rand(6), readFails: 'auth_failure' }],
  });
  return out;
}

export function generateNoiseVectors(seed: number = DEFAULT_SEED): NoiseVectorFile {
  const rand = stream(seed);
  return {
    format: FORMAT,
    generator: { command: 'agentsec vectors generate', seed, implementation: 'vectors/noise/independent.ts' },
    vectors: specs().map((s) => build(s, rand)),
  };
}

export function renderVectorFile(f: NoiseVectorFile): string {
  return `${JSON.stringify(f, null, 2)}\n`;
}
