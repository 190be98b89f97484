/**
 * agentsec-adapter/1 `envelope.*` methods of the reference (spec/adapter-protocol.md):
 * - `envelope.seal {plaintext, context}` -> `{envelope}`
 * - `envelope.open {envelope, context}` -> `{plaintext}`
 * - `envelope.rewrap {envelope}` -> `{envelope}`
 * The KEK is the KMS key the harness names in `hello` (services.kms), used through the AWS SDK.
 */
import { AgentsecError, AwsKmsKek, openEnvelope, rewrapEnvelope, sealEnvelope, toHex } from '../reference/index.js';
import type { Area, AreaContext } from './area.js';
import { contextParam, hexParam } from './params.js';

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

export const envelopeArea: Area = {
  name: 'envelope',
  capabilities: () => ({ envelope: { kms: ['aws'] } }),
  methods: {
    async 'envelope.seal'(p, ctx) {
      const plaintext = hexParam(p, 'plaintext');
      const context = contextParam(p, 'context');
      const env = await sealEnvelope(await kekFor(ctx), plaintext, context, { crypto: ctx.provider });
      return { envelope: toHex(env) };
    },
    async 'envelope.open'(p, ctx) {
      const envelope = hexParam(p, 'envelope');
      const context = contextParam(p, 'context');
      return { plaintext: toHex(await openEnvelope(await kekFor(ctx), envelope, context, { crypto: ctx.provider })) };
    },
    async 'envelope.rewrap'(p, ctx) {
      const envelope = hexParam(p, 'envelope');
      return { envelope: toHex(await rewrapEnvelope(await kekFor(ctx), envelope)) };
    },
  },
};
