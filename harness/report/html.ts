/**
 * index.html: a self-contained page (inline CSS, no scripts, no external assets) with the run's
 * summary by suite and by requirement, each failure with its reproduction line and the adapter's
 * stderr, and every test. Every string from the run is escaped.
 */
import { OUTCOMES, type Counts, type RunResult, type TestResult } from '../conform/runner.js';
import type { ResultsJson } from './results.js';
import { detailHtml } from './detail.js';
import { escapeHtml as h } from './xml.js';

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all;max-height:30em}
.pass,.xfail{color:#116329}.fail,.xpass{color:#b42318;font-weight:bold}.skip,.na{color:#6b7280}.warn{color:#b45309}
.verdict{font-size:1.2em;padding:.4em .8em;display:inline-block;border-radius:4px}
.ok{background:#dcfce7}.bad{background:#fee2e2}
code{background:#f3f4f6;padding:0 .25em}
`;

const cls = (o: string): string => (o === 'n/a' ? 'na' : o);

function countsRow(name: string, c: Counts): string {
  return `<tr><td>${h(name)}</td><td class="n">${c.total}</td>${OUTCOMES.map((o) => `<td class="n ${c[o] > 0 ? cls(o) : ''}">${c[o]}</td>`).join('')}</tr>`;
}

function countsTable(title: string, rows: Record<string, Counts>): string {
  const head = `<tr><th>${h(title)}</th><th>tests</th>${OUTCOMES.map((o) => `<th>${h(o)}</th>`).join('')}</tr>`;
  return `<table>${head}${Object.entries(rows)
    .map(([k, c]) => countsRow(k, c))
    .join('')}</table>`;
}

function failureBlock(t: TestResult): string {
  const parts = [
    `<h3 class="${cls(t.outcome)}">${h(t.outcome.toUpperCase())} <code>${h(t.id)}</code></h3>`,
    `<p>${h(t.message ?? '')}</p>`,
    t.reqs.length ? `<p>Requirements: ${t.reqs.map((r) => `<code>${h(r)}</code>`).join(' ')}</p>` : '',
    t.reproduction ? `<p>Reproduce:</p><pre>${h(t.reproduction)}</pre>` : '',
    detailHtml(t),
    t.stderr ? `<details open><summary>adapter stderr</summary><pre>${h(t.stderr)}</pre></details>` : '',
    t.log ? `<details><summary>test log</summary><pre>${h(t.log)}</pre></details>` : '',
  ];
  return `<div class="failure">${parts.join('\n')}</div>`;
}

export function toHtml(r: RunResult, json: ResultsJson): string {
  const s = json.summary;
  const ok = r.exit_code === 0;
  const failures = r.tests.filter((t) => t.outcome === 'fail' || t.outcome === 'xpass');
  const xfails = r.tests.filter((t) => t.outcome === 'xfail');
  const warns = r.tests.filter((t) => t.outcome === 'warn');
  const run = r.run;
  const meta: Array<[string, string]> = [
    ['implementation', `${run.impl}${run.impl_name ? ` (${run.impl_name} ${run.impl_version})` : ''}`],
    ['seed', String(run.seed)],
    ['suites', run.suites.join(', ')],
    ['only', run.only.length ? run.only.join(', ') : '(all)'],
    ['quick', String(run.quick)],
    ['strict', String(run.strict ?? false)],
    ['expectations', run.expectations ?? '(none)'],
    ['started', run.started],
    ['duration', `${(run.duration_ms / 1000).toFixed(1)} s`],
    ['node', run.node],
    ['agentsec', run.agentsec],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>agentsec conformance report</title><style>${CSS}</style></head><body>
<h1>agentsec conformance report</h1>
<p class="verdict ${ok ? 'ok' : 'bad'}">${ok ? 'PASSED' : 'FAILED'}: ${s.total} tests, ${OUTCOMES.map((o) => `${s[o]} ${h(o)}`).join(', ')}, ${s.stale_expectations} stale expectation entr${s.stale_expectations === 1 ? 'y' : 'ies'}</p>
<table>${meta.map(([k, v]) => `<tr><th>${h(k)}</th><td>${h(v)}</td></tr>`).join('')}</table>
<h2>By suite</h2>
${countsTable('suite', json.suites)}
<h2>Failures (${failures.length})</h2>
${failures.length ? failures.map(failureBlock).join('\n') : '<p>None.</p>'}
${r.stale_expectations.length ? `<h2>Stale expectation entries (${r.stale_expectations.length})</h2><table><tr><th>pattern</th><th>expect</th><th>reason</th></tr>${r.stale_expectations.map((e) => `<tr><td><code>${h(e.pattern)}</code></td><td>${h(e.expect)}</td><td>${h(e.reason)}</td></tr>`).join('')}</table>` : ''}
${warns.length ? `<h2>Warnings (${warns.length})</h2><table><tr><th>test</th><th>finding</th></tr>${warns.map((t) => `<tr><td><code>${h(t.id)}</code></td><td>${h(t.message ?? '')}</td></tr>`).join('')}</table>` : ''}
${xfails.length ? `<h2>Expected failures (${xfails.length})</h2><table><tr><th>test</th><th>finding</th><th>expectation</th></tr>${xfails.map((t) => `<tr><td><code>${h(t.id)}</code></td><td>${h(t.message ?? '')}</td><td>${h(t.expectation ?? '')}</td></tr>`).join('')}</table>` : ''}
<h2>By requirement</h2>
${Object.keys(json.requirements).length ? countsTable('requirement', json.requirements) : '<p>No requirement was cited.</p>'}
<h2>All tests (${r.tests.length})</h2>
<table><tr><th>test</th><th>outcome</th><th>ms</th><th>requirements</th><th>message</th></tr>
${r.tests.map((t) => `<tr><td><code>${h(t.id)}</code></td><td class="${cls(t.outcome)}">${h(t.outcome)}</td><td class="n">${t.duration_ms}</td><td>${h(t.reqs.join(' '))}</td><td>${h(t.message ?? '')}</td></tr>`).join('\n')}
</table>
</body></html>
`;
}
