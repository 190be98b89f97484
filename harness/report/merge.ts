/**
 * `agentsec report merge DIR...` (CONF-072): the reports of the shards of one run (same seed, each
 * from `--shard i/n`) combined into one run result, whose counts equal those of the unsharded run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { staleOverShards, type GlobCount } from '../conform/expectations.js';
import { countOutcomes, type RunResult, type StaleExpectation, type TestResult } from '../conform/runner.js';
import { RESULTS_SCHEMA_ID, type ResultsJson } from './results.js';

export class MergeError extends Error {
  override name = 'MergeError';
}

export function readResults(dir: string): ResultsJson {
  let data: ResultsJson;
  try {
    data = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsJson;
  } catch (e) {
    throw new MergeError(`${dir}: no readable results.json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (data?.schema !== RESULTS_SCHEMA_ID || !Array.isArray(data.tests)) throw new MergeError(`${dir}/results.json is not an ${RESULTS_SCHEMA_ID} file`);
  return data;
}

/** Each suite's tests, dealt back in the round-robin order the shards took them in. */
function interleave(parts: readonly ResultsJson[], suites: readonly string[]): TestResult[] {
  const names = [...new Set([...suites, ...parts.flatMap((p) => p.tests.map((t) => t.suite))])];
  const out: TestResult[] = [];
  for (const name of names) {
    const lists = parts.map((p) => p.tests.filter((t) => t.suite === name));
    for (let j = 0; lists.some((l) => j < l.length); j++) for (const l of lists) if (j < l.length) out.push(l[j]!);
  }
  return out;
}

// @req CONF-072
export function mergeResults(parts: readonly ResultsJson[]): RunResult {
  if (parts.length === 0) throw new MergeError('nothing to merge: give the report folders of the shards');
  const sorted = [...parts].sort((a, b) => (a.run.shard?.index ?? 1) - (b.run.shard?.index ?? 1));
  const first = sorted[0]!;
  for (const p of sorted) {
    if (p.run.seed !== first.run.seed) throw new MergeError(`the reports come from different runs: seed ${p.run.seed} and seed ${first.run.seed} (shards of one run share --seed)`);
    if (p.run.impl !== first.run.impl) throw new MergeError(`the reports judge different implementations: ${p.run.impl} and ${first.run.impl}`);
  }
  const count = first.run.shard?.count;
  if (count !== undefined) {
    const seen = sorted.map((p) => p.run.shard?.index);
    if (sorted.some((p) => p.run.shard?.count !== count) || new Set(seen).size !== seen.length) throw new MergeError(`the reports are not distinct shards of one --shard i/${count} run (shards: ${seen.join(', ')})`);
    if (seen.length !== count) throw new MergeError(`${seen.length} of ${count} shards given (have ${seen.join(', ')}): the counts would not be those of the whole run`);
  }
  const tests = interleave(sorted, first.run.suites);
  const exact = new Map<string, StaleExpectation>();
  for (const p of sorted) for (const e of p.stale_expectations) if (!/[*?]/.test(e.pattern) || e.expect === 'skip') exact.set(`${e.expect} ${e.pattern}`, e);
  const globs: GlobCount[] = sorted.flatMap((p) => p.run.glob_expectations ?? []);
  const stale = [...exact.values(), ...staleOverShards(globs).map((g) => ({ pattern: g.pattern, expect: g.expect, reason: g.reason }))];
  const c = countOutcomes(tests);
  const { shard: _shard, glob_expectations: _globs, ...run } = first.run;
  return {
    run: {
      ...run,
      started: sorted.map((p) => p.run.started).sort()[0]!,
      duration_ms: Math.max(...sorted.map((p) => p.run.duration_ms)),
      shards: sorted.length,
    },
    tests,
    stale_expectations: stale,
    exit_code: c.fail > 0 || c.xpass > 0 || stale.length > 0 ? 1 : 0,
  };
}
