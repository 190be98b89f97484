/**
 * Storage behind the prekey directory and mailbox (spec/directory.md). Per agent: the identity keys
 * pinned at first publication, a queue of single-use bundles, at most one reusable bundle, every
 * one-time prekey id ever accepted, and a mailbox of opaque messages. Every rule that depends on
 * stored state runs inside the store's write transaction, so several directory processes on one
 * store agree (DIR-003, DIR-017).
 */
import type { DirectoryLimits } from './limits.js';
import type { VerifiedBatch } from './publication.js';

export interface StoredIdentity {
  readonly signing: string;
  readonly agreement: string;
}

export interface TakeResult {
  readonly bundle: Uint8Array;
  readonly oneTime: boolean;
  readonly remaining: number;
}

export interface AgentInfo {
  readonly identity: StoredIdentity;
  readonly singleUseRemaining: number;
  readonly hasReusable: boolean;
}

export interface PublishResult {
  readonly stored: number;
  readonly singleUse: number;
  readonly reusable: boolean;
}

export interface MailboxMessage {
  readonly recipient: string;
  readonly sender: string;
  /** Chosen by the sender; (recipient, sender, id) names one message. */
  readonly id: string;
  readonly body: Uint8Array;
  /** Hex SHA-256 of body: a resend with the same id must carry the same body. */
  readonly digest: string;
  readonly sentAt: number;
  readonly expiresAt: number;
}

export interface QueuedMessage {
  readonly seq: number;
  readonly sender: string;
  readonly id: string;
  readonly body: Uint8Array;
  readonly sentAt: number;
}

export interface DirectoryStore {
  readonly description: string;
  identity(agent: string): Promise<StoredIdentity | undefined>;
  /** Pins, checks (checkPublication, one-time prekey ids never seen) and stores a batch atomically. */
  publish(agent: string, batch: VerifiedBatch, limits: DirectoryLimits): Promise<PublishResult>;
  /** Removes and returns the oldest single-use bundle, else returns the reusable one (kept). */
  take(agent: string): Promise<TakeResult | undefined>;
  info(agent: string): Promise<AgentInfo | undefined>;
  /** Queues a message; a resend of the same id with the same body returns the first seq. */
  send(m: MailboxMessage, limits: DirectoryLimits): Promise<{ seq: number; duplicate: boolean }>;
  /** Undelivered, unexpired messages for `recipient`, oldest first. */
  inbox(recipient: string, now: number, max: number): Promise<QueuedMessage[]>;
  /** Marks messages delivered (their ids stay remembered until they expire); returns how many. */
  ack(recipient: string, seqs: readonly number[]): Promise<number>;
  close(): Promise<void>;
}
