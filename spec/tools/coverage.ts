/**
 * Traceability: which test, conformance suite or vector file cites each requirement, which MUSTs
 * have neither a citation nor an exception, and which cited IDs do not exist in the spec.
 *
 * Citations that count (spec/README.md):
 *  - a string literal in a test file (`**\/*.test.ts` under api/, reference/, protocol/, adapter/, services/, harness/, cli/, vectors/, spec/,
 *    bench/): test names, `describe` titles, any string -- comments do not count;
 *  - a string literal that is exactly one ID in a conformance suite (harness/suites/**): `reqs` lists;
 *  - a `"reqs"` array in a JSON vector file under vectors/.
 * `// @req ID` comments in code are collected for the matrix (and checked for unknown IDs) but do
 * not cover anything: a rule is covered only by something that checks it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { areasOf, idPattern, isMandatory, isWithdrawn, loadRequirements, type Requirement } from './requirements.js';

export type CitationKind = 'test' | 'suite' | 'vector' | 'code';

export interface Citation {
  id: string;
  kind: CitationKind;
  file: string;
}

export interface Exception {
  id: string;
  reason: string;
}

export type Status = 'covered' | 'excepted' | 'uncovered' | 'optional' | 'withdrawn';

export interface MatrixRow {
  id: string;
  level: string;
  section: string;
  text: string;
  status: Status;
  tests: string[];
  suites: string[];
  vectors: string[];
  code: string[];
  exception?: string;
}

export interface CoverageResult {
  rows: MatrixRow[];
  counts: { requirements: number; musts: number; covered: number; excepted: number; uncovered: number };
  /** Cited IDs that are not in the spec, with where they were cited. */
  unknown: Citation[];
  /** Problems with spec/exceptions.md (unknown ID, missing reason, duplicate entry). */
  exceptionErrors: string[];
}

const TEST_ROOTS = ['api', 'reference', 'protocol', 'adapter', 'services', 'harness', 'cli', 'vectors', 'spec', 'bench'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'report', 'dist']);

function walk(dir: string, accept: (path: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(join(dir, e.name), accept, out);
    } else if (e.isFile() && accept(e.name)) {
      out.push(join(dir, e.name));
    }
  }
  return out;
}

/**
 * The string literals and the comments of a TS source. A small scanner, not a parser: it knows
 * quotes, template literals and comments, which is all the citation rules need.
 */
export function scanSource(src: string): { strings: string[]; comments: string[] } {
  const strings: string[] = [];
  const comments: string[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      comments.push(src.slice(i + 2, stop));
      i = stop;
    } else if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end;
      comments.push(src.slice(i + 2, stop));
      i = stop + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let s = '';
      while (j < n && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < n) {
          s += src[j + 1];
          j += 2;
          continue;
        }
        if (c !== '`' && src[j] === '\n') break; // unterminated: not a string (e.g. a quote in a regex)
        s += src[j];
        j++;
      }
      strings.push(s);
      i = j + 1;
    } else {
      i++;
    }
  }
  return { strings, comments };
}

function idsIn(text: string, pattern: RegExp): string[] {
  return text.match(pattern) ?? [];
}

/** Every array under a "reqs" key, anywhere in a JSON value. */
function jsonReqs(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) jsonReqs(x, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'reqs' && Array.isArray(x)) {
        for (const id of x) if (typeof id === 'string') out.push(id);
      } else {
        jsonReqs(x, out);
      }
    }
  }
}

export function collectCitations(root: string, areas: readonly string[]): Citation[] {
  const pattern = idPattern(areas);
  const cites: Citation[] = [];
  const rel = (p: string) => relative(root, p).split('\\').join('/');
  const add = (ids: Iterable<string>, kind: CitationKind, file: string) => {
    for (const id of new Set(ids)) cites.push({ id, kind, file: rel(file) });
  };
  const exactId = new RegExp(`^${pattern.source}$`);
  for (const top of TEST_ROOTS) {
    for (const f of walk(join(root, top), (name) => name.endsWith('.ts'))) {
      const src = readFileSync(f, 'utf8');
      const { strings, comments } = scanSource(src);
      const relPath = rel(f);
      if (f.endsWith('.test.ts')) {
        add(strings.flatMap((x) => idsIn(x, pattern)), 'test', f);
      } else if (relPath.startsWith('harness/suites/')) {
        add(
          strings.filter((s) => exactId.test(s)),
          'suite',
          f,
        );
      }
      if (!f.endsWith('.test.ts') && !relPath.startsWith('spec/tools/')) {
        add(
          comments.flatMap((c) => [...c.matchAll(/@req\s+([A-Z0-9, -]+)/g)].flatMap((m) => idsIn(m[1]!, pattern))),
          'code',
          f,
        );
      }
    }
  }
  for (const f of walk(join(root, 'vectors'), (name) => name.endsWith('.json'))) {
    const text = readFileSync(f, 'utf8');
    if (!text.includes('"reqs"')) continue;
    const ids: string[] = [];
    try {
      jsonReqs(JSON.parse(text), ids);
    } catch {
      continue; // not JSON: not a vector file
    }
    add(ids, 'vector', f);
  }
  return cites;
}

export function parseExceptions(markdown: string): { entries: Exception[]; errors: string[] } {
  const entries: Exception[] = [];
  const errors: string[] = [];
  const lines = markdown.split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = /^- ([A-Z][A-Z0-9]*-\d{3})\s*:\s*(.*)$/.exec(line);
    if (!m) return;
    const reason = m[2]!.trim();
    if (reason.length === 0) errors.push(`spec/exceptions.md:${i + 1}: ${m[1]} has no reason`);
    else entries.push({ id: m[1]!, reason });
  });
  return { entries, errors };
}

export function computeCoverage(root: string): CoverageResult {
  const reqs: Requirement[] = loadRequirements(join(root, 'spec'));
  const known = new Map(reqs.map((r) => [r.id, r]));
  const cites = collectCitations(root, areasOf(reqs));
  const excPath = join(root, 'spec', 'exceptions.md');
  const { entries, errors } = existsSync(excPath) ? parseExceptions(readFileSync(excPath, 'utf8')) : { entries: [], errors: [] };
  const exceptions = new Map<string, string>();
  for (const e of entries) {
    if (!known.has(e.id)) errors.push(`spec/exceptions.md: ${e.id} is not a requirement in spec/*.md`);
    else if (exceptions.has(e.id)) errors.push(`spec/exceptions.md: ${e.id} is listed twice`);
    else exceptions.set(e.id, e.reason);
  }
  const byId = new Map<string, Citation[]>();
  const unknown: Citation[] = [];
  for (const c of cites) {
    if (!known.has(c.id)) unknown.push(c);
    else byId.set(c.id, [...(byId.get(c.id) ?? []), c]);
  }
  const files = (cs: Citation[], kind: CitationKind) => [...new Set(cs.filter((c) => c.kind === kind).map((c) => c.file))].sort();
  const rows: MatrixRow[] = reqs.map((r) => {
    const cs = byId.get(r.id) ?? [];
    const tests = files(cs, 'test');
    const suites = files(cs, 'suite');
    const vectors = files(cs, 'vector');
    const exception = exceptions.get(r.id);
    const cited = tests.length + suites.length + vectors.length > 0;
    let status: Status;
    if (isWithdrawn(r)) status = 'withdrawn';
    else if (!isMandatory(r)) status = 'optional';
    else if (cited) status = 'covered';
    else if (exception !== undefined) status = 'excepted';
    else status = 'uncovered';
    const row: MatrixRow = { id: r.id, level: r.level, section: r.section, text: r.text, status, tests, suites, vectors, code: files(cs, 'code') };
    if (exception !== undefined) row.exception = exception;
    return row;
  });
  const musts = rows.filter((r) => r.status === 'covered' || r.status === 'excepted' || r.status === 'uncovered');
  return {
    rows,
    counts: {
      requirements: rows.length,
      musts: musts.length,
      covered: musts.filter((r) => r.status === 'covered').length,
      excepted: musts.filter((r) => r.status === 'excepted').length,
      uncovered: musts.filter((r) => r.status === 'uncovered').length,
    },
    unknown: unknown.sort((a, b) => (a.id + a.file < b.id + b.file ? -1 : 1)),
    exceptionErrors: errors,
  };
}

export function coveragePassed(r: CoverageResult): boolean {
  return r.counts.uncovered === 0 && r.unknown.length === 0 && r.exceptionErrors.length === 0;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A self-contained HTML page: counts, then one row per requirement with its citing files. */
export function renderHtml(r: CoverageResult): string {
  const c = r.counts;
  const list = (xs: string[]) => xs.map((x) => `<div>${esc(x)}</div>`).join('');
  const rows = r.rows
    .map(
      (x) =>
        `<tr class="${x.status}"><td><b>${esc(x.id)}</b></td><td>${esc(x.level)}</td><td>${esc(x.status)}</td><td>${esc(x.text)}<div class="sec">${esc(x.section)}</div></td>` +
        `<td>${list(x.tests)}</td><td>${list(x.suites)}</td><td>${list(x.vectors)}</td><td>${list(x.code)}</td><td>${esc(x.exception ?? '')}</td></tr>`,
    )
    .join('\n');
  const unknown = r.unknown.length
    ? `<h2>Unknown IDs</h2><ul>${r.unknown.map((u) => `<li>${esc(u.id)} in ${esc(u.file)}</li>`).join('')}</ul>`
    : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>agentsec traceability</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:4px;vertical-align:top;text-align:left}th{background:#eee;position:sticky;top:0}
tr.uncovered td{background:#fdd}tr.excepted td{background:#ffd}tr.covered td:nth-child(3){color:#070}
.sec{color:#777;font-size:12px}td div{white-space:nowrap}
</style></head><body>
<h1>Traceability matrix</h1>
<p>${c.requirements} requirements; ${c.musts} MUST / MUST NOT: ${c.covered} covered, ${c.excepted} excepted, <b>${c.uncovered} uncovered</b>; ${r.unknown.length} unknown IDs cited.</p>
${unknown}
<table><thead><tr><th>id</th><th>level</th><th>status</th><th>text</th><th>tests</th><th>suites</th><th>vectors</th><th>code (@req)</th><th>exception</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
