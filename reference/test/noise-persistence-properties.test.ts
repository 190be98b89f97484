/**
 * Crash safety of the explicit-nonce Noise channel under random crashes (NOISE-064, NOISE-068):
 * two parties exchange messages while either may crash at any point -- after a send (nonce used,
 * reservation not yet re-persisted) or inside a store write (the write is lost) -- and is then
 * restored from the last record its store holds. Every AEAD seal of the transport cipher is
 * observed below the channel, through a wrapped provider.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProvider, MemoryNoiseStateStore, NoiseExplicitNonceChannel, REPLAY_WINDOW, toHex, type Aead, type CryptoProvider, type NoiseStateStore } from '../index.js';
import { handshake, makePair } from './noise-helpers.js';

class Crash extends Error {}

/** A store whose next save can be made to fail, as if the process died during the write. */
class CrashingStore implements NoiseStateStore {
  readonly inner = new MemoryNoiseStateStore();
  failNext = false;
  save(record: Uint8Array): void {
    if (this.failNext) {
      this.failNext = false;
      throw new Crash('crash during save');
    }
    this.inner.save(record);
  }
  load(): Uint8Array | undefined {
    return this.inner.load();
  }
}

/** The noble provider, with every ChaCha20-Poly1305 seal recorded as (key, nonce). Records use AES-256-GCM. */
function observedProvider(): { provider: CryptoProvider; seals: Set<string>; reused: string[] } {
  const base = getProvider('noble');
  const seals = new Set<string>();
  const reused: string[] = [];
  const provider: CryptoProvider = {
    name: base.name,
    x25519: base.x25519,
    ed25519: base.ed25519,
    kem: (n) => base.kem(n),
    hash: (n, d) => base.hash(n, d),
    hmac: (n, k, d) => base.hmac(n, k, d),
    hkdf: (n, ikm, salt, info, len) => base.hkdf(n, ikm, salt, info, len),
    randomBytes: (n) => base.randomBytes(n),
    aead(name) {
      const a = base.aead(name);
      if (name !== 'ChaCha20-Poly1305') return a;
      const wrapped: Aead = {
        name: a.name,
        keyLength: a.keyLength,
        nonceLength: a.nonceLength,
        tagLength: a.tagLength,
        seal(key, nonce, pt, ad) {
          const id = `${toHex(key)}:${toHex(nonce)}`;
          if (seals.has(id)) reused.push(id);
          seals.add(id);
          return a.seal(key, nonce, pt, ad);
        },
        open: (key, nonce, ct, ad) => a.open(key, nonce, ct, ad),
      };
      return wrapped;
    },
  };
  return { provider, seals, reused };
}

interface Party {
  ch: NoiseExplicitNonceChannel;
  readonly store: CrashingStore;
  /** Model of the receive window: what the persisted record says was accepted. */
  readonly accepted: Set<bigint>;
  top: bigint | null;
}

interface Frame {
  readonly to: 0 | 1;
  readonly bytes: Uint8Array;
  readonly n: bigint;
  readonly id: number;
}

const W = BigInt(REPLAY_WINDOW);
const STEPS = 650;
const RUNS = 20;
const KEY = new Uint8Array(32).fill(0x5a);

describe('Noise persistence properties', () => {
  it(`NOISE-064 NOISE-068 NOISE-062 NOISE-063: over >= 10,000 sends with random crashes no (key, nonce) is used twice and every message decrypts at most once`, () => {
    let totalSends = 0;
    let totalCrashes = 0;
    let totalDelivered = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(1n, 3n, 16n, 1024n),
        fc.array(fc.nat({ max: 99 }), { minLength: STEPS, maxLength: STEPS }),
        (reserve, steps) => {
          const { provider, reused } = observedProvider();
          const pair = makePair('Noise_XX_25519_ChaChaPoly_SHA256', { provider });
          handshake(pair);
          const opts = (store: NoiseStateStore) => ({ store, storageKey: KEY, provider, reserve });
          const mk = (ch: Parameters<typeof NoiseExplicitNonceChannel.fromHandshake>[0]): Party => {
            const store = new CrashingStore();
            return { ch: NoiseExplicitNonceChannel.fromHandshake(ch, opts(store)), store, accepted: new Set(), top: null };
          };
          const parties = [mk(pair.i), mk(pair.r)] as const;
          const restore = (p: Party): void => {
            totalCrashes++;
            p.store.failNext = false;
            // The in-memory state is dropped; only the store survives.
            p.ch = NoiseExplicitNonceChannel.restore(opts(p.store));
          };
          const sent: Frame[] = [];
          const held: Frame[] = [];
          const delivered = new Set<number>();
          const plaintextOf = (id: number): Uint8Array => new Uint8Array([id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);

          const deliver = (f: Frame): void => {
            const p = parties[f.to];
            // What the persisted window predicts.
            const fresh = !p.accepted.has(f.n);
            const inWindow = p.top === null || f.n > p.top - W;
            let got: Uint8Array | undefined;
            try {
              got = p.ch.receive(f.bytes);
            } catch (e) {
              if (e instanceof Crash) {
                restore(p);
                return;
              }
              const kind = (e as { kind?: string }).kind;
              if (!inWindow) expect(kind).toBe('state_failure');
              else if (!fresh) expect(kind).toBe('duplicate');
              else throw e;
              return;
            }
            expect(fresh && inWindow).toBe(true);
            expect(got).toEqual(plaintextOf(f.id));
            expect(delivered.has(f.id)).toBe(false);
            delivered.add(f.id);
            totalDelivered++;
            p.accepted.add(f.n);
            if (p.top === null || f.n > p.top) p.top = f.n;
          };

          let nextId = 0;
          for (const c of steps) {
            const from = (c & 1) as 0 | 1;
            const p = parties[from];
            if (c < 6) p.store.failNext = true; // the next write of this party dies
            if (c >= 6 && c < 10) parties[1 - from]!.store.failNext = true;
            const id = nextId++;
            let bytes: Uint8Array;
            try {
              bytes = p.ch.send(plaintextOf(id));
            } catch (e) {
              if (!(e instanceof Crash)) throw e;
              restore(p);
              continue;
            }
            totalSends++;
            const f: Frame = { to: (1 - from) as 0 | 1, bytes, n: new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0), id };
            sent.push(f);
            // Crash right after the nonce was used, before anything else is persisted.
            if (c >= 10 && c < 18) restore(p);
            if (c >= 18 && c < 30) held.push(f);
            else deliver(f);
            if (c >= 30 && c < 36 && sent.length > 1) deliver(sent[c % sent.length]!);
            if (c >= 36 && c < 40 && held.length) deliver(held.shift()!);
          }
          for (const f of held) deliver(f);
          // Every frame ever sent, again: each is refused now or delivered for the first time.
          for (const f of sent) deliver(f);
          for (const f of sent) {
            if (delivered.has(f.id)) {
              expect(() => parties[f.to].ch.receive(f.bytes)).toThrow();
            }
          }
          expect(reused).toEqual([]);
          expect(delivered.size).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS },
    );
    expect(totalSends).toBeGreaterThanOrEqual(10_000);
    expect(totalCrashes).toBeGreaterThan(500);
    expect(totalDelivered).toBeGreaterThan(totalSends / 2);
  }, 900_000);
});
