/** Text rendering of a bench run: one table per group, and the machine header. */
import type { BenchReport, GroupResult } from './run.js';
import type { Environment } from './environment.js';

function sig3(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function formatOps(x: number): string {
  if (x >= 1e6) return `${sig3(x / 1e6)} M`;
  if (x >= 1e4) return `${sig3(x / 1e3)} k`;
  return x >= 100 ? x.toFixed(0) : sig3(x);
}

export function formatLatency(ns: number): string {
  if (ns >= 1e6) return `${sig3(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${sig3(ns / 1e3)} µs`;
  return `${sig3(ns)} ns`;
}

/** "1.00 (best)" for the group's fastest case only; a tie within rounding shows as a plain 1.00. */
export function formatRatio(r: number, best: boolean): string {
  if (best) return '1.00 (best)';
  return r >= 0.1 ? r.toFixed(2) : r.toPrecision(2);
}

function pad(cells: string[][], right: boolean[]): string[] {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function formatGroup(g: GroupResult): string {
  const sized = g.bytes !== undefined;
  const header = ['name', 'median', 'ops/s (median)', ...(sized ? ['MB/s'] : []), 'ratio to best', 'spread', 'samples x batch'];
  const rows = g.cases.map((c) => {
    if (c.opsPerSecMedian === undefined || c.latencyMedianNs === undefined) {
      // The reason is printed under the tables (formatSummary), where its length does not matter.
      return [c.name, 'FAILED', '', ...(sized ? [''] : []), '', '', ''];
    }
    return [
      c.name,
      formatLatency(c.latencyMedianNs),
      formatOps(c.opsPerSecMedian),
      ...(sized ? [c.mbPerSecMedian !== undefined ? sig3(c.mbPerSecMedian) : ''] : []),
      c.ratioToBest !== undefined ? formatRatio(c.ratioToBest, c.name === g.best) : '',
      formatSpread(c.opsPerSecRounds, c.opsPerSecMedian),
      `${c.samples ?? 0} x ${c.batch ?? 1}`,
    ];
  });
  const right = header.map((_, i) => i > 0);
  const lines = pad([header, ...rows], right);
  return [`${g.id}: ${g.title} (op = ${g.op})`, ...lines.map((l) => `  ${l}`)].join('\n');
}

export function formatEnvironment(env: Environment): string {
  return [
    `CPU: ${env.cpuModel}, ${env.cpus} logical CPUs (${env.availableParallelism} usable)${env.hypervisor ? ', virtualised' : ''}; flags: ${env.cpuFlags.join(' ') || 'n/a'}`,
    `Runtime: Node ${env.node} (V8 ${env.v8}), OpenSSL ${env.openssl}, ${env.platform} ${env.osRelease} ${env.arch}, ${(env.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB RAM`,
    `Packages: ${Object.entries(env.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ].join('\n');
}

export function formatSummary(r: BenchReport): string {
  const lines = [
    `${r.summary.cases} cases in ${r.groups.length} groups: ${r.summary.timed} timed, ${r.summary.failed} failed; ${r.options.clock} clock; ${(r.durationMs / 1000).toFixed(1)} s; load average ${r.environment.loadAverage1m.toFixed(2)} -> ${(r.environment.loadAverage1mAtEnd ?? 0).toFixed(2)}`,
  ];
  for (const u of r.unavailable) lines.push(`not measured: ${u.implementation}${u.groups.length ? ` [${u.groups.join(', ')}]` : ''}: ${u.reason}`);
  for (const g of r.groups) for (const c of g.cases) if (c.error !== undefined) lines.push(`FAILED ${c.id}: ${c.error}`);
  return lines.join('\n');
}

/** Spread of the per-round medians around the median, e.g. "±3%"; empty with one round. */
export function formatSpread(rounds: number[] | undefined, median: number): string {
  if (!rounds || rounds.length < 2 || median <= 0) return '';
  return `±${(((Math.max(...rounds) - Math.min(...rounds)) / 2 / median) * 100).toFixed(0)}%`;
}

/** The run as Markdown: when and where it was measured, then a table per group (bench/README.md). */
export function formatMarkdown(r: BenchReport): string {
  const e = r.environment;
  const out: string[] = [
    `Measured ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${e.cpuModel} (${e.cpus} logical CPUs${e.hypervisor ? ', virtualised' : ''}; ${e.cpuFlags.join(', ')}), ` +
      `${(e.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB RAM, ${e.platform} ${e.osRelease}; Node ${e.node} (V8 ${e.v8}), OpenSSL ${e.openssl}; ` +
      `${Object.entries(e.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    '',
    `${r.summary.cases} cases in ${r.groups.length} groups, ${r.summary.timed} timed, ${r.summary.failed} failed; ${r.options.rounds} rounds x ${(r.options.timeMs / r.options.rounds).toFixed(0)} ms per case, ${r.options.clock === 'cpu' ? 'CPU-time clock (process.cpuUsage)' : 'wall clock'}; ` +
      `run took ${(r.durationMs / 1000).toFixed(0)} s; load average (1 min) ${e.loadAverage1m.toFixed(2)} at the start, ${(e.loadAverage1mAtEnd ?? 0).toFixed(2)} at the end.`,
    '',
  ];
  for (const u of r.unavailable) out.push(`- Not measured: ${u.implementation}: ${u.reason}`);
  if (r.unavailable.length > 0) out.push('');
  for (const g of r.groups) {
    const sized = g.bytes !== undefined;
    out.push(`#### ${g.id}: ${g.title} (op = ${g.op})`, '');
    out.push(`| implementation | median | ops/s (median) |${sized ? ' MB/s |' : ''} ratio to best | spread over rounds |`);
    out.push(`|---|--:|--:|${sized ? '--:|' : ''}--:|--:|`);
    for (const c of g.cases) {
      if (c.opsPerSecMedian === undefined || c.latencyMedianNs === undefined) {
        out.push(`| ${c.name} | FAILED | |${sized ? ' |' : ''} | |`);
        continue;
      }
      const ratio = c.ratioToBest !== undefined ? formatRatio(c.ratioToBest, c.name === g.best) : '';
      out.push(
        `| ${c.name} | ${formatLatency(c.latencyMedianNs)} | ${formatOps(c.opsPerSecMedian)} |${sized ? ` ${c.mbPerSecMedian !== undefined ? sig3(c.mbPerSecMedian) : ''} |` : ''} ${c.name === g.best ? `**${ratio}**` : ratio} | ${formatSpread(c.opsPerSecRounds, c.opsPerSecMedian)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
