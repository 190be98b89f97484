/**
 * agentsec-adapter/1 `envelope.*` methods of the reference (spec/adapter-protocol.md):
 * - `envelope.seal {plaintext, context, kek?}` -> `{envelope}`
 * - `envelope.open {envelope, context, kek?}` -> `{plaintext}`
 * - `envelope.rewrap {envelope, kek?}` -> `{envelope}`
 * - `envelope.kek_new {cache?}`, `kek_rotate`, `kek_retire`, `kek_versions`, `kek_advance`: KEK administration
 * Without `kek` the KEK is the KMS key the harness names in `hello` (services.kms), used through the
 * AWS SDK; with it, an in-memory local KEK ring on a clock of its own that the harness moves.
 */
import { AgentsecError, AwsKmsKek, checkVersionArg, DataKeyCache, LocalKekRing, openEnvelope, rewrapEnvelope, sealEnvelope, toHex, type EnvelopeOptions, type KekProvider } from '../reference/index.js';
import type { Area, AreaContext } from './area.js';
import { contextParam, hexParam, optIntParam } from './params.js';

/** Harness endpoints take dummy credentials; signatures are not checked there. */
const DUMMY_CREDENTIALS = { accessKeyId: 'AKIDAGENTSECHARNESS', secretAccessKey: 'agentsec-harness' };
/** Short enough that the conformance timeout tests finish quickly, long enough for a loaded CI machine. */
export const ADAPTER_KMS_TIMEOUT_MS = 2_000;

const keks = new WeakMap<AreaContext, { key: string; kek: Promise<AwsKmsKek> }>();

function kekFor(ctx: AreaContext): Promise<AwsKmsKek> {
  const kms = ctx.services.kms;
  if (!kms) throw new AgentsecError('unsupported', 'NO_KMS', 'no KMS service was given in hello (services.kms)');
  const key = `${kms.endpoint}|${kms.region}|${kms.key_id}`;
  const cached = keks.get(ctx);
  if (cached && cached.key === key) return cached.kek;
  const kek = AwsKmsKek.connect({
    keyId: kms.key_id,
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: DUMMY_CREDENTIALS,
    maxAttempts: 2,
    timeoutMs: ADAPTER_KMS_TIMEOUT_MS,
    // The harness rotates the key behind the adapter's back: read the version on every wrap.
    refreshMs: 0,
  });
  keks.set(ctx, { key, kek });
  // A failed connect is not cached.
  kek.catch(() => {
    if (keks.get(ctx)?.kek === kek) keks.delete(ctx);
  });
  return kek;
}

/** A KEK the harness administers (`envelope.kek_new`): a local ring and its cache on one clock. */
interface AdminKek {
  readonly ring: LocalKekRing;
  readonly cache: DataKeyCache | undefined;
  readonly time: { now: number };
}

/** Where an administered KEK's clock starts: any fixed time; only `kek_advance` moves it. */
const ADMIN_CLOCK_START = 1_800_000_000_000;
const MAX_ADVANCE_MS = 86_400_000;

function cacheParam(p: Record<string, unknown>, clock: () => number): DataKeyCache | undefined {
  const c = p.cache;
  if (c === undefined || c === null) return undefined;
  if (typeof c !== 'object' || Array.isArray(c)) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "cache" must be an object');
  const q = c as Record<string, unknown>;
  const need = (name: string): number => {
    const v = optIntParam(q, name);
    if (v === undefined) throw new AgentsecError('decode_failure', 'MISSING_PARAM', `missing param "cache.${name}"`);
    return v;
  };
  // @req CONF-151: the cache runs on the KEK's clock, which only kek_advance moves.
  return new DataKeyCache({ maxMessages: need('max_messages'), maxAgeMs: need('max_age_ms'), maxEntries: need('max_entries'), clock });
}

function adminKek(p: Record<string, unknown>, ctx: AreaContext): AdminKek {
  return ctx.objects.get<AdminKek>(p.kek, 'kek');
}

/** The KEK a seal/open/rewrap names: an administered one (`kek`) or the KMS key of hello. */
async function kekOf(p: Record<string, unknown>, ctx: AreaContext): Promise<{ kek: KekProvider; opts: EnvelopeOptions }> {
  if (p.kek === undefined) return { kek: await kekFor(ctx), opts: { crypto: ctx.provider } };
  const a = adminKek(p, ctx);
  return { kek: a.ring, opts: { crypto: ctx.provider, ...(a.cache ? { cache: a.cache } : {}) } };
}

export const envelopeArea: Area = {
  name: 'envelope',
  // @req CONF-150
  capabilities: () => ({ envelope: { kms: ['aws'], kek_admin: true, cache: true } }),
  methods: {
    async 'envelope.seal'(p, ctx) {
      const plaintext = hexParam(p, 'plaintext');
      const context = contextParam(p, 'context');
      const { kek, opts } = await kekOf(p, ctx);
      return { envelope: toHex(await sealEnvelope(kek, plaintext, context, opts)) };
    },
    async 'envelope.open'(p, ctx) {
      const envelope = hexParam(p, 'envelope');
      const context = contextParam(p, 'context');
      const { kek, opts } = await kekOf(p, ctx);
      return { plaintext: toHex(await openEnvelope(kek, envelope, context, opts)) };
    },
    async 'envelope.rewrap'(p, ctx) {
      const envelope = hexParam(p, 'envelope');
      const { kek } = await kekOf(p, ctx);
      return { envelope: toHex(await rewrapEnvelope(kek, envelope)) };
    },
    'envelope.kek_new'(p, ctx) {
      const time = { now: ADMIN_CLOCK_START };
      const clock = () => time.now;
      const cache = cacheParam(p, clock);
      // A distinct KEK id per KEK, so one KEK refuses another's envelopes (ENV-014).
      const ring = LocalKekRing.open({ clock, crypto: ctx.provider, kekId: `local:adapter-${toHex(ctx.provider.randomBytes(8))}` });
      const admin: AdminKek = { ring, cache, time };
      return { kek: ctx.objects.put('kek', admin) };
    },
    async 'envelope.kek_rotate'(p, ctx) {
      const a = adminKek(p, ctx);
      const version = await a.ring.rotate();
      return { version };
    },
    async 'envelope.kek_retire'(p, ctx) {
      const a = adminKek(p, ctx);
      await a.ring.retire(checkVersionArg(p.version));
      return {};
    },
    async 'envelope.kek_versions'(p, ctx) {
      const a = adminKek(p, ctx);
      const versions = (await a.ring.versions()).map((v) => ({ version: v.version, retired: v.state === 'retired' }));
      return { current: await a.ring.currentVersion(), versions };
    },
    'envelope.kek_advance'(p, ctx) {
      const a = adminKek(p, ctx);
      const ms = optIntParam(p, 'ms');
      if (ms === undefined || ms > MAX_ADVANCE_MS) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "ms" must be an integer 0..${MAX_ADVANCE_MS}`);
      a.time.now += ms;
      return {};
    },
  },
};
