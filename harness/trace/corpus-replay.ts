/** Replays the whole corpus against the in-process reference (or another adapter), collecting findings. */
import { startReferenceAdapter } from '../adapters/in-process.js';
import { CheckFailure } from '../conform/assert.js';
import type { Adapter } from '../conform/types.js';
import { loadCorpus, modelOf, replayTrace, type EnvelopeOps, type TraceModel } from './index.js';

export interface ReplaySummary {
  traces: number;
  failed: number;
  steps: number;
  byModel: Record<string, { traces: number; failed: number }>;
  findings: string[];
}

export interface ReplayTarget {
  /** The implementation of the noise and ratchet traces (the reference in process by default). */
  iut?: Adapter;
  /** The envelope operations of the envelope traces (the reference's by default). */
  envelopeOps?: EnvelopeOps;
}

export async function replayCorpus(model?: TraceModel, target: ReplayTarget = {}): Promise<ReplaySummary> {
  const iut = target.iut ?? (await startReferenceAdapter());
  const out: ReplaySummary = { traces: 0, failed: 0, steps: 0, byModel: {}, findings: [] };
  try {
    for (const t of loadCorpus(undefined, model)) {
      const m = (out.byModel[modelOf(t)] ??= { traces: 0, failed: 0 });
      out.traces++;
      m.traces++;
      try {
        out.steps += await replayTrace(t, iut, {}, target.envelopeOps);
      } catch (e) {
        if (!(e instanceof CheckFailure)) throw e;
        out.failed++;
        m.failed++;
        out.findings.push(e.message);
      }
    }
  } finally {
    await iut.close();
  }
  return out;
}

