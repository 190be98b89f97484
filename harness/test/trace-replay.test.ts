import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { resolveImpl } from '../../cli/conform.js';
import { CheckFailure } from '../conform/assert.js';
import { countOutcomes } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import type { Adapter } from '../conform/types.js';
import { traceSuite } from '../suites/trace.js';
import { ENVELOPE_TRACES_NA, loadCorpus, modelOf, parseTrace, replayTrace, traceFiles, TraceNotApplicable, type Trace } from '../trace/index.js';
import { decodeValue } from '../trace/itf.js';
import { referenceEnvelopeSubject } from './reference-envelope-subject.js';
import { REFERENCE_AREAS } from '../../adapter/index.js';
import { CORPUS, generateCorpus } from '../../vectors/traces/generate.js';

const REQ = { noise_handshake: 'MODEL-040', double_ratchet: 'MODEL-041', envelope_lifecycle: 'MODEL-042' } as const;
const corpus = loadCorpus();

describe('trace corpus replayed against the reference', () => {
  let iut: Adapter;
  beforeAll(async () => {
    iut = await startReferenceAdapter();
  });
  afterAll(async () => {
    await iut.close();
  });

  it('the corpus holds the generated traces of every model the adapter contract carries', () => {
    // Models kept in a subfolder (prekey administration, a clock) are replayed against the reference API only.
    const carried = CORPUS.filter((c) => c.dir === undefined);
    expect(carried.map((c) => c.model).sort()).toEqual(Object.keys(REQ).sort());
    for (const c of carried) expect(corpus.filter((t) => modelOf(t) === c.model).length, c.model).toBe(c.traces);
  });

  for (const t of corpus) {
    it(`${REQ[modelOf(t)]}: ${t.name} conforms at every step`, async () => {
      const steps = await replayTrace(t, iut, { envelope: referenceEnvelopeSubject });
      expect(steps).toBe(t.states.length - 1);
    });
  }

  it('MODEL-042 CONF-050 CONF-150: through an adapter without the kek_admin claim an envelope trace is not applicable, never replayed against the reference instead', async () => {
    const t = corpus.find((x) => modelOf(x) === 'envelope_lifecycle')!;
    const areas = REFERENCE_AREAS.map((a) => (a.name === 'envelope' ? { ...a, capabilities: () => ({ envelope: { kms: ['aws'] } }) } : a));
    const plain = await startReferenceAdapter({ areas });
    const err = await replayTrace(t, plain)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
      .finally(() => plain.close());
    expect(err).toBeInstanceOf(TraceNotApplicable);
    expect((err as Error).message).toBe(ENVELOPE_TRACES_NA);
  });

  it('MODEL-042 CONF-150: with the kek_admin claim every envelope trace replays through the adapter at every step', async () => {
    expect(iut.hello.capabilities.envelope?.kek_admin).toBe(true);
    const envelope = corpus.filter((x) => modelOf(x) === 'envelope_lifecycle');
    expect(envelope.length).toBeGreaterThan(0);
    for (const t of envelope) expect([t.name, await replayTrace(t, iut)]).toEqual([t.name, t.states.length - 1]);
  });

  it('MODEL-040 MODEL-041 MODEL-042: a trace whose model outcome is changed is caught at that step', async () => {
    for (const model of ['noise_handshake', 'double_ratchet', 'envelope_lifecycle'] as const) {
      const t = corpus.find((x) => modelOf(x) === model)!;
      const raw = JSON.parse(readFileSync(traceFiles().find((f) => f.endsWith(t.name))!, 'utf8')) as { states: { last: { outcome: string; kind: string } }[] };
      // The first accepted action after the initial state that the model says "ok": claim it is refused.
      const step = raw.states.findIndex((s, i) => i > 0 && s.last.outcome === 'ok' && s.last.kind !== 'tick' && s.last.kind !== 'restart');
      expect(step, model).toBeGreaterThan(0);
      raw.states[step]!.last.outcome = 'state_failure';
      const doctored: Trace = parseTrace(t.name, JSON.stringify(raw));
      const err = await replayTrace(doctored, iut, { envelope: referenceEnvelopeSubject }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, model).toBeInstanceOf(CheckFailure);
      expect((err as Error).message).toContain(`step ${step} `);
      expect((err as Error).message).toMatch(/the model refuses with state_failure/);
    }
  });

  it('MODEL-040 MODEL-041 MODEL-042 CONF-150: the trace suite passes on the reference through the runner, envelope traces through its KEK administration', async () => {
    const r = await runWithReference({ suites: [traceSuite], seed: 1, quick: true });
    const counts = countOutcomes(r.tests);
    expect(counts.fail).toBe(0);
    expect(counts.pass).toBe(corpus.length);
    expect(counts['n/a'] ?? 0).toBe(0);
    expect(r.tests.every((x) => x.reqs[0]!.startsWith('MODEL-04'))).toBe(true);
    expect(r.tests.filter((x) => x.reqs.includes('CONF-150')).length).toBe(corpus.filter((t) => modelOf(t) === 'envelope_lifecycle').length);
  });

  it('MODEL-040 MODEL-041: the same replay runs over agentsec-adapter/1 against a child process', async () => {
    const r = await runWithReference({ suites: [traceSuite], seed: 1, quick: true, impl: 'agentsec adapter', resolveCommand: resolveImpl, callTimeoutMs: 30_000 });
    const counts = countOutcomes(r.tests);
    expect(r.run.impl_name).toBe('agentsec-reference');
    expect(counts.fail).toBe(0);
    expect(counts.pass).toBe(corpus.length);
  });
});

describe('ITF', () => {
  it('decodes bigints, maps, sets, tuples and records', () => {
    const v = decodeValue({ a: { '#bigint': '3' }, m: { '#map': [['k', { '#set': [{ '#tup': [{ '#bigint': '1' }, true] }] }]] }, big: { '#bigint': '18446744073709551615' } });
    expect(v).toEqual({ a: 3, m: new Map([['k', [[1, true]]]]), big: 18446744073709551615n });
  });
});

describe('trace corpus generation', () => {
  it('MODEL-043: regenerating the envelope corpus gives identical bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'traces-'));
    const names = await generateCorpus(dir, 'envelope_lifecycle');
    expect(names.length).toBe(CORPUS.find((c) => c.model === 'envelope_lifecycle')!.traces);
    for (const n of names) {
      expect(readFileSync(join(dir, n), 'utf8'), `${n} differs: run npx tsx vectors/traces/generate.ts`).toBe(readFileSync(traceFiles().find((f) => f.endsWith(n))!, 'utf8'));
    }
  });
});
