/** Requirement sentences for the HTML report (spec/requirements.json), so IDs link to their text. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../reference/paths.js';

let cache: Map<string, string> | undefined;

/** ID -> "LEVEL: sentence"; empty when the file is not there (IDs are then shown unlinked to text). */
export function requirementTexts(): Map<string, string> {
  if (cache) return cache;
  cache = new Map();
  try {
    const list = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'spec', 'requirements.json'), 'utf8')) as Array<{ id: string; level: string; text: string }>;
    for (const r of list) cache.set(r.id, `${r.level}: ${r.text}`);
  } catch {
    // A packaged harness without the spec: IDs stay plain.
  }
  return cache;
}
