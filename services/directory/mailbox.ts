/**
 * Mailbox rules (spec/directory.md DIR-018..DIR-021): store-and-forward of opaque encrypted
 * messages per recipient. Both stores apply these inside their write transaction.
 */
import { AgentsecError } from '../../reference/errors.js';
import type { DirectoryLimits } from './limits.js';
import type { MailboxMessage } from './store.js';

/** A resend of a known message id: the same body is the same message; another body is refused. */
export function idempotentResend(stored: string, digest: string, seq: number): { seq: number; duplicate: true } {
  // @req DIR-019
  if (stored !== digest) throw new AgentsecError('duplicate', 'MESSAGE_ID_REUSED', 'this message id was already used for another message; choose a new id');
  return { seq, duplicate: true };
}

/** Queue quotas of a recipient's mailbox. */
export function checkQueue(m: MailboxMessage, queued: number, bytes: number, limits: DirectoryLimits): void {
  // @req DIR-020
  if (queued + 1 > limits.maxQueuedMessages) throw new AgentsecError('policy_reject', 'QUOTA_MAILBOX', `the mailbox of "${m.recipient}" holds ${queued} undelivered messages (limit ${limits.maxQueuedMessages})`);
  if (bytes + m.body.length > limits.maxQueuedBytes) throw new AgentsecError('policy_reject', 'QUOTA_MAILBOX', `the mailbox of "${m.recipient}" would hold more than ${limits.maxQueuedBytes} bytes`);
}
