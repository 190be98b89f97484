/**
 * Envelope encryption (spec/envelope.md): seal, open, rewrap, sealMany. The plaintext data key
 * lives only in memory for the duration of one call (or one cache entry) and is wiped after use.
 */
import type { Attributes } from '@opentelemetry/api';
import { abytes, equalBytes, toHex, utf8, wipe } from '../bytes.js';
import { getProvider, type CryptoProvider } from '../crypto/index.js';
import { AgentsecError } from '../errors.js';
import { traced } from '../observability/tracing.js';
import type { DataKeyCache } from './cache.js';
import {
  COMMIT_LENGTH,
  ENVELOPE_VERSION,
  NONCE_LENGTH,
  SALT_LENGTH,
  SUITE_AES256GCM_HKDF_SHA256,
  canonicalContext,
  decodeEnvelope,
  decodeEnvelopeView,
  encodeEnvelope,
  payloadAad,
  type EncryptionContext,
  type Envelope,
} from './format.js';
import { unwrapFailed, wrongKekError, type KekProvider, type WrappedKey } from './kek.js';

export const DATA_KEY_LENGTH = 32;
/** Envelopes protect stored payloads; larger objects should be chunked by the caller. */
export const MAX_PLAINTEXT_LENGTH = 64 * 1024 * 1024;
/** The context key under which providers receive the context digest they bind the wrap to. */
export const CONTEXT_BINDING_KEY = 'agentsec:context';

const INFO_KEY = utf8('agentsec/envelope/v1 payload-key');
const INFO_COMMIT = utf8('agentsec/envelope/v1 commitment');
const CONTEXT_DIGEST_LABEL = utf8('agentsec/envelope/v1 context');

export interface EnvelopeOptions {
  readonly crypto?: CryptoProvider;
  /** Data key cache; absent means a fresh data key per payload (the default). */
  readonly cache?: DataKeyCache;
}

function crypto(opts?: EnvelopeOptions): CryptoProvider {
  return opts?.crypto ?? getProvider('noble');
}

function contextDigest(c: CryptoProvider, canonicalCtx: Uint8Array): Uint8Array {
  const buf = new Uint8Array(CONTEXT_DIGEST_LABEL.length + canonicalCtx.length);
  buf.set(CONTEXT_DIGEST_LABEL);
  buf.set(canonicalCtx, CONTEXT_DIGEST_LABEL.length);
  return c.hash('SHA-256', buf);
}

/** What the KEK wrap is bound to: the digest of the context, so a rewrap needs only the envelope. */
function bindingContext(digest: Uint8Array): EncryptionContext {
  return { [CONTEXT_BINDING_KEY]: toHex(digest) };
}

/** The per-payload key and the key commitment, both derived from the data key and the salt. */
function derive(c: CryptoProvider, dataKey: Uint8Array, salt: Uint8Array): { key: Uint8Array; commitment: Uint8Array } {
  // @req ENV-005
  const key = c.hkdf('SHA-256', dataKey, salt, INFO_KEY, 32);
  // @req ENV-006
  const commitment = c.hkdf('SHA-256', dataKey, salt, INFO_COMMIT, COMMIT_LENGTH);
  return { key, commitment };
}

// @req OBS-025: sizes, versions and the context (metadata, stripped by the scrubbing processor) only.
const envelopeAttrs = (kek: KekProvider, context: EncryptionContext, size: number): Attributes => ({ 'agentsec.kek.provider': kek.constructor.name, 'agentsec.size': size, 'agentsec.encryption_context': Object.keys(context).sort().join(',') });

export function seal(kek: KekProvider, plaintext: Uint8Array, context: EncryptionContext, opts?: EnvelopeOptions): Promise<Uint8Array> {
  return traced('agentsec.envelope.seal', envelopeAttrs(kek, context, plaintext?.length ?? 0), () => sealUntraced(kek, plaintext, context, opts));
}

async function sealUntraced(kek: KekProvider, plaintext: Uint8Array, context: EncryptionContext, opts?: EnvelopeOptions): Promise<Uint8Array> {
  abytes(plaintext, 'plaintext');
  if (plaintext.length > MAX_PLAINTEXT_LENGTH) {
    throw new AgentsecError('policy_reject', 'PLAINTEXT_TOO_LONG', `plaintext of ${plaintext.length} bytes exceeds ${MAX_PLAINTEXT_LENGTH}`);
  }
  const c = crypto(opts);
  const canon = canonicalContext(context);
  const digest = contextDigest(c, canon);
  const binding = bindingContext(digest);

  let dataKey: Uint8Array;
  let wrapped: WrappedKey;
  let release: () => void;
  if (opts?.cache) {
    const lease = await opts.cache.lease({ kek, kekVersion: await kek.currentVersion(), contextDigest: digest }, async () => {
      const dk = c.randomBytes(DATA_KEY_LENGTH);
      try {
        return { dataKey: dk, wrapped: await kek.wrap(dk, binding) };
      } catch (e) {
        wipe(dk);
        throw e;
      }
    });
    dataKey = lease.dataKey;
    wrapped = lease.wrapped;
    release = lease.release;
  } else {
    // @req ENV-004
    dataKey = c.randomBytes(DATA_KEY_LENGTH);
    try {
      wrapped = await kek.wrap(dataKey, binding);
    } catch (e) {
      wipe(dataKey);
      throw e;
    }
    const dk = dataKey;
    release = () => wipe(dk);
  }
  const salt = c.randomBytes(SALT_LENGTH);
  const nonce = c.randomBytes(NONCE_LENGTH);
  const { key, commitment } = derive(c, dataKey, salt);
  try {
    const header = { version: ENVELOPE_VERSION, suite: SUITE_AES256GCM_HKDF_SHA256, contextDigest: digest, salt, commitment, nonce };
    const payload = c.aead('AES-256-GCM').seal(key, nonce, plaintext, payloadAad(header, canon));
    return encodeEnvelope({ ...header, kekId: wrapped.kekId, kekVersion: wrapped.kekVersion, wrapped: wrapped.wrapped, payload });
  } finally {
    // @req ENV-008
    wipe(key);
    release();
  }
}

export function open(kek: KekProvider, envelope: Uint8Array, context: EncryptionContext, opts?: EnvelopeOptions): Promise<Uint8Array> {
  return traced('agentsec.envelope.open', envelopeAttrs(kek, context, envelope?.length ?? 0), () => openUntraced(kek, envelope, context, opts));
}

async function openUntraced(kek: KekProvider, envelope: Uint8Array, context: EncryptionContext, opts?: EnvelopeOptions): Promise<Uint8Array> {
  const c = crypto(opts);
  // Read-only use: views, not copies (a 1 MiB payload is not copied before it is opened).
  const e = decodeEnvelopeView(envelope);
  // @req ENV-014
  if (e.kekId !== kek.kekId) throw wrongKekError(kek.kekId, e.kekId);
  const canon = canonicalContext(context);
  const digest = contextDigest(c, canon);
  // @req ENV-010
  if (!equalBytes(digest, e.contextDigest)) throw unwrapFailed();
  const dataKey = await kek.unwrap({ wrapped: e.wrapped, kekId: e.kekId, kekVersion: e.kekVersion }, bindingContext(digest));
  const { key, commitment } = derive(c, dataKey, e.salt);
  try {
    // @req ENV-006
    if (!equalBytes(commitment, e.commitment)) throw unwrapFailed();
    try {
      return c.aead('AES-256-GCM').open(key, e.nonce, e.payload, payloadAad(e, canon));
    } catch (err) {
      if (err instanceof AgentsecError && err.kind === 'auth_failure') throw unwrapFailed();
      throw err;
    }
  } finally {
    wipe(dataKey, key);
  }
}

/**
 * Moves the envelope's data key to the KEK's current version. Only the wrapped key and the version
 * change; the payload bytes stay identical (ENV-020). An envelope already current is returned as is.
 */
export function rewrap(kek: KekProvider, envelope: Uint8Array): Promise<Uint8Array> {
  return traced('agentsec.envelope.rewrap', { 'agentsec.kek.provider': kek.constructor.name, 'agentsec.size': envelope?.length ?? 0 }, () => rewrapUntraced(kek, envelope));
}

async function rewrapUntraced(kek: KekProvider, envelope: Uint8Array): Promise<Uint8Array> {
  const e = decodeEnvelope(envelope);
  if (e.kekId !== kek.kekId) throw wrongKekError(kek.kekId, e.kekId);
  const current = await kek.currentVersion();
  if (e.kekVersion === current) return envelope;
  const binding = bindingContext(e.contextDigest);
  const old: WrappedKey = { wrapped: e.wrapped, kekId: e.kekId, kekVersion: e.kekVersion };
  let next: WrappedKey;
  if (kek.rewrap) {
    next = await kek.rewrap(old, binding);
  } else {
    const dataKey = await kek.unwrap(old, binding);
    try {
      next = await kek.wrap(dataKey, binding);
    } finally {
      wipe(dataKey);
    }
  }
  // @req ENV-020
  const moved: Envelope = { ...e, kekId: next.kekId, kekVersion: next.kekVersion, wrapped: next.wrapped };
  return encodeEnvelope(moved);
}

/** Reads the KEK id and version of an envelope without unwrapping anything (for scans). */
export function inspect(envelope: Uint8Array): { kekId: string; kekVersion: number; payloadLength: number } {
  const e = decodeEnvelope(envelope);
  return { kekId: e.kekId, kekVersion: e.kekVersion, payloadLength: e.payload.length };
}

/** The payload part (nonce and AEAD ciphertext) of an envelope: what a rewrap must leave untouched. */
export function payloadBytes(envelope: Uint8Array): Uint8Array {
  const e = decodeEnvelope(envelope);
  const out = new Uint8Array(e.nonce.length + e.payload.length);
  out.set(e.nonce);
  out.set(e.payload, e.nonce.length);
  return out;
}

export interface SealManyOptions extends EnvelopeOptions {
  /** Most seals (and so KEK calls) in flight at once; default 8. */
  readonly concurrency?: number;
}

/** Seals many payloads with at most `concurrency` KEK calls in flight; results keep input order. */
export async function sealMany(
  kek: KekProvider,
  items: readonly { plaintext: Uint8Array; context: EncryptionContext }[],
  opts?: SealManyOptions,
): Promise<Uint8Array[]> {
  const limit = opts?.concurrency ?? 8;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1024) {
    throw new AgentsecError('policy_reject', 'BAD_CONCURRENCY', `concurrency must be 1..1024, got ${limit}`);
  }
  const out: Uint8Array[] = new Array<Uint8Array>(items.length);
  let next = 0;
  // @req ENV-040
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const it = items[i]!;
      out[i] = await seal(kek, it.plaintext, it.context, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
