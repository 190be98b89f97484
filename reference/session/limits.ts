/**
 * Named limits of the agentsec/1 session profile, each with the reason it has this value
 * (spec/double-ratchet.md "Limits"). They are part of the profile, not tunables: a peer relies on them.
 */

/**
 * Message keys skippable in a single receiving chain by one message (R-DR-5, R-DR-10).
 * 1000: covers long bursts of lost or delayed agent messages on one chain, while bounding the
 * work a malicious header can trigger to 1000 HMAC pairs per message.
 */
export const MAX_SKIP = 1000;

/**
 * Skipped message keys kept per session (R-DR-16). Two full chains' worth, so a maximal skip in
 * the old chain plus one in the new chain on a single DH step fits; beyond it the oldest keys are
 * evicted first (event-based, deterministic: R-DR-17), never refused (a full store must not wedge
 * the session).
 */
export const MAX_SKIPPED_KEYS = 2000;

/**
 * Previous receiving chains remembered per session (their public key, length and eviction mark,
 * no keys): lets a late message for an old chain be told apart as duplicate or evicted instead of
 * being mistaken for a new DH ratchet step. When a chain falls off this list, its skipped keys go
 * with it (event-based deletion after 32 DH steps).
 */
export const MAX_OLD_CHAINS = 32;

/**
 * Earlier sessions kept per peer after a newer one replaces them, so a late message for an older
 * session still decrypts without touching the newer one. 5: simultaneous initiation and
 * re-initiation after a restart make a few concurrent sessions; more only widens the window an
 * old, possibly compromised session stays usable.
 */
export const MAX_PREVIOUS_SESSIONS = 5;

/**
 * Replay digests of initial messages without a one-time prekey remembered per signed prekey
 * (R-X3DH-13, R-PQXDH-13, X3DH-020/021). A digest lives as long as its signed prekey opens initial
 * messages, so a replay is refused however many others arrive; past this many under one signed
 * prekey, further such messages are refused until it is rotated. With MAX_PREVIOUS_SIGNED_PREKEYS
 * the record holds at most 5 x 10,000 x 20 bytes of digests.
 */
export const MAX_REMEMBERED_BASE_KEYS = 10_000;

/** One-time prekeys generated per agent by default (issue 5: default 100). */
export const DEFAULT_ONE_TIME_PREKEYS = 100;

/** A chain never carries more messages than fit the u32 counter of the header. */
export const MAX_CHAIN_MESSAGES = 0xffffffff;

/**
 * How long a replaced signed prekey's private key is kept after rotation (R-X3DH-4): 14 days.
 * An initial message may wait in a mailbox while the responder is offline, and an initiator may
 * hold a bundle fetched just before the rotation; both must still decrypt. Longer only widens the
 * window in which a stolen old signed prekey still opens captured initial messages.
 */
export const SIGNED_PREKEY_GRACE_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * Replaced signed prekeys kept at once, however recent: rotating more often than this within the
 * grace period deletes the oldest at once (event-based), so the record stays bounded.
 */
export const MAX_PREVIOUS_SIGNED_PREKEYS = 4;

/**
 * One-time prekeys (classical, and PQ separately) an agent holds at most, handed out or not:
 * bounds the record (36 bytes per classical key, 68 per PQ seed) and the work of a replenish.
 */
export const MAX_STORED_ONE_TIME_PREKEYS = 100_000;

/** The receive limits of a session (R-DR-5, R-DR-16); the profile values unless a SecurityConfig narrows or widens them. */
export interface RatchetLimits {
  readonly maxSkip: number;
  readonly maxSkippedKeys: number;
}

export const DEFAULT_RATCHET_LIMITS: RatchetLimits = Object.freeze({ maxSkip: MAX_SKIP, maxSkippedKeys: MAX_SKIPPED_KEYS });
