/** Writes a run's report folder: results.json, junit.xml and a self-contained index.html. */
import { mkdirSync } from 'node:fs';
import { writeFileAtomicSync } from '../../reference/atomic-file.js';
import { join } from 'node:path';
import type { RunResult } from '../conform/runner.js';
import { toHtml } from './html.js';
import { toJunitXml } from './junit.js';
import { toResultsJson } from './results.js';

export { toResultsJson, RESULTS_SCHEMA_ID, type ResultsJson } from './results.js';
export { toJunitXml } from './junit.js';
export { toHtml } from './html.js';

/** Reports are not secret: readable by all, written atomically so a reader never sees half a file. */
function writeAtomic(path: string, text: string): void {
  writeFileAtomicSync(path, text, { mode: 0o644 });
}

export function writeReports(dir: string, r: RunResult): { results: string; junit: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = toResultsJson(r);
  const paths = { results: join(dir, 'results.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'index.html') };
  writeAtomic(paths.results, `${JSON.stringify(json, null, 2)}\n`);
  writeAtomic(paths.junit, toJunitXml(r));
  writeAtomic(paths.html, toHtml(r, json));
  return paths;
}
