/** The publication checks as plain functions (DIR-016, DIR-013). */
import { describe, expect, it } from 'vitest';
import { SessionAgent, toHex } from '../../../reference/index.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { verifyBatch } from '../publication.js';
import { p } from './helpers.js';

describe('verifyBatch', () => {
  it('DIR-016: verifies a batch in slices, letting other work run between them', async () => {
    const agent = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const bundles = agent.bundleBatch(200).map(toHex);
    let ticks = 0;
    let done = false;
    const ticker = (): void => {
      if (done) return;
      ticks++;
      setImmediate(ticker);
    };
    setImmediate(ticker);
    const batch = await verifyBatch(p, { bundles }, { ...DEFAULT_LIMITS, verifySlice: 32 });
    done = true;
    expect(batch.singleUse).toHaveLength(200);
    expect(batch.reusable).toBeDefined();
    // 201 bundles in slices of 32: at least 6 turns of the event loop happened inside.
    expect(ticks).toBeGreaterThanOrEqual(6);
  });

  it('DIR-013: records the one-time prekey ids of each bundle and the signed prekey id', async () => {
    const agent = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    const batch = await verifyBatch(p, { bundles: agent.bundleBatch(2).map(toHex) }, DEFAULT_LIMITS);
    expect(batch.singleUse.map((b) => b.prekeyIds.map((x) => x.slice(0, 3)))).toEqual([['ec:', 'pq:'], ['ec:', 'pq:']]);
    expect(batch.reusable!.prekeyIds).toEqual([]);
    expect(new Set([...batch.singleUse.map((b) => b.spkId), batch.reusable!.spkId]).size).toBe(1);
  });
});
