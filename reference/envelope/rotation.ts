/**
 * The KEK rotation lifecycle (spec/envelope.md "Rotation and retirement"): find the envelopes that
 * must be rewrapped before their version leaves its grace period, and retire the versions whose
 * grace period has ended.
 */
import { AgentsecError } from '../errors.js';
import { inspect } from './envelope.js';
import type { KekProvider } from './kek.js';

export interface StoredEnvelope {
  /** The caller's name for it (object key, message id). */
  readonly ref: string;
  readonly envelope: Uint8Array;
}

export interface ScanFinding {
  readonly ref: string;
  readonly kekVersion: number;
  /** 'expiring': grace ends before the horizon; 'expired': grace already over; 'retired': no longer opens. */
  readonly status: 'expiring' | 'expired' | 'retired';
  readonly graceEndsAt?: number;
}

/**
 * Lists the envelopes still wrapped under a non-current version whose grace period ends before
 * `now + horizonMs` (or has ended, or whose version is retired). Envelopes under another KEK or that
 * do not parse are reported by the thrown error of `inspect` only if `strict`; otherwise skipped.
 */
export async function scanForRewrap(
  kek: KekProvider,
  envelopes: Iterable<StoredEnvelope> | AsyncIterable<StoredEnvelope>,
  opts: { now: number; horizonMs: number },
): Promise<ScanFinding[]> {
  if (!Number.isFinite(opts.now) || !Number.isFinite(opts.horizonMs) || opts.horizonMs < 0) {
    throw new AgentsecError('decode_failure', 'BAD_SCAN_ARGS', 'scan needs a finite now and a non-negative horizon');
  }
  const byVersion = new Map((await kek.versions()).map((v) => [v.version, v]));
  const out: ScanFinding[] = [];
  const limit = opts.now + opts.horizonMs;
  for await (const item of envelopes) {
    const e = inspect(item.envelope);
    if (e.kekId !== kek.kekId) continue;
    const v = byVersion.get(e.kekVersion);
    if (!v || v.state === 'current') continue;
    // @req ENV-024
    if (v.state === 'retired') out.push({ ref: item.ref, kekVersion: e.kekVersion, status: 'retired', ...(v.graceEndsAt !== undefined ? { graceEndsAt: v.graceEndsAt } : {}) });
    else if (v.graceEndsAt !== undefined && v.graceEndsAt <= limit) {
      out.push({ ref: item.ref, kekVersion: e.kekVersion, status: v.graceEndsAt <= opts.now ? 'expired' : 'expiring', graceEndsAt: v.graceEndsAt });
    }
  }
  return out;
}

/** Retires every non-current version whose grace period has ended at `now`; returns their numbers. */
export async function retireDue(kek: KekProvider, now: number): Promise<number[]> {
  const due: number[] = [];
  for (const v of await kek.versions()) {
    // @req ENV-027
    if (v.state === 'previous' && v.graceEndsAt !== undefined && v.graceEndsAt <= now) {
      await kek.retire(v.version);
      due.push(v.version);
    }
  }
  return due;
}
