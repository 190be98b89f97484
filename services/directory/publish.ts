/**
 * Uploads an agent's prekeys to a directory (spec/directory.md DIR-007): `count` single-use
 * bundles, each with a one-time prekey never handed out before (the agent generates more when it
 * runs short), then its reusable fallback.
 */
import type { SessionAgent } from '../../reference/index.js';
import type { DirectoryClient } from './client.js';

export interface PublishOptions {
  /**
   * Saves the agent once the batch is built and before it is uploaded. Handing prekeys out changes
   * the agent; saved first, a crash after the upload cannot make the agent hand the same one-time
   * prekeys out again in its next batch.
   */
  readonly persist?: (agent: SessionAgent) => void | Promise<void>;
}

export async function publishToDirectory(
  agent: SessionAgent,
  client: DirectoryClient,
  name: string,
  count: number,
  opts: PublishOptions = {},
): Promise<{ stored: number; single_use: number; reusable: boolean }> {
  // @req DIR-007
  const bundles = await agent.bundleBatchAsync(count);
  await opts.persist?.(agent);
  // Requests of at most PUBLISH_CHUNK bundles stay far below the directory's batch and body limits
  // (a PQXDH bundle is about 3.9 KB of hex); each request is stored all or nothing.
  const total = { stored: 0, single_use: 0, reusable: false };
  for (let i = 0; i < bundles.length; i += PUBLISH_CHUNK) {
    const r = await client.publish(name, bundles.slice(i, i + PUBLISH_CHUNK));
    total.stored += r.stored;
    total.single_use += r.single_use;
    total.reusable ||= r.reusable;
  }
  return total;
}

/** Bundles per publish request: about 1 MB of JSON for PQXDH bundles. */
export const PUBLISH_CHUNK = 250;
