/**
 * index.html: a self-contained page (inline CSS and one inline script, no external assets, no
 * network) with a table of contents by suite, a filter box, the run's summary by suite and by
 * requirement (IDs linked to their sentences), each failure (with its copyable reproduction line),
 * warning and expected failure with its exchange, diff and the adapter's stderr, and every test in
 * per-suite sections (collapsed when all passed). Every string from the run is escaped.
 */
import { countOutcomes, OUTCOMES, type Counts, type RunResult, type TestResult } from '../conform/runner.js';
import { requirementTexts } from './requirements.js';
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
nav#toc{background:#f6f8fa;padding:.5em 1em;border-radius:4px}nav#toc li{margin:.1em 0}
.repro{background:#f6f8fa;padding:.5em .6em;font-family:ui-monospace,monospace;font-size:13px;white-space:normal;word-break:normal}
.repro .nw{white-space:nowrap}button.copy{margin-left:.6em;font-size:12px}
details.suite>summary{font-weight:bold;cursor:pointer;margin:.6em 0}
#filter{font-size:14px;padding:.3em .5em;width:30em;max-width:100%}#shown{margin-left:.8em;color:#6b7280}
a.req{text-decoration:none;border-bottom:1px dotted}
`;

/** Filter box, copy buttons, opening the section of a linked test; no network, no external code. */
const SCRIPT = `(() => {
  const f = document.getElementById('filter');
  const rows = [...document.querySelectorAll('tr.t')];
  const apply = () => {
    const q = f.value.trim().toLowerCase();
    let n = 0;
    for (const r of rows) { const hit = !q || r.textContent.toLowerCase().includes(q); r.hidden = !hit; if (hit) n++; }
    for (const d of document.querySelectorAll('details.suite')) {
      const any = [...d.querySelectorAll('tr.t')].some((r) => !r.hidden);
      d.hidden = !any;
      if (q && any) d.open = true;
    }
    document.getElementById('shown').textContent = q ? n + ' of ' + rows.length + ' tests match' : '';
  };
  f.addEventListener('input', apply);
  const initial = new URLSearchParams(location.search).get('filter');
  if (initial) f.value = initial;
  apply();
  for (const b of document.querySelectorAll('button.copy')) {
    b.addEventListener('click', () => navigator.clipboard.writeText(b.dataset.copy).then(() => { b.textContent = 'copied'; }, () => { b.textContent = 'select and copy'; }));
  }
  const reveal = () => {
    const t = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!t) return;
    const d = t.closest('details');
    if (d) d.open = true;
    t.scrollIntoView();
  };
  window.addEventListener('hashchange', reveal);
  reveal();
})();`;

const cls = (o: string): string => (o === 'n/a' ? 'na' : o);
const anchor = (prefix: string, name: string): string => `${prefix}-${name}`;

function countsRow(name: string, c: Counts, label = h(name)): string {
  return `<tr><td>${label}</td><td class="n">${c.total}</td>${OUTCOMES.map((o) => `<td class="n ${c[o] > 0 ? cls(o) : ''}">${c[o]}</td>`).join('')}</tr>`;
}

function countsTable(title: string, rows: Record<string, Counts>, label?: (k: string) => string): string {
  const head = `<tr><th>${h(title)}</th><th>tests</th>${OUTCOMES.map((o) => `<th>${h(o)}</th>`).join('')}</tr>`;
  return `<table>${head}${Object.entries(rows)
    .map(([k, c]) => countsRow(k, c, label?.(k)))
    .join('')}</table>`;
}

// @req CONF-075
/** A requirement ID linked to its row (with its sentence), the sentence also on hover. */
function reqLink(id: string): string {
  const text = requirementTexts().get(id);
  return `<a class="req" href="#${h(anchor('req', id))}"${text ? ` title="${h(text)}"` : ''}>${h(id)}</a>`;
}

/** The reproduction line in chunks that never break inside a flag and its value, with a copy button. */
function reproBlock(line: string): string {
  const chunks = line.match(/^npx agentsec conform|--[\w-]+(?: (?:"(?:[^"\\]|\\.)*"|'(?:[^']|'\\'')*'|[^\s-]\S*))?|\S+/g) ?? [line];
  const body = chunks.join(' ') === line ? chunks.map((c) => `<span class="nw">${h(c)}</span>`).join(' ') : `<span class="nw">${h(line)}</span>`;
  return `<div class="repro"><code>${body}</code><button class="copy" type="button" data-copy="${h(line)}">copy</button></div>`;
}

/** Outcomes whose tests get a block of their own (message, exchange, diff, stderr), CONF-060. */
const DETAILED: ReadonlySet<string> = new Set(['fail', 'xpass', 'warn', 'xfail']);

function failureBlock(t: TestResult): string {
  const parts = [
    `<h3 class="${cls(t.outcome)}" id="${h(anchor('test', t.id))}">${h(t.outcome.toUpperCase())} <code>${h(t.id)}</code></h3>`,
    `<p>${h(t.message ?? '')}</p>`,
    t.reqs.length ? `<p>Requirements: ${t.reqs.map(reqLink).join(' ')}</p>` : '',
    t.expectation !== undefined && t.outcome === 'xfail' ? `<p>Expected to fail: ${h(t.expectation)}</p>` : '',
    t.reproduction ? `<p>Reproduce:</p>${reproBlock(t.reproduction)}` : '',
    detailHtml(t),
    t.stderr ? `<details open><summary>adapter stderr</summary><pre>${h(t.stderr)}</pre></details>` : '',
    t.log ? `<details><summary>test log</summary><pre>${h(t.log)}</pre></details>` : '',
  ];
  return `<div class="failure">${parts.join('\n')}</div>`;
}

/** One suite's tests: open when something in it needs a look, collapsed when everything passed. */
function suiteSection(name: string, tests: readonly TestResult[]): string {
  const c = countOutcomes(tests);
  const open = c.fail + c.xpass + c.warn > 0;
  const rows = tests.map((t) => {
    const target = DETAILED.has(t.outcome) ? `<a href="#${h(anchor('test', t.id))}"><code>${h(t.id)}</code></a>` : `<code>${h(t.id)}</code>`;
    return `<tr class="t ${cls(t.outcome)}"><td>${target}</td><td class="${cls(t.outcome)}">${h(t.outcome)}</td><td class="n">${t.duration_ms}</td><td>${t.reqs.map(reqLink).join(' ')}</td><td>${h(t.message ?? '')}</td></tr>`;
  });
  return `<details class="suite" id="${h(anchor('suite', name))}"${open ? ' open' : ''}><summary>${h(name)}: ${c.total} tests, ${OUTCOMES.filter((o) => c[o] > 0).map((o) => `${c[o]} ${h(o)}`).join(', ')}</summary>
<table><tr><th>test</th><th>outcome</th><th>ms</th><th>requirements</th><th>message</th></tr>
${rows.join('\n')}
</table></details>`;
}

/** Counts per requirement, each row with its anchor and sentence. */
function requirementTable(rows: Record<string, Counts>): string {
  const texts = requirementTexts();
  const head = `<tr><th>requirement</th><th>tests</th>${OUTCOMES.map((o) => `<th>${h(o)}</th>`).join('')}<th>text</th></tr>`;
  const body = Object.entries(rows).map(([k, c]) => `<tr id="${h(anchor('req', k))}"><td><code>${h(k)}</code></td><td class="n">${c.total}</td>${OUTCOMES.map((o) => `<td class="n ${c[o] > 0 ? cls(o) : ''}">${c[o]}</td>`).join('')}<td>${h(texts.get(k) ?? '')}</td></tr>`);
  return `<table>${head}${body.join('')}</table>`;
}

export function toHtml(r: RunResult, json: ResultsJson): string {
  const s = json.summary;
  const ok = r.exit_code === 0;
  const failures = r.tests.filter((t) => t.outcome === 'fail' || t.outcome === 'xpass');
  const xfails = r.tests.filter((t) => t.outcome === 'xfail');
  const warns = r.tests.filter((t) => t.outcome === 'warn');
  const run = r.run;
  const suiteNames = Object.keys(json.suites);
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
<nav id="toc"><strong>Contents</strong><ul>
<li><a href="#by-suite">By suite</a></li><li><a href="#failures">Failures (${failures.length})</a></li>${warns.length ? `<li><a href="#warnings">Warnings (${warns.length})</a></li>` : ''}${xfails.length ? `<li><a href="#expected-failures">Expected failures (${xfails.length})</a></li>` : ''}
<li><a href="#by-requirement">By requirement</a></li><li><a href="#all-tests">All tests (${r.tests.length})</a><ul>
${suiteNames.map((n) => `<li><a href="#${h(anchor('suite', n))}">${h(n)}</a> (${json.suites[n]?.total ?? 0})</li>`).join('\n')}
</ul></li></ul></nav>
<h2 id="by-suite">By suite</h2>
${countsTable('suite', json.suites, (k) => `<a href="#${h(anchor('suite', k))}">${h(k)}</a>`)}
<h2 id="failures">Failures (${failures.length})</h2>
${failures.length ? failures.map(failureBlock).join('\n') : '<p>None.</p>'}
${r.stale_expectations.length ? `<h2>Stale expectation entries (${r.stale_expectations.length})</h2><table><tr><th>pattern</th><th>expect</th><th>reason</th></tr>${r.stale_expectations.map((e) => `<tr><td><code>${h(e.pattern)}</code></td><td>${h(e.expect)}</td><td>${h(e.reason)}</td></tr>`).join('')}</table>` : ''}
${warns.length ? `<h2 id="warnings">Warnings (${warns.length})</h2>\n${warns.map(failureBlock).join('\n')}` : ''}
${xfails.length ? `<h2 id="expected-failures">Expected failures (${xfails.length})</h2>\n${xfails.map(failureBlock).join('\n')}` : ''}
<h2 id="by-requirement">By requirement</h2>
${Object.keys(json.requirements).length ? requirementTable(json.requirements) : '<p>No requirement was cited.</p>'}
<h2 id="all-tests">All tests (${r.tests.length})</h2>
<p><input id="filter" type="search" placeholder="filter: test id, outcome, requirement ID, message" aria-label="filter tests"><span id="shown"></span></p>
${suiteNames.map((n) => suiteSection(n, r.tests.filter((t) => t.suite === n))).join('\n')}
<script>${SCRIPT}</script>
</body></html>
`;
}
