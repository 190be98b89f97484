/** spec/*.md -> spec/requirements.json (generated, committed; regenerating gives identical bytes). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRequirements, renderRequirementsJson } from './requirements.js';

export interface ExtractResult {
  path: string;
  count: number;
  changed: boolean;
}

export function extractRequirements(specDir: string): ExtractResult {
  const reqs = loadRequirements(specDir);
  const text = renderRequirementsJson(reqs);
  const path = join(specDir, 'requirements.json');
  const changed = !existsSync(path) || readFileSync(path, 'utf8') !== text;
  if (changed) writeFileSync(path, text);
  return { path, count: reqs.length, changed };
}

/** Undefined when the committed file matches the spec, else a message saying how to fix it. */
export function requirementsJsonStaleness(specDir: string): string | undefined {
  const path = join(specDir, 'requirements.json');
  const expected = renderRequirementsJson(loadRequirements(specDir));
  if (!existsSync(path)) return `${path} is missing: run agentsec spec extract`;
  if (readFileSync(path, 'utf8') !== expected) return `${path} is out of date with spec/*.md: run agentsec spec extract (npm run spec:extract) and commit it`;
  return undefined;
}
