/**
 * GitHub Actions (CONF-073): with GITHUB_ACTIONS=true a run prints one `::error` workflow command per
 * failure (and `::warning` per warning and stale entry) and appends a Markdown job summary to the
 * file named by $GITHUB_STEP_SUMMARY.
 */
import { appendFileSync } from 'node:fs';
import { countOutcomes, OUTCOMES, type RunResult, type TestResult } from '../conform/runner.js';

/** Workflow-command data escaping (%, CR, LF), and for properties also `:` and `,`. */
function escData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escProp(s: string): string {
  return escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

// @req CONF-073
export function githubAnnotations(r: RunResult): string[] {
  const line = (kind: 'error' | 'warning', t: TestResult): string =>
    `::${kind} title=${escProp(`${t.outcome.toUpperCase()} ${t.id}`)}::${escData([t.message ?? '', t.reproduction ? `reproduce: ${t.reproduction}` : ''].filter(Boolean).join('\n'))}`;
  return [
    ...r.tests.filter((t) => t.outcome === 'fail' || t.outcome === 'xpass').map((t) => line('error', t)),
    ...r.tests.filter((t) => t.outcome === 'warn').map((t) => line('warning', t)),
    ...r.stale_expectations.map((e) => `::error title=${escProp(`STALE ${e.pattern}`)}::${escData(`stale expectation entry (expect ${e.expect}: ${e.reason}): remove it`)}`),
  ];
}

const md = (s: string): string => s.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');

export function githubSummary(r: RunResult): string {
  const c = countOutcomes(r.tests);
  const suites = [...new Set(r.tests.map((t) => t.suite))];
  const rows = suites.map((s) => {
    const k = countOutcomes(r.tests.filter((t) => t.suite === s));
    return `| ${md(s)} | ${k.total} | ${OUTCOMES.map((o) => k[o]).join(' | ')} |`;
  });
  const bad = r.tests.filter((t) => t.outcome === 'fail' || t.outcome === 'xpass');
  return [
    `## agentsec conform: ${r.exit_code === 0 ? 'PASSED' : 'FAILED'}`,
    '',
    `Seed ${r.run.seed}, ${md(r.run.impl)}${r.run.shard ? `, shard ${r.run.shard.index}/${r.run.shard.count}` : ''}${r.run.interrupted ? ', interrupted' : ''}.`,
    '',
    `| suite | tests | ${OUTCOMES.join(' | ')} |`,
    `|---|---:|${OUTCOMES.map(() => '---:').join('|')}|`,
    ...rows,
    `| **total** | ${c.total} | ${OUTCOMES.map((o) => c[o]).join(' | ')} |`,
    '',
    ...(bad.length ? [`### Failures (${bad.length})`, '', ...bad.flatMap((t) => [`- **${t.outcome.toUpperCase()}** \`${t.id}\`: ${md(t.message ?? '')}`, ...(t.reproduction ? ['', '  ```sh', `  ${t.reproduction}`, '  ```'] : [])]), ''] : []),
    ...(r.stale_expectations.length ? ['### Stale expectation entries', '', ...r.stale_expectations.map((e) => `- \`${e.pattern}\` (expect ${e.expect}): ${md(e.reason)}`), ''] : []),
  ].join('\n');
}

/** Under GITHUB_ACTIONS=true: the annotations on `out`, the summary appended to $GITHUB_STEP_SUMMARY. */
export function reportToGithub(r: RunResult, env: NodeJS.ProcessEnv, out: (line: string) => void): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  for (const l of githubAnnotations(r)) out(l);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${githubSummary(r)}\n`);
}
