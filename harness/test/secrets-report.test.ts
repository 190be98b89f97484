/**
 * Secrets in conformance reports. A quick run (fixed seed) against the reference in process, whose
 * randomness is a recorded deterministic stream, so every key the implementation under test draws
 * -- static, ephemeral, prekey, ratchet, KEM seed, DEK, KEK, storage key -- is known; the harness's
 * own per-test randomness is SeededRng(seed, test id), so the keys the suites generate are known
 * too. results.json, junit.xml and index.html are then searched for any 16-byte stretch of those
 * in hex, base64/base64url or printed bytes.
 *
 * What this does NOT cover: the interop peer (ctx.reference) and the KMS service draw from the
 * system RNG, so their keys are unknown here; they are covered only by the "no unexplained long
 * hex" check below.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNobleProvider, createSecretBook, deterministicRandomForTestingOnly, toHex, type SecretBook } from '../../reference/index.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { SeededRng } from '../conform/rng.js';
import { type RunResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import type { Adapter, Services } from '../conform/types.js';
import { writeReports } from '../report/index.js';
import { SUITES } from '../suites/index.js';
import { sharedVectorsDir } from '../../vectors/external.js';
import type { Area } from '../../adapter/area.js';
import { mutant } from './mutants/index.js';

const SEED = 20261129;
/** Bytes of each test's harness stream registered as secret (keys are drawn first; 4 KiB covers them). */
const HARNESS_STREAM_BYTES = 4096;

interface Recorded {
  /** Every draw of 32+ bytes by the IUT's provider. */
  draws: Uint8Array[];
  /** Hex text of every result the IUT returned: what it made public to the harness. */
  results: string[];
}

/** The reference as IUT, on a recorded deterministic provider, with its results recorded. */
function recordingIut(label: string, rec: Recorded, areas?: readonly Area[]): (services: Services) => Promise<Adapter> {
  const base = deterministicRandomForTestingOnly(label);
  const provider = createNobleProvider((n) => {
    const b = base(n);
    if (n >= 32) rec.draws.push(b.slice());
    return b;
  }, `recorded-${label}`);
  return async (services) => {
    const a = await startReferenceAdapter({ provider, services, ...(areas ? { areas } : {}) });
    return {
      get hello() {
        return a.hello;
      },
      get healthy() {
        return a.healthy;
      },
      async call(method, params, opts) {
        const r = await a.call(method, params, opts);
        rec.results.push(JSON.stringify(r) ?? '');
        return r;
      },
      stderr: () => a.stderr(),
      ...(a.drainStderr ? { drainStderr: () => a.drainStderr!() } : {}),
      close: () => a.close(),
    } satisfies Adapter;
  };
}

/** Secrets of a run: IUT draws not returned to the harness, and the first bytes of each test's stream. */
function secretsOf(rec: Recorded, result: RunResult, seed: number, withHarnessStreams: boolean): SecretBook {
  const book = createSecretBook();
  const published = rec.results.join('\n');
  let kept = 0;
  for (const [i, d] of rec.draws.entries()) {
    // A draw the IUT returned (a public key is derived, not drawn; this catches salts and prim.* keygen outputs).
    if (published.includes(toHex(d))) continue;
    book.add(`IUT draw #${i} (${d.length} bytes)`, d);
    kept++;
  }
  if (withHarnessStreams) for (const t of result.tests) book.add(`harness stream of ${t.id}`, new SeededRng(seed, t.id).bytes(HARNESS_STREAM_BYTES));
  expect(kept).toBeGreaterThan(100);
  return book;
}

interface Reports {
  dir: string;
  files: Record<'results.json' | 'junit.xml' | 'index.html' | 'terminal output', string>;
}

function readReports(dir: string, terminal: readonly string[]): Reports {
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { dir, files: { 'results.json': read('results.json'), 'junit.xml': read('junit.xml'), 'index.html': read('index.html'), 'terminal output': terminal.join('\n') } };
}

function scanAll(book: SecretBook, reports: Reports): string[] {
  return Object.entries(reports.files).flatMap(([f, text]) => book.scan(text).map((l) => `${f}: ${l.secret} as ${l.form} near "${l.near}"`));
}

/** Hex runs of 32+ characters (16+ bytes) in the text, for the unknown-key check. */
function longHexRuns(text: string): string[] {
  return [...text.matchAll(/(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])/g)].map((m) => m[0]);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('OBS-016: conformance reports and terminal output hold no secret of the run', () => {
  const rec: Recorded = { draws: [], results: [] };
  const terminal: string[] = [];
  let result: RunResult;
  let reports: Reports;

  beforeAll(async () => {
    const prev = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    try {
      result = await runWithReference({ suites: SUITES, seed: SEED, quick: true, ...(sharedVectorsDir() ? { sharedVectorsDir: sharedVectorsDir()! } : {}), out: (l) => terminal.push(l), startIut: recordingIut('report-audit', rec) });
    } finally {
      if (prev === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = prev;
    }
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-report-audit-'));
    dirs.push(dir);
    writeReports(dir, result);
    reports = readReports(dir, terminal);
  }, 900_000);

  it('OBS-016: the quick run used the recorded IUT and wrote all three reports', () => {
    expect(result.run.seed).toBe(SEED);
    expect(result.run.quick).toBe(true);
    expect(result.tests.length).toBeGreaterThan(50);
    expect(result.tests.filter((t) => t.outcome === 'pass').length).toBeGreaterThan(50);
    expect(rec.draws.length).toBeGreaterThan(100);
    // Every suite ran against the recorded IUT, the envelope suite with its KMS service.
    for (const suite of ['noise', 'session', 'envelope']) expect(result.tests.filter((t) => t.suite === suite && t.outcome === 'pass').length, suite).toBeGreaterThan(5);
    for (const f of ['results.json', 'junit.xml', 'index.html'] as const) expect(reports.files[f].length).toBeGreaterThan(1000);
  });

  it('OBS-016: no key drawn by the IUT and no stretch of any test\'s harness stream appears in results.json, junit.xml or index.html', () => {
    const book = secretsOf(rec, result, SEED, true);
    // Self-check: the detector sees a registered secret when it is put into a report text.
    const probe = rec.draws.find((d) => !rec.results.join('').includes(toHex(d)))!;
    expect(book.scan(reports.files['results.json'].replace('"seed"', `"${toHex(probe)}"`)).length).toBeGreaterThan(0);
    expect(scanAll(book, reports)).toEqual([]);
  });

  it('OBS-016: every long hex run in the reports is explained (keys of the interop peer and KMS are unknown here)', () => {
    // A passing run's reports carry no byte strings at all; any long hex would be unexplained output.
    const runs = Object.entries(reports.files).flatMap(([f, t]) => longHexRuns(t).map((h) => `${f}: ${h.slice(0, 16)}... (${h.length} chars)`));
    expect(runs).toEqual([]);
  });
});

describe('OBS-016: failure messages and logs of a failing run hold no secret either', () => {
  const rec: Recorded = { draws: [], results: [] };
  const terminal: string[] = [];
  let result: RunResult;
  let reports: Reports;

  beforeAll(async () => {
    // A deliberate bug (a mutant) makes tests fail, so the reports carry failure messages, logs and reproduction lines.
    const areas = mutant('noise-nonce-advance-on-failure').areas();
    result = await runWithReference({ suites: SUITES.filter((s) => s.name === 'noise'), seed: SEED + 1, quick: true, only: ['noise/negative/*'], out: (l) => terminal.push(l), startIut: recordingIut('report-audit-failing', rec, areas) });
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-report-audit-'));
    dirs.push(dir);
    writeReports(dir, result);
    reports = readReports(dir, terminal);
  }, 900_000);

  it('OBS-016: the failing run failed and its reports carry failure messages and reproduction lines', () => {
    const failed = result.tests.filter((t) => t.outcome === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    expect(reports.files['results.json']).toContain('"reproduction"');
    expect(failed.every((t) => (t.message ?? '').length > 0)).toBe(true);
    expect(reports.files['junit.xml']).toContain('<failure');
    expect(reports.files['terminal output']).toContain('reproduce: ');
  });

  it('OBS-016: no IUT key or harness stream stretch appears in the failing run\'s reports', () => {
    expect(scanAll(secretsOf(rec, result, SEED + 1, true), reports)).toEqual([]);
  });
});

/**
 * An implementation that leaks its own key material in its error messages and stderr. The harness
 * cannot know such a key in general, but it keeps anything that looks like key material out of the
 * reports, as the reference's scrubber does for logs (redactString).
 */

describe('OBS-016: text from a leaky implementation in the reports', () => {
  it('OBS-016: an IUT that prints its key in errors and stderr: the key is redacted from every report', async () => {
    const key = toHex(deterministicRandomForTestingOnly('leaky-iut')(32));
    const leaky = async (services: Services): Promise<Adapter> => {
      const a = await startReferenceAdapter({ services });
      return {
        hello: a.hello,
        healthy: true,
        stderr: () => `debug: session key ${key}`,
        drainStderr: () => `debug: session key ${key}`,
        close: () => a.close(),
        call: async (method, params, opts) => {
          if (method === 'noise.read') throw new Error(`decrypt failed under key ${key}`);
          return a.call(method, params, opts);
        },
      };
    };
    const result = await runWithReference({ suites: SUITES.filter((s) => s.name === 'noise'), seed: SEED, quick: true, only: ['noise/negative/failed-decrypt-keeps-nonce'], startIut: leaky });
    expect(result.tests.map((t) => t.outcome)).toEqual(['fail']);
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-report-audit-'));
    dirs.push(dir);
    writeReports(dir, result);
    const book = createSecretBook();
    book.add('the leaky IUT key', Uint8Array.from(Buffer.from(key, 'hex')));
    const leaks = scanAll(book, readReports(dir, []));
    expect(leaks).toEqual([]);
    expect(result.tests[0]?.message).toContain('[redacted hex 64 chars]');
    expect(result.tests[0]?.stderr).toContain('[redacted hex 64 chars]');
  }, 900_000);
});
