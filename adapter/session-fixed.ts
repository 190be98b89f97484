/**
 * Fixed keys and fixed randomness for the `session.*` methods (spec/session.md SESS-031), so the
 * harness can run the session known answers (vectors/session) through an implementation: an agent
 * made from given keys (`session.agent` with `keys`), and the randomness one call draws given in
 * `fixed` (the X3DH ephemeral, the next DH ratchet key, the ML-KEM encapsulation randomness).
 *
 * Every agent of the adapter runs on a ScriptedProvider: the real provider, except that key pair
 * generation and KEM encapsulation take queued values while a call with `fixed` runs. This lives
 * in the adapter (the testing entry point), never in the library.
 */
import { fromHex } from '../reference/bytes.js';
import type { CryptoProvider } from '../reference/crypto/provider.js';
import { AgentsecError } from '../reference/errors.js';
import { softwareIdentity, SessionAgent, type AgentState, type HandshakeKind, type WatermarkStore } from '../reference/session/index.js';
import type { PrekeyState } from '../reference/session/prekeys.js';

const HEX32 = /^[0-9a-f]{64}$/;
const HEX64B = /^[0-9a-f]{128}$/;

export class ScriptedProvider {
  private readonly keyPairs: Uint8Array[] = [];
  private readonly kemRandomness: Uint8Array[] = [];
  readonly provider: CryptoProvider;

  constructor(readonly base: CryptoProvider) {
    const x25519 = Object.assign(Object.create(base.x25519) as CryptoProvider['x25519'], {
      generateKeyPair: () => {
        const sk = this.keyPairs.shift();
        if (!sk) return base.x25519.generateKeyPair();
        return { privateKey: sk, publicKey: base.x25519.publicKey(sk) };
      },
    });
    const kem = (name: Parameters<CryptoProvider['kem']>[0]): ReturnType<CryptoProvider['kem']> => {
      const k = base.kem(name);
      return Object.assign(Object.create(k) as typeof k, {
        encapsulate: (pk: Uint8Array, m?: Uint8Array) => k.encapsulate(pk, m ?? this.kemRandomness.shift()),
      });
    };
    this.provider = Object.assign(Object.create(base) as CryptoProvider, { x25519, kem });
  }

  /** Runs `f` with the call's fixed randomness queued; what it did not use is dropped afterwards. */
  run<T>(fixed: FixedRandomness | undefined, f: () => T): T {
    if (!fixed) return f();
    this.keyPairs.push(...fixed.keyPairs);
    if (fixed.kem) this.kemRandomness.push(fixed.kem);
    try {
      return f();
    } finally {
      this.keyPairs.length = 0;
      this.kemRandomness.length = 0;
    }
  }
}

export interface FixedRandomness {
  /** X25519 private keys, in the order the call generates key pairs (ephemeral first, then a ratchet key). */
  keyPairs: Uint8Array[];
  kem?: Uint8Array;
}

function hexField(o: Record<string, unknown>, name: string, re: RegExp, what: string): Uint8Array {
  const v = o[name];
  if (typeof v !== 'string' || !re.test(v)) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${what}.${name}" must be ${re === HEX64B ? 64 : 32} bytes of lowercase hex`);
  return fromHex(v);
}

function objField(o: Record<string, unknown>, name: string, what: string): Record<string, unknown> | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${what}.${name}" must be an object`);
  return v as Record<string, unknown>;
}

function idField(o: Record<string, unknown>, what: string): number {
  const v = o.id;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0x7fffffff) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${what}.id" must be an integer 0..2^31-1`);
  return v;
}

/** `fixed` of initiate / encrypt / decrypt: `{ephemeral?, ratchet?, kem_randomness?}` (hex). */
export function fixedParam(p: Record<string, unknown>): FixedRandomness | undefined {
  const f = objField(p, 'fixed', 'params');
  if (!f) return undefined;
  for (const k of Object.keys(f)) if (!['ephemeral', 'ratchet', 'kem_randomness'].includes(k)) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "fixed.${k}" is not known (ephemeral, ratchet, kem_randomness)`);
  const keyPairs: Uint8Array[] = [];
  if (f.ephemeral !== undefined) keyPairs.push(hexField(f, 'ephemeral', HEX32, 'fixed'));
  if (f.ratchet !== undefined) keyPairs.push(hexField(f, 'ratchet', HEX32, 'fixed'));
  return { keyPairs, ...(f.kem_randomness !== undefined ? { kem: hexField(f, 'kem_randomness', HEX32, 'fixed') } : {}) };
}

/**
 * An agent from given keys (`session.agent` param `keys`): identity signing seed and agreement
 * private key; optionally a signed prekey, one one-time prekey and a PQ prekey with their ids (the
 * agent then holds exactly these), and the AEAD of the sessions it initiates.
 */
export function agentFromKeys(p: CryptoProvider, kind: HandshakeKind, keys: Record<string, unknown>, watermarks: WatermarkStore): SessionAgent {
  const identity = softwareIdentity(p, { signingPrivate: hexField(keys, 'identity_signing_seed', HEX32, 'keys'), agreementPrivate: hexField(keys, 'identity_agreement_private', HEX32, 'keys') });
  const aead = keys.aead ?? 'AES-256-GCM';
  if (aead !== 'AES-256-GCM' && aead !== 'ChaCha20-Poly1305') throw new AgentsecError('unsupported', 'UNKNOWN_AEAD', 'param "keys.aead" must be AES-256-GCM or ChaCha20-Poly1305');
  const spkIn = objField(keys, 'signed_prekey', 'keys');
  const opkIn = objField(keys, 'one_time_prekey', 'keys');
  const pqIn = objField(keys, 'pq_prekey', 'keys');
  const spk = spkIn ? { id: idField(spkIn, 'keys.signed_prekey'), privateKey: hexField(spkIn, 'private', HEX32, 'keys.signed_prekey') } : { id: 1, privateKey: p.x25519.generateKeyPair().privateKey };
  const opk = opkIn ? { id: idField(opkIn, 'keys.one_time_prekey'), privateKey: hexField(opkIn, 'private', HEX32, 'keys.one_time_prekey') } : undefined;
  let pq: { id: number; seed: Uint8Array; oneTime: boolean } | undefined;
  if (pqIn) {
    if (pqIn.kind !== 'last_resort' && pqIn.kind !== 'one_time') throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "keys.pq_prekey.kind" must be last_resort or one_time');
    pq = { id: idField(pqIn, 'keys.pq_prekey'), seed: hexField(pqIn, 'seed', HEX64B, 'keys.pq_prekey'), oneTime: pqIn.kind === 'one_time' };
  } else if (kind === 'pqxdh') pq = { id: spk.id + 1, seed: p.randomBytes(64), oneTime: false };
  const ids = [spk.id, ...(opk ? [opk.id] : []), ...(pq ? [pq.id] : [])];
  if (new Set(ids).size !== ids.length) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "keys": prekey ids must differ');
  const next = Math.max(...ids) + 1;
  const prekeys: PrekeyState = {
    firstId: Math.min(...ids),
    nextId: next,
    signedPrekey: spk,
    previousSignedPrekeys: [],
    oneTime: opk ? [opk] : [],
    oneTimeCursor: opk?.id ?? next,
    pqLastResort: pq && !pq.oneTime ? { id: pq.id, seed: pq.seed } : undefined,
    previousPqLastResort: [],
    pqOneTime: pq?.oneTime ? [{ id: pq.id, seed: pq.seed }] : [],
    pqCursor: pq?.oneTime ? pq.id : next,
    replayDigests: [],
  };
  const state: AgentState = { kind, aead, prekeys, peers: [] };
  return new SessionAgent(p, identity, state, watermarks);
}
