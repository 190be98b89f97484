/**
 * Signed requests (spec/directory.md DIR-009..DIR-012). An agent signs each mutating request and
 * each mailbox read with its pinned Ed25519 identity key over
 *   lp("agentsec/1 directory request", method, path, SHA-256(body), agent, timestamp, nonce)
 * and sends the parts in headers. The directory checks the skew window, the key (pinned for the
 * name, or for a first publication the key the bundles are signed by), the signature, then the
 * nonce against a bounded replay cache.
 */
import { createHash } from 'node:crypto';
import { AgentsecError } from '../../reference/errors.js';
import { lp } from '../../reference/records/encoding.js';

export const HEADER = {
  agent: 'agentsec-agent',
  key: 'agentsec-key',
  timestamp: 'agentsec-timestamp',
  nonce: 'agentsec-nonce',
  signature: 'agentsec-signature',
  registrationToken: 'agentsec-registration-token',
} as const;

const LABEL = new TextEncoder().encode('agentsec/1 directory request');
const enc = (s: string) => new TextEncoder().encode(s);

export interface SignedParts {
  readonly method: string;
  /** The request target exactly as sent (path and query). */
  readonly path: string;
  readonly body: Uint8Array;
  readonly agent: string;
  readonly timestamp: number;
  readonly nonce: string;
}

export function requestSigningMessage(r: SignedParts): Uint8Array {
  // @req DIR-009
  const digest = createHash('sha256').update(r.body).digest();
  return lp(LABEL, enc(r.method.toUpperCase()), enc(r.path), digest, enc(r.agent), enc(String(r.timestamp)), enc(r.nonce));
}

export interface RequestCredentials {
  readonly agent: string;
  readonly key: Uint8Array;
  readonly timestamp: number;
  readonly nonce: string;
  readonly signature: Uint8Array;
}

const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const NONCE = /^[0-9a-f]{32}$/;

/** Reads the signature headers; a missing or malformed one is `auth_failure` UNSIGNED / BAD_AUTH_HEADER. */
export function readCredentials(headers: Record<string, string | string[] | undefined>): RequestCredentials {
  const h = (k: string): string | undefined => {
    const v = headers[k];
    return Array.isArray(v) ? undefined : v;
  };
  const agent = h(HEADER.agent), key = h(HEADER.key), ts = h(HEADER.timestamp), nonce = h(HEADER.nonce), sig = h(HEADER.signature);
  if (agent === undefined && key === undefined && ts === undefined && nonce === undefined && sig === undefined) {
    throw new AgentsecError('auth_failure', 'UNSIGNED', 'this request must be signed by the agent (agentsec-agent, -key, -timestamp, -nonce, -signature headers)');
  }
  if (agent === undefined || !NAME.test(agent)) throw badHeader(HEADER.agent, 'an agent name [A-Za-z0-9._-]{1,128}');
  if (key === undefined || !HEX64.test(key)) throw badHeader(HEADER.key, '64 lowercase hex digits (Ed25519 public key)');
  if (ts === undefined || !/^[0-9]{1,16}$/.test(ts)) throw badHeader(HEADER.timestamp, 'milliseconds since the epoch');
  if (nonce === undefined || !NONCE.test(nonce)) throw badHeader(HEADER.nonce, '32 lowercase hex digits');
  if (sig === undefined || !HEX128.test(sig)) throw badHeader(HEADER.signature, '128 lowercase hex digits (Ed25519 signature)');
  return { agent, key: new Uint8Array(Buffer.from(key, 'hex')), timestamp: Number(ts), nonce, signature: new Uint8Array(Buffer.from(sig, 'hex')) };
}

function badHeader(name: string, want: string): AgentsecError {
  return new AgentsecError('auth_failure', 'BAD_AUTH_HEADER', `header ${name} must be ${want}`);
}

export function checkSkew(timestamp: number, now: number, skewMs: number): void {
  // @req DIR-010
  if (Math.abs(now - timestamp) > skewMs) {
    throw new AgentsecError('auth_failure', 'CLOCK_SKEW', `request timestamp is more than ${skewMs} ms from the directory's clock; check the agent's clock and sign again`);
  }
}

/**
 * Nonces seen within the window in which a timestamp is still accepted (2 x skew). Bounded: expired
 * entries are dropped first; when every slot holds a live nonce the request is refused (fail closed)
 * rather than forgetting a nonce that could then be replayed.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity: number, private readonly windowMs: number) {}

  get size(): number {
    return this.seen.size;
  }

  /** Records `key` at `now`; throws `duplicate` REPLAYED when it was seen inside the window. */
  admit(key: string, now: number): void {
    // @req DIR-011
    const at = this.seen.get(key);
    if (at !== undefined && now - at <= this.windowMs) throw new AgentsecError('duplicate', 'REPLAYED', 'this signed request was already received (nonce reused); sign a new request');
    if (at !== undefined) this.seen.delete(key);
    if (this.seen.size >= this.capacity) this.evictExpired(now);
    if (this.seen.size >= this.capacity) throw new AgentsecError('policy_reject', 'REPLAY_CACHE_FULL', 'the directory is receiving more signed requests than its replay cache holds; retry later');
    this.seen.set(key, now);
  }

  private evictExpired(now: number): void {
    // Insertion order is arrival order, so expired nonces are at the front.
    for (const [k, at] of this.seen) {
      if (now - at <= this.windowMs) break;
      this.seen.delete(k);
    }
  }
}
