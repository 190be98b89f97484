/**
 * agentsec-adapter/1 `noise.explicit_*` methods of the reference (spec/adapter-protocol.md,
 * spec/noise.md NOISE-060..068): a completed handshake handed over to a NoiseExplicitNonceChannel
 * whose durable store the adapter keeps per channel. `explicit_stored` returns what that store holds
 * (what a process killed now would restart from) and `explicit_restore` starts from such bytes, so
 * a harness can crash a channel at any point and check that no nonce is used twice.
 */
import { MemoryNoiseStateStore, NoiseExplicitNonceChannel, toHex, type NoiseChannel } from '../reference/index.js';
import { AgentsecError } from '../reference/errors.js';
import type { AreaContext, Handler } from './area.js';
import type { ObjectTable } from './objects.js';
import { hexParam } from './params.js';

/** Object kind of an explicit-nonce channel in the adapter's table. */
export const EXPLICIT_KIND = 'noise-explicit';

/** One channel and its durable store (in memory: it outlives the channel object, which is what a crash drops). */
export interface ExplicitEntry {
  readonly channel: NoiseExplicitNonceChannel;
  readonly store: MemoryNoiseStateStore;
  /** The adapter's storage key the store's records are sealed under. */
  readonly storageKey: Uint8Array;
}

/** One storage key per adapter instance, kept outside every record (NOISE-070). */
const storageKeys = new WeakMap<ObjectTable, Uint8Array>();

function storageKey(ctx: AreaContext): Uint8Array {
  let k = storageKeys.get(ctx.objects);
  if (!k) storageKeys.set(ctx.objects, (k = ctx.provider.randomBytes(32)));
  return k;
}

export function explicitEntry(ctx: AreaContext, id: unknown): ExplicitEntry {
  return ctx.objects.get<ExplicitEntry>(id, EXPLICIT_KIND);
}

export const explicitNonceMethods: Record<string, Handler> = {
  'noise.explicit_start': (p, ctx) => {
    const handshake = ctx.objects.get<NoiseChannel>(p.id, 'noise');
    const store = new MemoryNoiseStateStore();
    // @req NOISE-065: the handshake channel is retired; its id now refuses every call.
    const key = storageKey(ctx);
    const channel = NoiseExplicitNonceChannel.fromHandshake(handshake, { store, storageKey: key, provider: ctx.provider });
    return { id: ctx.objects.put(EXPLICIT_KIND, { channel, store, storageKey: key } satisfies ExplicitEntry) };
  },
  'noise.explicit_send': (p, ctx) => ({ frame: toHex(explicitEntry(ctx, p.id).channel.send(hexParam(p, 'payload'))) }),
  'noise.explicit_receive': (p, ctx) => ({ payload: toHex(explicitEntry(ctx, p.id).channel.receive(hexParam(p, 'frame'))) }),
  'noise.explicit_stored': (p, ctx) => {
    const record = explicitEntry(ctx, p.id).store.load();
    if (!record) throw new AgentsecError('state_failure', 'NO_RECORD', 'the channel has stored no record');
    return { record: toHex(record) };
  },
  'noise.explicit_restore': (p, ctx) => {
    const store = new MemoryNoiseStateStore();
    store.save(hexParam(p, 'record'));
    const key = storageKey(ctx);
    const channel = NoiseExplicitNonceChannel.restore({ store, storageKey: key, provider: ctx.provider });
    return { id: ctx.objects.put(EXPLICIT_KIND, { channel, store, storageKey: key } satisfies ExplicitEntry) };
  },
};
