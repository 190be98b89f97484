/**
 * State-projected replay (MODEL-050): the corpus replayed with the state projection conforms on the
 * reference, and a planted bug that keeps every outcome of the corpus right -- the sending epoch
 * counted per root KDF step -- passes the outcome-only replay and is caught by the projected one. The bug lives here, in a test-side wrapper around the
 * reference adapter, not in shipped code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { CheckFailure } from '../conform/assert.js';
import type { Adapter } from '../conform/types.js';
import { loadCorpus, modelOf, replayTrace, type Trace } from '../trace/index.js';
import type { Area } from '../../adapter/area.js';
import { REFERENCE_AREAS } from '../../adapter/index.js';
import { sessionArea } from '../../adapter/session.js';
import type { AgentState, SessionAgent, SessionEntry } from '../../reference/session/agent.js';

/**
 * The reference, except that a DH ratchet step counts two sending epochs (one per KDF_RK) instead of
 * one. Every comparison the rollback watermark makes stays the same (the count stays monotonic), so
 * no outcome changes; the persisted epoch no longer means "sending chains so far", which a watermark
 * written by a correct version would misjudge.
 */
const epochCountsRootSteps: Area = {
  ...sessionArea,
  methods: {
    ...sessionArea.methods,
    'session.decrypt': (p, ctx) => {
      const agent = ctx.objects.get<SessionAgent>(p.agent, 'agent');
      const peer = String(p.peer);
      const epoch = () => {
        try {
          return agent.counters(peer).epoch;
        } catch {
          return 0;
        }
      };
      const before = epoch();
      const out = sessionArea.methods['session.decrypt']!(p, ctx);
      if (epoch() > before) {
        const inner = agent as unknown as { st: AgentState };
        const bump = (e: SessionEntry): SessionEntry => ({ ...e, ratchet: { ...e.ratchet, sendEpoch: e.ratchet.sendEpoch + 1 } });
        inner.st = { ...inner.st, peers: inner.st.peers.map((x) => (x.address === peer ? { ...x, current: bump(x.current) } : x)) };
      }
      return out;
    },
  },
};

async function replayAll(traces: readonly Trace[], iut: Adapter, project: boolean): Promise<string[]> {
  const findings: string[] = [];
  for (const t of traces) {
    try {
      await replayTrace(t, iut, { project });
    } catch (e) {
      if (!(e instanceof CheckFailure)) throw e;
      findings.push(e.message);
    }
  }
  return findings;
}

describe('state-projected replay', () => {
  const corpus = loadCorpus().filter((t) => modelOf(t) !== 'envelope_lifecycle');
  let iut: Adapter;
  beforeAll(async () => {
    iut = await startReferenceAdapter();
  });
  afterAll(async () => {
    await iut.close();
  });

  it('MODEL-050: the noise and ratchet corpus conforms with the projection compared after every step', async () => {
    expect(await replayAll(corpus, iut, true)).toEqual([]);
  });

  it('MODEL-050: a DH ratchet step counting two epochs passes every outcome of the corpus and is caught only by the projection', async () => {
    const mutant = await startReferenceAdapter({ areas: REFERENCE_AREAS.map((a) => (a === sessionArea ? epochCountsRootSteps : a)) });
    try {
      expect(await replayAll(corpus, mutant, false)).toEqual([]);
      const projected = await replayAll(corpus, mutant, true);
      expect(projected.length).toBeGreaterThan(0);
      expect(projected.every((f) => /state epoch=\d+, the model says epoch=\d+/.test(f))).toBe(true);
    } finally {
      await mutant.close();
    }
  });

  it('MODEL-061: an implementation without the state queries is replayed on outcomes only, not failed for the missing query', async () => {
    // The same planted epoch bug, behind an adapter that serves neither session.state nor noise.state's nonces.
    const withoutQueries: Area[] = REFERENCE_AREAS.map((a) => {
      const base = a === sessionArea ? epochCountsRootSteps : a;
      const methods = { ...base.methods };
      delete methods['session.state'];
      if (methods['noise.state']) {
        const state = methods['noise.state'];
        methods['noise.state'] = async (p, ctx) => {
          const { send_nonce: _s, recv_nonce: _r, ...rest } = (await state(p, ctx)) as Record<string, unknown>;
          return rest;
        };
      }
      return { ...base, methods };
    });
    const quiet = await startReferenceAdapter({ areas: withoutQueries });
    try {
      expect(await replayAll(corpus, quiet, true)).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
