/** Replays the whole corpus against one implementation, collecting findings. */
import { CheckFailure } from '../conform/assert.js';
import type { Adapter } from '../conform/types.js';
import { loadCorpus, modelOf, replayTrace, TraceNotApplicable, type TraceReplayOptions, type TraceModel } from './index.js';

export interface ReplaySummary {
  traces: number;
  failed: number;
  /** Traces the implementation cannot take (see TraceNotApplicable). */
  notApplicable: number;
  steps: number;
  byModel: Record<string, { traces: number; failed: number }>;
  findings: string[];
}

export async function replayCorpus(iut: Adapter, opts: TraceReplayOptions & { model?: TraceModel } = {}): Promise<ReplaySummary> {
  const out: ReplaySummary = { traces: 0, failed: 0, notApplicable: 0, steps: 0, byModel: {}, findings: [] };
  for (const t of loadCorpus(undefined, opts.model)) {
    const m = (out.byModel[modelOf(t)] ??= { traces: 0, failed: 0 });
    try {
      out.steps += await replayTrace(t, iut, opts);
    } catch (e) {
      if (e instanceof TraceNotApplicable) {
        out.notApplicable++;
        continue;
      }
      if (!(e instanceof CheckFailure)) throw e;
      out.failed++;
      m.failed++;
      out.findings.push(e.message);
    } finally {
      out.traces++;
      m.traces++;
    }
  }
  return out;
}
