/**
 * Uploads an agent's prekeys to a directory (spec/directory.md DIR-007): `count` single-use
 * bundles, each with a one-time prekey never handed out before (the agent generates more when it
 * runs short), then its reusable fallback.
 */
import type { SessionAgent } from '../../../reference/index.js';
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
  return client.publish(name, bundles);
}
