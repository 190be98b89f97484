/**
 * Explicit-nonce transport mutants (spec/noise.md NOISE-062..068), planted through the reference
 * adapter's noise.explicit_* methods: a shadow channel restored from an edited copy of the durable
 * record does what the buggy receiver would, or the durable store is made to lag.
 */
import { fromHex, toHex } from '../../../reference/bytes.js';
import type { CryptoProvider } from '../../../reference/crypto/provider.js';
import { NoiseExplicitNonceChannel } from '../../../reference/noise/explicit-nonce-channel.js';
import { acceptNonce, EMPTY_REPLAY_WINDOW, REPLAY_WINDOW, type ReplayWindow } from '../../../reference/noise/replay-window.js';
import { MemoryNoiseStateStore } from '../../../reference/noise/state-store.js';
import { openTransport, sealTransport } from '../../../reference/noise/transport-record.js';
import { EXPLICIT_KIND, explicitEntry, type ExplicitEntry } from '../../../adapter/noise-explicit.js';
import type { AreaContext } from '../../../adapter/area.js';
import { areasWith, onRefusal, override, type Mutant } from './mutant.js';

const frameNonce = (p: Record<string, unknown>): bigint => BigInt(`0x${String(p.frame).slice(0, 16) || '0'}`);

/** A channel restored from the entry's durable record with its window replaced, in a store of its own. */
function shadow(ctx: AreaContext, e: ExplicitEntry, window: (w: ReplayWindow) => ReplayWindow): { channel: NoiseExplicitNonceChannel; store: MemoryNoiseStateStore } {
  const provider: CryptoProvider = ctx.provider;
  const s = openTransport(provider, e.storageKey, e.store.load()!, 'explicit-nonce');
  const store = new MemoryNoiseStateStore();
  store.save(sealTransport(provider, e.storageKey, { ...s, window: window(s.window) }));
  return { channel: NoiseExplicitNonceChannel.restore({ store, storageKey: e.storageKey, provider }), store };
}

/**
 * After `explicit_start` / `explicit_restore`: the new channel's store keeps back the writes `defer`
 * picks (given whether the write changes the replay window): they reach the durable record only
 * with a later write that is not kept back, if ever.
 */
function deferWrites(defer: (windowChanged: boolean) => boolean) {
  return (r: unknown, ctx: AreaContext): unknown => {
    const e = explicitEntry(ctx, (r as { id: string }).id);
    const durable = e.store.save.bind(e.store);
    const windowOf = (record: Uint8Array): ReplayWindow => openTransport(ctx.provider, e.storageKey, record, 'explicit-nonce').window;
    e.store.save = (record: Uint8Array) => {
      const [before, after] = [windowOf(e.store.load()!), windowOf(record)];
      if (!defer(before.top !== after.top || before.seen !== after.seen)) durable(record);
    };
    return r;
  };
}

/** The frame with its 8-byte nonce field reversed (big-endian <-> little-endian). */
const swapNonce = (frame: string): string => (frame.slice(0, 16).match(/../g) ?? []).reverse().join('') + frame.slice(16);

export const NOISE_EXPLICIT_MUTANTS: Mutant[] = [
  {
    name: 'noise-frame-nonce-little-endian',
    area: 'noise',
    description: 'the explicit nonce travels little-endian, on both sides (NOISE-067)',
    selfConsistent: true,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/explicit-nonce/interop', 'noise/explicit-nonce/replay-window'],
    areas: () =>
      areasWith('noise', (a) =>
        override(a, {
          'noise.explicit_send': async (p, ctx, next) => {
            const r = (await next(p, ctx)) as { frame: string };
            return { frame: swapNonce(r.frame) };
          },
          'noise.explicit_receive': (p, ctx, next) => next({ ...p, frame: swapNonce(String(p.frame)) }, ctx),
        }),
      ),
  },
  {
    name: 'noise-window-off-by-one',
    area: 'noise',
    description: 'the replay window accepts a nonce exactly 1024 below the highest (its bit was shifted out), so a replay at the edge decrypts again (NOISE-063)',
    selfConsistent: false,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/explicit-nonce/replay-window'],
    areas: () =>
      areasWith('noise', (a) =>
        override(a, {
          'noise.explicit_receive': (p, ctx, next) => {
            const e = explicitEntry(ctx, p.id);
            const top = e.channel.highestReceived;
            const n = frameNonce(p);
            if (top === null || top - n !== BigInt(REPLAY_WINDOW)) return next(p, ctx);
            // Decrypted as if the nonce were fresh; nothing of the real channel is marked.
            return { payload: toHex(shadow(ctx, e, () => EMPTY_REPLAY_WINDOW).channel.receive(fromHex(String(p.frame)))) };
          },
        }),
      ),
  },
  {
    name: 'noise-nonce-not-reserved-before-send',
    area: 'noise',
    description: 'a new nonce reservation is not written before the nonces under it are used (only later, with a received message), so a sender restarted after a crash reuses nonces (NOISE-064)',
    selfConsistent: false,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/explicit-nonce/crash-reservation'],
    areas: () => {
      const defer = deferWrites((windowChanged) => !windowChanged);
      return areasWith('noise', (a) => override(a, { 'noise.explicit_start': (p, ctx, next) => defer(next(p, ctx), ctx), 'noise.explicit_restore': (p, ctx, next) => defer(next(p, ctx), ctx) }));
    },
  },
  {
    name: 'noise-window-not-stored-before-delivery',
    area: 'noise',
    description: 'the receiver returns the plaintext without storing its new replay window, so after a crash a message it delivered is accepted again (NOISE-068)',
    selfConsistent: false,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/explicit-nonce/crash-reservation'],
    areas: () => {
      const defer = deferWrites((windowChanged) => windowChanged);
      return areasWith('noise', (a) => override(a, { 'noise.explicit_start': (p, ctx, next) => defer(next(p, ctx), ctx), 'noise.explicit_restore': (p, ctx, next) => defer(next(p, ctx), ctx) }));
    },
  },
  {
    name: 'noise-window-moved-by-forgery',
    area: 'noise',
    description: 'a frame that fails authentication still moves the replay window to its nonce, so a forged far-future nonce locks the genuine frames out (NOISE-063)',
    selfConsistent: false,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/explicit-nonce/replay-window'],
    areas: () =>
      areasWith('noise', (a) =>
        override(a, {
          'noise.explicit_receive': (p, ctx, next) =>
            onRefusal(
              () => next(p, ctx),
              (err) => {
                if (err.kind !== 'auth_failure') return;
                const e = explicitEntry(ctx, p.id);
                const n = frameNonce(p);
                const s = openTransport(ctx.provider, e.storageKey, e.store.load()!, 'explicit-nonce');
                let window: ReplayWindow;
                try {
                  window = acceptNonce(s.window, n);
                } catch {
                  return; // below the window: nothing to move
                }
                e.store.save(sealTransport(ctx.provider, e.storageKey, { ...s, window }));
                const channel = NoiseExplicitNonceChannel.restore({ store: e.store, storageKey: e.storageKey, provider: ctx.provider });
                ctx.objects.set(String(p.id), EXPLICIT_KIND, { ...e, channel } satisfies ExplicitEntry);
              },
            ),
        }),
      ),
  },
];
