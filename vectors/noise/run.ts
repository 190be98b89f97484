/**
 * Runs one Noise vector (cacophony format or this project's extension, see format.ts) between two
 * parties, checking every message byte for byte and the handshake hash of both sides. The parties
 * are abstract: the reference in process (reference-party.ts) or any implementation reached
 * through agentsec-adapter/1 (adapterParties below).
 */
import type { NoiseVector, NoiseVectorMessage } from './format.js';

export interface PartyState {
  complete: boolean;
  handshakeHash?: Uint8Array;
}

export interface NoiseParty {
  write(payload: Uint8Array): Promise<Uint8Array>;
  read(message: Uint8Array): Promise<Uint8Array>;
  state(): Promise<PartyState>;
  rekey(direction: 'send' | 'recv'): Promise<void>;
  setNonce(direction: 'send' | 'recv', n: bigint): Promise<void>;
  free(): Promise<void>;
}

export type PartyFactory = (v: NoiseVector, initiator: boolean) => Promise<NoiseParty>;

export type VectorOutcome = { status: 'pass' } | { status: 'fail'; reason: string } | { status: 'unsupported'; reason: string };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const kindOf = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && typeof (e as { kind?: unknown }).kind === 'string' ? (e as { kind: string }).kind : undefined);

/** One-way patterns (7.4) are named by one letter: N, K, X (plus modifiers). */
export const isOneWayName = (protocolName: string): boolean => /^Noise_[NKX](?![A-Z0-9])/.test(protocolName);

export function senderOf(v: NoiseVector, m: NoiseVectorMessage, i: number): 'initiator' | 'responder' {
  if (m.sender) return m.sender;
  if (isOneWayName(v.protocol_name)) return 'initiator';
  return i % 2 === 0 ? 'initiator' : 'responder';
}

class VectorFailure extends Error {}

async function expectError(p: Promise<unknown>, expected: string | undefined, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    const kind = kindOf(e);
    if (kind === undefined) throw e;
    if (expected !== undefined && kind !== expected) throw new VectorFailure(`${what}: refused with ${kind}, expected ${expected}`);
    return;
  }
  throw new VectorFailure(`${what}: accepted, expected a refusal (${expected ?? 'any kind'})`);
}

export async function runVector(v: NoiseVector, factory: PartyFactory): Promise<VectorOutcome> {
  let init: NoiseParty | undefined;
  let resp: NoiseParty | undefined;
  try {
    try {
      init = await factory(v, true);
      resp = await factory(v, false);
    } catch (e) {
      if (kindOf(e) === 'unsupported') return { status: 'unsupported', reason: (e as Error).message };
      throw e;
    }
    const parties = { initiator: init, responder: resp };
    let hashChecked = false;
    for (const [i, m] of v.messages.entries()) {
      const from = senderOf(v, m, i);
      const sender = parties[from];
      const recipient = parties[from === 'initiator' ? 'responder' : 'initiator'];
      const at = `message ${i} (${from})`;
      if (m.set_nonce_before !== undefined) {
        const n = BigInt(m.set_nonce_before);
        await sender.setNonce('send', n);
        await recipient.setNonce('recv', n);
      }
      if (m.rekey_before) {
        await sender.rekey('send');
        await recipient.rekey('recv');
      }
      if (m.forged) {
        await expectError(recipient.read(bytes(m.ciphertext ?? '')), m.expected_error, `${at}: reading a forged message`);
        continue;
      }
      if (m.ciphertext === undefined) {
        await expectError(sender.write(bytes(m.payload)), m.expected_error, `${at}: writing`);
        continue;
      }
      const ct = await sender.write(bytes(m.payload));
      if (hex(ct) !== m.ciphertext) throw new VectorFailure(`${at}: ciphertext differs (got ${ct.length} bytes, expected ${m.ciphertext.length / 2})`);
      if (m.expected_error !== undefined) {
        await expectError(recipient.read(ct), m.expected_error, `${at}: reading`);
        continue;
      }
      const pt = await recipient.read(ct);
      if (hex(pt) !== m.payload) throw new VectorFailure(`${at}: decrypted payload differs`);
      if (!hashChecked && v.handshake_hash !== undefined) {
        const [a, b] = [await init.state(), await resp.state()];
        if (a.complete && b.complete) {
          for (const [who, s] of [['initiator', a], ['responder', b]] as const) {
            if (!s.handshakeHash || hex(s.handshakeHash) !== v.handshake_hash) throw new VectorFailure(`${who}: handshake hash differs after ${at}`);
          }
          hashChecked = true;
        }
      }
    }
    if (v.handshake_hash !== undefined && !hashChecked) throw new VectorFailure('the handshake did not complete on both sides');
    return { status: 'pass' };
  } catch (e) {
    if (e instanceof VectorFailure) return { status: 'fail', reason: e.message };
    const kind = kindOf(e);
    return { status: 'fail', reason: `unexpected error${kind ? ` (${kind})` : ''}: ${(e as Error).message}` };
  } finally {
    await init?.free().catch(() => undefined);
    await resp?.free().catch(() => undefined);
  }
}

/** Anything that answers agentsec-adapter/1 calls (an Adapter, or the reference area in process). */
export interface Caller {
  call(method: string, params: Record<string, unknown>): Promise<unknown>;
}

/** Maps a vector's fields for one role onto `noise.new` params (fixed ephemerals included). */
export function newParams(v: NoiseVector, initiator: boolean): Record<string, unknown> {
  const p = initiator ? 'init' : 'resp';
  const pick = (k: string): unknown => (v as unknown as Record<string, unknown>)[`${p}_${k}`];
  const out: Record<string, unknown> = { protocol: v.protocol_name, initiator, prologue: pick('prologue') };
  if (pick('static') !== undefined) out.s = pick('static');
  if (pick('ephemeral') !== undefined) out.e = pick('ephemeral');
  if (pick('remote_static') !== undefined) out.rs = pick('remote_static');
  if (pick('remote_ephemeral') !== undefined) out.re = pick('remote_ephemeral');
  if (pick('psks') !== undefined) out.psks = pick('psks');
  const e1 = pick('e1_seed') ?? pick('ekem1_randomness');
  if (e1 !== undefined) out.e1 = e1;
  return out;
}

export function adapterParties(caller: Caller): PartyFactory {
  return async (v, initiator) => {
    const { id } = (await caller.call('noise.new', newParams(v, initiator))) as { id: string };
    return {
      write: async (payload) => bytes(((await caller.call('noise.write', { id, payload: hex(payload) })) as { message: string }).message),
      read: async (message) => bytes(((await caller.call('noise.read', { id, message: hex(message) })) as { payload: string }).payload),
      state: async () => {
        const s = (await caller.call('noise.state', { id })) as { complete: boolean; handshake_hash?: string };
        return { complete: s.complete, ...(s.handshake_hash ? { handshakeHash: bytes(s.handshake_hash) } : {}) };
      },
      rekey: async (direction) => void (await caller.call('noise.rekey', { id, direction })),
      setNonce: async (direction, n) => void (await caller.call('noise.set_nonce', { id, direction, n: n.toString() })),
      free: async () => void (await caller.call('free', { id })),
    };
  };
}
