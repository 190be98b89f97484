/** Replays the whole corpus against the in-process reference, collecting findings. */
import { startReferenceAdapter } from '../adapters/in-process.js';
import { CheckFailure } from '../conform/assert.js';
import { loadCorpus, modelOf, replayTrace, type TraceModel } from './index.js';

export interface ReplaySummary {
  traces: number;
  failed: number;
  steps: number;
  byModel: Record<string, { traces: number; failed: number }>;
  findings: string[];
}

export async function replayCorpus(model?: TraceModel): Promise<ReplaySummary> {
  const iut = await startReferenceAdapter();
  const out: ReplaySummary = { traces: 0, failed: 0, steps: 0, byModel: {}, findings: [] };
  try {
    for (const t of loadCorpus(undefined, model)) {
      const m = (out.byModel[modelOf(t)] ??= { traces: 0, failed: 0 });
      out.traces++;
      m.traces++;
      try {
        out.steps += await replayTrace(t, iut);
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

