/**
 * `vectors verify` on a session known-answer file (agentsec-session-vectors/1): the same tests as the
 * session suite's known answers (SESS-031), through an adapter: the reference in process or --impl,
 * which needs `session.fixed_randomness` (tests it does not claim are counted as unsupported).
 */
import { readVendored } from '../vectors/external.js';
import { SeededRng } from '../harness/conform/rng.js';
import type { Adapter, TestContext } from '../harness/conform/types.js';
import { knownAnswerTests } from '../harness/suites/session-kat.js';
import { startReferenceAdapter } from '../harness/adapters/in-process.js';

export interface FileCounts {
  pass: number;
  fail: number;
  unsupported: number;
  failures: string[];
}

/** The `format` of a JSON vector file, or undefined for other files (cacophony text, Noise JSON without one). */
export function vectorFormat(path: string): string | undefined {
  try {
    const f = (JSON.parse(readVendored(path)) as { format?: unknown }).format;
    return typeof f === 'string' ? f : undefined;
  } catch {
    return undefined;
  }
}

// @req CONF-076
export async function verifySessionFile(path: string, iut: Adapter): Promise<FileCounts> {
  const c: FileCounts = { pass: 0, fail: 0, unsupported: 0, failures: [] };
  const reference = await startReferenceAdapter();
  try {
    for (const t of knownAnswerTests(path)) {
      const a = t.applies ? t.applies(iut.hello.capabilities) : true;
      if (a !== true) {
        c.unsupported++;
        continue;
      }
      const ctx: TestContext = { iut, reference, seed: 0, rng: new SeededRng(0, t.id), services: {}, quick: false, log: () => {}, warn: () => {} };
      try {
        await t.run(ctx);
        c.pass++;
      } catch (e) {
        c.fail++;
        c.failures.push(`${t.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    await reference.close();
  }
  return c;
}
