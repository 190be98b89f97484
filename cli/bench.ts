import { writeFileSync } from 'node:fs';
import { formatEnvironment, formatGroup, formatMarkdown, formatSummary } from '../bench/report.js';
import { formatSvg } from '../bench/svg.js';
import { DEFAULT_OPTIONS, loadSuites, runBench, selectCases } from '../bench/run.js';
import { SUITES } from '../bench/suites.js';
import { environment } from '../bench/environment.js';
import { DEFAULT_DIRECTORY_BENCH, formatDirectoryBench, runDirectoryBench } from '../bench/directory.js';
import { EXIT_FAILURES, EXIT_OK, EXIT_USAGE, UsageError, parseFlags, type Command } from './command.js';

const USAGE = `Usage: agentsec bench [--filter RE] [--json FILE] [--markdown FILE] [--svg FILE] [--time MS] [--rounds N] [--clock wall|cpu] [--list]
       agentsec bench --directory [--stored N] [--json FILE]

Benchmarks the hot paths (crypto primitives per provider, Noise, Double Ratchet, X3DH/PQXDH,
envelopes) against peers measured in the same run, and prints one table per group
(operation x size): median latency, median ops/s, MB/s where sized, ratio to the best in the group.
Every case is checked for correctness before it is timed; a failed check exits 1.

  --filter RE        run only cases whose "group/name" matches the regular expression RE
  --json FILE        also write the machine-readable result (schema: bench/README.md)
  --markdown FILE    also write the tables as Markdown (as in bench/README.md)
  --svg FILE         also draw each group's ratios to its fastest case as a bar chart (SVG)
  --time MS          time budget per case in milliseconds (default ${DEFAULT_OPTIONS.timeMs}; a full run takes ~2 minutes)
  --rounds N         split each case's time into N interleaved rounds (default ${DEFAULT_OPTIONS.rounds}; 1 when --time < 300)
  --clock wall|cpu   what a sample measures: elapsed time (default) or this process's CPU time
                     (use cpu on a busy shared machine, where other load inflates wall times)
  --list             print the "group/name" of the cases that would run, and exit
  --directory        the directory group instead: a real \`agentsec directory serve\` per store (SQLite
                     file; PostgreSQL when AGENTSEC_POSTGRES_URL is set) holding --stored bundles
                     (default ${DEFAULT_DIRECTORY_BENCH.stored}): signed fetch and publish req/s, p50, p99, and
                     fetch latency while maximal publications run (bench/directory.ts)`;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmark hot paths against peers',
  usage: USAGE,
  async run(args) {
    const { flags, positionals } = parseFlags(args, { strings: ['filter', 'json', 'markdown', 'svg', 'time', 'rounds', 'clock', 'stored'], booleans: ['list', 'directory'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
    if (flags.directory === true) {
      const stored = flags.stored === undefined ? DEFAULT_DIRECTORY_BENCH.stored : Number(flags.stored);
      if (!Number.isInteger(stored) || stored < DEFAULT_DIRECTORY_BENCH.agents || stored > 1000 * DEFAULT_DIRECTORY_BENCH.agents) throw new UsageError(`--stored needs a whole number from ${DEFAULT_DIRECTORY_BENCH.agents} to ${1000 * DEFAULT_DIRECTORY_BENCH.agents}`);
      process.stdout.write(`${formatEnvironment(environment())}\n\n`);
      const opts = { ...DEFAULT_DIRECTORY_BENCH, stored, cli: process.argv[1]!, progress: (line: string) => process.stderr.write(`${line}\n`), ...(process.env.AGENTSEC_POSTGRES_URL ? { postgresUrl: process.env.AGENTSEC_POSTGRES_URL } : {}) };
      const results = await runDirectoryBench(opts);
      process.stdout.write(`${formatDirectoryBench(results, opts)}\n`);
      if (typeof flags.json === 'string') writeFileSync(flags.json, `${JSON.stringify({ schema: 'agentsec-bench-directory/1', environment: environment(), results }, null, 2)}\n`);
      return EXIT_OK;
    }
    let filter: RegExp | undefined;
    if (typeof flags.filter === 'string') {
      try {
        filter = new RegExp(flags.filter);
      } catch (e) {
        throw new UsageError(`--filter is not a valid regular expression: ${(e as Error).message}`);
      }
    }
    let timeMs = DEFAULT_OPTIONS.timeMs;
    if (typeof flags.time === 'string') {
      timeMs = Number(flags.time);
      if (!/^\d+$/.test(flags.time) || timeMs < 1 || timeMs > 60_000) throw new UsageError('--time needs a whole number of milliseconds from 1 to 60000');
    }
    let rounds = timeMs < 300 ? 1 : DEFAULT_OPTIONS.rounds;
    if (typeof flags.rounds === 'string') {
      rounds = Number(flags.rounds);
      if (!/^\d+$/.test(flags.rounds) || rounds < 1 || rounds > 10) throw new UsageError('--rounds needs a whole number from 1 to 10');
    }
    const clock = flags.clock ?? 'wall';
    if (clock !== 'wall' && clock !== 'cpu') throw new UsageError('--clock must be wall or cpu');
    const suite = await loadSuites(SUITES);
    const selected = selectCases(suite.cases, filter);
    if (flags.list === true) {
      for (const c of selected) process.stdout.write(`${c.group}/${c.name}\n`);
      return EXIT_OK;
    }
    if (selected.length === 0) {
      throw new UsageError(`no benchmark matches --filter ${String(flags.filter)} (run "agentsec bench --list" to see the names)`);
    }
    const jsonFile = typeof flags.json === 'string' ? flags.json : undefined;
    const markdownFile = typeof flags.markdown === 'string' ? flags.markdown : undefined;
    const svgFile = typeof flags.svg === 'string' ? flags.svg : undefined;
    process.stdout.write(`${formatEnvironment(environment())}\n\n`);
    const report = await runBench(suite, {
      ...DEFAULT_OPTIONS,
      timeMs,
      rounds,
      clock,
      // Short budgets (tests, quick looks) warm up proportionally less.
      warmupMs: Math.min(DEFAULT_OPTIONS.warmupMs, Math.ceil(timeMs / 5)),
      minIterations: timeMs < DEFAULT_OPTIONS.timeMs ? 4 : DEFAULT_OPTIONS.minIterations,
      ...(filter ? { filter, filterText: String(flags.filter) } : {}),
      progress: (line) => process.stderr.write(`${line}\n`),
      onGroup: (g) => process.stdout.write(`${formatGroup(g)}\n\n`),
    });
    process.stdout.write(`${formatSummary(report)}\n`);
    for (const [flag, file, text] of [
      ['--json', jsonFile, () => `${JSON.stringify(report, null, 2)}\n`],
      ['--markdown', markdownFile, () => formatMarkdown(report)],
      ['--svg', svgFile, () => formatSvg(report)],
    ] as const) {
      if (!file) continue;
      try {
        writeFileSync(file, text());
      } catch (e) {
        process.stderr.write(`agentsec bench: cannot write ${flag} ${file}: ${(e as Error).message}\n`);
        return EXIT_USAGE;
      }
    }
    return report.summary.failed > 0 ? EXIT_FAILURES : EXIT_OK;
  },
};
