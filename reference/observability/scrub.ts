/**
 * The scrubber: turns any value a caller wants to log or attach to a trace span into a JSON-safe
 * plain value with routing metadata removed and anything that looks like key material or
 * ciphertext replaced by a length-only marker (spec/observability.md). Pure: the input is never
 * modified, and no input -- cyclic, a throwing getter, a revoked Proxy -- makes it throw.
 */
import { dict } from '../dict.js';

/** A JSON-safe value: what leaves the scrubber. */
export type Scrubbed = null | boolean | number | string | Scrubbed[] | { [key: string]: Scrubbed };

/** Which fields are removed; built from a SecurityConfig by `scrubPolicyFrom`. */
export interface ScrubPolicy {
  /** Remove routing metadata fields (observability.stripRoutingHeaders). */
  readonly stripRouting: boolean;
  /** Normalized names of the routing fields (see `normalizeFieldName`). */
  readonly routingFields: ReadonlySet<string>;
  /** Remove envelope/storage metadata fields (storage.metadataScrubbing). */
  readonly stripMetadata: boolean;
  readonly metadataFields: ReadonlySet<string>;
}

/** Routing metadata: who talks to whom and what kind of message, the traffic-analysis surface. */
export const ROUTING_FIELDS: readonly string[] = ['peer_id', 'routing_hint', 'message_type'];
/** Storage metadata that an envelope binds but a log must not repeat (tenant ids and the like live here). */
export const METADATA_FIELDS: readonly string[] = ['encryption_context', 'associated_data', 'aad'];

/**
 * Field names whose value is secret whatever it looks like (a short PIN, a passphrase in words).
 * Matched on the normalized name: exactly, or as a suffix for the longer names.
 */
const SECRET_NAMES_EXACT = new Set(['pin', 'dek', 'kek', 'seed', 'token', 'sk', 'psk', 'plaintext']);
const SECRET_NAME_SUFFIXES = ['privatekey', 'secretkey', 'secret', 'password', 'passphrase', 'chainkey', 'rootkey', 'messagekey', 'sharedsecret', 'apikey', 'accesskey', 'sessionkey', 'userpin'];

/** Limits that keep the output bounded whatever the input (a log line must not become a memory bomb). */
export const SCRUB_LIMITS = { depth: 16, keys: 256, items: 256, stringChars: 4096 } as const;

/**
 * `peer_id`, `peerId`, `Peer-ID`, `X-Peer-Id` and `peer.id` all name the same field: lower case,
 * an HTTP-style `x-` prefix dropped, separators removed.
 */
export function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/^x[-_]/, '').replace(/[^a-z0-9]/g, '');
}

export function makeScrubPolicy(options: { stripRouting: boolean; extraRoutingFields?: readonly string[]; stripMetadata: boolean }): ScrubPolicy {
  return {
    stripRouting: options.stripRouting,
    routingFields: new Set([...ROUTING_FIELDS, ...(options.extraRoutingFields ?? [])].map(normalizeFieldName)),
    stripMetadata: options.stripMetadata,
    metadataFields: new Set(METADATA_FIELDS.map(normalizeFieldName)),
  };
}

/** The policy of the secure defaults: routing and metadata fields stripped. */
export const DEFAULT_SCRUB_POLICY: ScrubPolicy = makeScrubPolicy({ stripRouting: true, stripMetadata: true });

/** True when a field of this name is dropped entirely under `policy`. */
export function isStrippedField(name: string, policy: ScrubPolicy): boolean {
  // A dotted trace attribute (`agentsec.peer_id`) is stripped when any segment names a stripped field.
  const parts = [name, ...name.split('.')].map(normalizeFieldName);
  // @req OBS-001
  if (policy.stripRouting && parts.some((p) => policy.routingFields.has(p))) return true;
  // @req OBS-002
  if (policy.stripMetadata && parts.some((p) => policy.metadataFields.has(p))) return true;
  return false;
}

/** True when the field's value is secret by its name alone. */
export function isSecretField(name: string): boolean {
  const n = normalizeFieldName(name.split('.').pop() ?? name);
  return SECRET_NAMES_EXACT.has(n) || SECRET_NAME_SUFFIXES.some((s) => n.endsWith(s));
}

// Runs of the base64 / base64url alphabet (hex is a subset); '=' padding belongs to the run.
const TOKEN_RUN = /[A-Za-z0-9+/_-]{32,}={0,2}/g;
const HEX_ONLY = /^[0-9a-fA-F]+$/;
/** A Noise protocol name by its grammar: public, and needed in every log and span about a handshake. */
// Segments are short (XXfallback+psk0, 25519+MLKEM768, ChaChaPoly, BLAKE2b): no key fits in one.
const NOISE_NAME = /^Noise_[A-Za-z0-9+]{1,24}_[A-Za-z0-9+]{1,16}_[A-Za-z0-9]{1,16}_[A-Za-z0-9]{1,12}$/;

/** How many of the classes upper, lower, digit, base64 symbol a run uses: random encodings use several; `-` and `_` do not count (identifiers use them). */
function charClasses(s: string): number {
  return (/[A-Z]/.test(s) ? 1 : 0) + (/[a-z]/.test(s) ? 1 : 0) + (/[0-9]/.test(s) ? 1 : 0) + (/[+/=]/.test(s) ? 1 : 0);
}

/**
 * Replaces every run that looks like an encoding of key material or ciphertext with a marker
 * giving only its length: hex of 32+ characters (16+ bytes), and base64/base64url runs that are
 * long and mixed enough to be random (40+ characters over 2+ character classes, or 32+ over 3+).
 * A long all-lower-case-and-hyphen identifier is left alone; a long camelCase one may not be
 * (a false positive costs readability, a false negative a key).
 */
export function redactString(s: string): string {
  const text = s.length > SCRUB_LIMITS.stringChars ? s.slice(0, SCRUB_LIMITS.stringChars) : s;
  const out = text.replace(TOKEN_RUN, (run) => {
    // @req OBS-003
    if (HEX_ONLY.test(run)) return `[redacted hex ${run.length} chars]`;
    // @req OBS-026
    if (NOISE_NAME.test(run)) return run;
    // A hex secret can hide inside a longer word-ish run (`key_<hex>`): check the hex stretches too.
    const classes = charClasses(run);
    // @req OBS-004
    if ((run.length >= 40 && classes >= 2) || classes >= 3) return `[redacted base64 ${run.length} chars]`;
    return run.replace(/[0-9a-fA-F]{32,}/g, (h) => `[redacted hex ${h.length} chars]`);
  });
  return text.length < s.length ? `${out}[truncated ${s.length - text.length} chars]` : out;
}

function bytesMarker(n: number): string {
  return `[redacted ${n} bytes]`;
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function isBufferJson(v: Record<string, unknown>): boolean {
  // Buffer#toJSON's shape: a serialized Buffer is still key material.
  return v.type === 'Buffer' && Array.isArray(v.data);
}

/**
 * Scrubs one value under `policy` (see the file comment). `ancestors` holds the objects on the
 * current path, so a shared (non-cyclic) object is shown every time and only a true cycle is cut.
 */
export function scrubValue(value: unknown, policy: ScrubPolicy = DEFAULT_SCRUB_POLICY): Scrubbed {
  return walk(value, policy, new Set<object>(), 0);
}

function walk(v: unknown, policy: ScrubPolicy, ancestors: Set<object>, depth: number): Scrubbed {
  switch (typeof v) {
    case 'string':
      return redactString(v);
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'boolean':
      return v;
    case 'bigint':
      return redactString(v.toString());
    case 'undefined':
      return null;
    case 'symbol':
      return '[symbol]';
    case 'function':
      return '[function]';
  }
  if (v === null) return null;
  const obj = v as object;
  // @req OBS-005: raw bytes are key material or ciphertext until proven otherwise; only the length survives.
  if (safe(() => ArrayBuffer.isView(obj), false)) return bytesMarker(safe(() => (obj as ArrayBufferView).byteLength, 0));
  if (safe(() => obj instanceof ArrayBuffer || obj instanceof SharedArrayBuffer, false)) return bytesMarker(safe(() => (obj as ArrayBuffer).byteLength, 0));
  // @req OBS-006: cycles and runaway depth end in a marker, never a stack overflow.
  if (ancestors.has(obj)) return '[cycle]';
  if (depth >= SCRUB_LIMITS.depth) return '[depth limit]';
  ancestors.add(obj);
  try {
    return safe(() => walkObject(obj, policy, ancestors, depth), '[unreadable]');
  } finally {
    ancestors.delete(obj);
  }
}

function walkObject(obj: object, policy: ScrubPolicy, ancestors: Set<object>, depth: number): Scrubbed {
  if (obj instanceof Date) return safe(() => obj.toISOString(), '[invalid date]');
  if (obj instanceof Error) return walkError(obj, policy, ancestors, depth);
  if (obj instanceof Map) return walkEntries(Array.from(obj.entries(), ([k, x]) => [String(k), x] as const), policy, ancestors, depth);
  if (Array.isArray(obj) || obj instanceof Set) {
    const items = Array.isArray(obj) ? obj : Array.from(obj);
    const out: Scrubbed[] = [];
    for (let i = 0; i < Math.min(items.length, SCRUB_LIMITS.items); i++) out.push(walk(safe(() => items[i], '[unreadable]'), policy, ancestors, depth + 1));
    if (items.length > SCRUB_LIMITS.items) out.push(`[${items.length - SCRUB_LIMITS.items} more items]`);
    return out;
  }
  if (obj instanceof WeakMap || obj instanceof WeakSet || obj instanceof Promise) return `[${obj.constructor.name}]`;
  const rec = obj as Record<string, unknown>;
  if (safe(() => isBufferJson(rec), false)) return bytesMarker(safe(() => (rec.data as unknown[]).length, 0));
  const keys = Object.keys(obj);
  return walkEntries(
    keys.map((k) => [k, safe(() => rec[k], '[unreadable]' as unknown)] as const),
    policy,
    ancestors,
    depth,
  );
}

function walkEntries(entries: ReadonlyArray<readonly [string, unknown]>, policy: ScrubPolicy, ancestors: Set<object>, depth: number): Scrubbed {
  const out = dict<Scrubbed>();
  let kept = 0;
  for (const [k, x] of entries) {
    if (isStrippedField(k, policy)) continue;
    if (kept >= SCRUB_LIMITS.keys) {
      out['[more keys]'] = entries.length - kept;
      break;
    }
    const key = redactString(k);
    // @req OBS-007
    if (isSecretField(k) && x !== undefined && x !== null) out[key] = '[redacted]';
    else out[key] = walk(x, policy, ancestors, depth + 1);
    kept++;
  }
  return out;
}

function walkError(e: Error, policy: ScrubPolicy, ancestors: Set<object>, depth: number): Scrubbed {
  // The name, message and the AgentsecError kind/reason; no stack (paths and frames are noise, and a
  // message is scrubbed like any string). `cause` is followed like any nested value.
  const out: Record<string, Scrubbed> = { name: redactString(safe(() => String(e.name), 'Error')), message: redactString(safe(() => String(e.message), '')) };
  const rec = e as unknown as Record<string, unknown>;
  for (const k of ['kind', 'reason', 'code']) {
    const x = safe(() => rec[k], undefined);
    if (typeof x === 'string') out[k] = redactString(x);
  }
  const cause = safe(() => rec.cause, undefined);
  if (cause !== undefined) out.cause = walk(cause, policy, ancestors, depth + 1);
  return out;
}
