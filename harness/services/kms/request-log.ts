/**
 * What the three KMS endpoints (AWS, Azure, GCP flavours) share around a request: one log line per
 * request through the scrubbing logger, and listening on a loopback address.
 */
import type { AddressInfo, Server } from 'node:net';
import type { ScrubbingLogger } from '../../../reference/index.js';

export interface KmsRequestLog {
  readonly op: string;
  readonly outcome: string;
  readonly key?: string;
  /** The AWS flavour logs the encryption context too; the scrubber removes its configured fields. */
  readonly context?: unknown;
  /** High-frequency operations (wrap, unwrap, encrypt, decrypt) go through the sampler. */
  readonly frequent: boolean;
}

/** Operation, outcome, status, duration and key name; never a wrapped value, data or key (OBS-017). */
// @req OBS-017 OBS-019
export function logKmsRequest(logger: ScrubbingLogger | undefined, status: number, started: number, r: KmsRequestLog): void {
  if (!logger) return;
  try {
    const attrs = {
      operation: r.op,
      outcome: r.outcome,
      status,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      ...(r.key !== undefined ? { key_id: r.key } : {}),
      ...(r.context !== undefined ? { encryption_context: r.context } : {}),
    };
    if (status >= 500) logger.error('kms.request', attrs);
    else if (status >= 400) logger.warn('kms.request', attrs);
    else if (r.frequent) logger.frequent('kms.request', attrs, 'info');
    else logger.info('kms.request', attrs);
  } catch {
    // A logger is never why a request fails (OBS-006).
  }
}

/** Listens on `host` (a loopback address) and returns the port and the host as a URL writes it. */
export async function listenLoopback(server: Server, host: string, port = 0): Promise<{ port: number; hostPart: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, hostPart: host === '::1' ? '[::1]' : host };
}
