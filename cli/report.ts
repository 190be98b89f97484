/** `agentsec report merge [--out DIR] DIR...`: one report from the report folders of a run's shards. */
import { resolve } from 'node:path';
import { countOutcomes, OUTCOMES } from '../harness/conform/runner.js';
import { reportToGithub } from '../harness/report/github.js';
import { writeReports } from '../harness/report/index.js';
import { mergeResults, MergeError, readResults } from '../harness/report/merge.js';
import { checkDir } from './conform-outputs.js';
import { EXIT_FAILURES, EXIT_OK, parseFlags, UsageError, type Command } from './command.js';

export const reportMergeCommand: Command = {
  name: 'report merge',
  summary: 'merge the reports of conform --shard runs into one',
  usage: `Usage: agentsec report merge [--out DIR] DIR...

Combines the report folders of the shards of one run (agentsec conform --shard i/n, same --seed)
into one results.json, junit.xml and index.html in DIR (default: ./report), whose counts equal those
of the unsharded run. Glob expectation entries are judged over all shards. Under GITHUB_ACTIONS=true
it writes ::error annotations and the job summary for the whole run.
Exit 0 when the merged run passed, 1 when it failed, 2 on bad usage (e.g. shards of different runs).`,
  async run(args) {
    const { flags, positionals } = parseFlags(args, { strings: ['out'] });
    if (positionals.length === 0) throw new UsageError('give the report folders to merge (e.g. agentsec report merge shard-1 shard-2)');
    const out = resolve((flags.out as string | undefined) ?? 'report');
    checkDir(out, '--out');
    let merged;
    try {
      merged = mergeResults(positionals.map((d) => readResults(resolve(d))));
    } catch (e) {
      if (e instanceof MergeError) throw new UsageError(e.message);
      throw e;
    }
    const paths = writeReports(out, merged);
    const c = countOutcomes(merged.tests);
    process.stdout.write(`merged ${positionals.length} report(s): ${c.total} tests, ${OUTCOMES.map((o) => `${c[o]} ${o}`).join(', ')}, ${merged.stale_expectations.length} stale expectation(s)\n`);
    process.stdout.write(`report: ${paths.html} (results.json, junit.xml beside it)\n`);
    reportToGithub(merged, process.env, (l) => process.stdout.write(`${l}\n`));
    return merged.exit_code === 0 ? EXIT_OK : EXIT_FAILURES;
  },
};
