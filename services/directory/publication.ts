/**
 * The rules of a publication (spec/directory.md DIR-001, DIR-002, DIR-013, DIR-014): the batch is
 * parsed and every signature verified (node:crypto Ed25519, in slices that yield to the event loop
 * so concurrent fetches are served meanwhile), then checked against the agent's stored state inside
 * the store's transaction by `checkPublication`, a pure function of plain records.
 */
import { AgentsecError } from '../../reference/errors.js';
import { fromHex, toHex } from '../../reference/bytes.js';
import type { CryptoProvider } from '../../reference/crypto/provider.js';
import { decodeBundle } from '../../reference/session/bundle.js';
import type { DirectoryLimits } from './limits.js';

export interface VerifiedBundle {
  readonly bytes: Uint8Array;
  readonly spkId: number;
  /** `ec:<id>` for a one-time X25519 prekey, `pq:<id>` for a one-time ML-KEM prekey. */
  readonly prekeyIds: readonly string[];
}

export interface VerifiedBatch {
  readonly identity: { readonly signing: string; readonly agreement: string };
  readonly singleUse: readonly VerifiedBundle[];
  readonly reusable?: VerifiedBundle;
  readonly bytes: number;
}

/** What a store knows of an agent when a publication arrives. */
export interface AgentState {
  readonly signing: string;
  readonly agreement: string;
  /** Signed prekey id of the reusable bundle stored last (null before the first one). */
  readonly spkId: number | null;
  readonly storedBundles: number;
  readonly storedBytes: number;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Parses and verifies a `{"bundles": [hex, ...]}` body; throws with the index of the first bad bundle. */
export async function verifyBatch(p: CryptoProvider, body: unknown, limits: DirectoryLimits): Promise<VerifiedBatch> {
  const list = (body as { bundles?: unknown } | null)?.bundles;
  if (!Array.isArray(list) || list.length === 0) throw new AgentsecError('decode_failure', 'BAD_BATCH', `"bundles" must be a non-empty array of hex strings`);
  // @req DIR-014
  if (list.length > limits.maxBatch) throw new AgentsecError('policy_reject', 'QUOTA_BATCH', `a publication carries at most ${limits.maxBatch} bundles, got ${list.length}`);
  const singleUse: VerifiedBundle[] = [];
  let reusable: VerifiedBundle | undefined;
  let identity: VerifiedBatch['identity'] | undefined;
  const ids = new Set<string>();
  let bytes = 0;
  for (const [i, item] of list.entries()) {
    // @req DIR-016: verification yields to the event loop every `verifySlice` bundles.
    if (i > 0 && i % limits.verifySlice === 0) await turn();
    let b;
    let raw: Uint8Array;
    try {
      raw = fromHex(item, `bundles[${i}]`);
      // @req DIR-001: every bundle is parsed and its signatures verified before anything is stored.
      b = decodeBundle(p, raw);
    } catch (e) {
      if (e instanceof AgentsecError) throw new AgentsecError(e.kind, e.reason, `bundles[${i}]: ${e.message}`);
      throw e;
    }
    const id = { signing: toHex(b.identitySigning), agreement: toHex(b.identityAgreement) };
    if (identity && (identity.signing !== id.signing || identity.agreement !== id.agreement)) {
      throw new AgentsecError('policy_reject', 'MIXED_IDENTITIES', `bundles[${i}] is signed by a different identity than bundles[0]`);
    }
    identity = id;
    bytes += raw.length;
    const prekeyIds: string[] = [];
    if (b.oneTimePrekey) prekeyIds.push(`ec:${b.oneTimePrekey.id}`);
    if (b.pqPrekey?.kind === 'oneTime') prekeyIds.push(`pq:${b.pqPrekey.id}`);
    for (const k of prekeyIds) {
      // @req DIR-013
      if (ids.has(k)) throw new AgentsecError('duplicate', 'PREKEY_REUSED', `bundles[${i}] repeats one-time prekey ${k} of this batch`);
      ids.add(k);
    }
    const v: VerifiedBundle = { bytes: raw, spkId: b.signedPrekey.id, prekeyIds };
    if (prekeyIds.length > 0) singleUse.push(v);
    else if (reusable) throw new AgentsecError('decode_failure', 'BAD_BATCH', `bundles[${i}] is a second reusable bundle; a batch carries at most one`);
    else reusable = v;
  }
  return { identity: identity!, singleUse, ...(reusable ? { reusable } : {}), bytes };
}

/** The checks against stored state; run inside the store's write transaction. Throws, never mutates. */
export function checkPublication(agent: string, current: AgentState | undefined, batch: VerifiedBatch, limits: DirectoryLimits): void {
  if (current && (current.signing !== batch.identity.signing || current.agreement !== batch.identity.agreement)) {
    // @req DIR-002
    throw new AgentsecError('policy_reject', 'IDENTITY_CHANGED', `agent "${agent}" is published under other identity keys`);
  }
  const floor = current?.spkId ?? null;
  if (floor !== null) {
    // @req DIR-013: the reusable bundle's signed prekey only moves forward; no bundle of a superseded one is accepted.
    const stale = [...batch.singleUse, ...(batch.reusable ? [batch.reusable] : [])].find((b) => b.spkId < floor);
    if (stale) throw new AgentsecError('policy_reject', 'SIGNED_PREKEY_ROLLBACK', `signed prekey ${stale.spkId} is older than the current ${floor}; publish bundles of the current signed prekey`);
  }
  // @req DIR-014
  const bundles = (current?.storedBundles ?? 0) + batch.singleUse.length;
  if (bundles > limits.maxStoredBundles) throw new AgentsecError('policy_reject', 'QUOTA_BUNDLES', `agent "${agent}" would store ${bundles} single-use bundles (limit ${limits.maxStoredBundles})`);
  const bytes = (current?.storedBytes ?? 0) + batch.bytes;
  if (bytes > limits.maxStoredBytes) throw new AgentsecError('policy_reject', 'QUOTA_BYTES', `agent "${agent}" would store ${bytes} bytes of bundles (limit ${limits.maxStoredBytes})`);
}

export function prekeyReused(agent: string): AgentsecError {
  return new AgentsecError('duplicate', 'PREKEY_REUSED', `a one-time prekey of this batch was already published by "${agent}"; each is accepted once, ever`);
}
