/**
 * Which tests a run selects (CONF-064): `--only` and `--exclude` take test ids, globs over ids
 * (`noise/*`), and requirement IDs or globs over them (`X3DH-009`, `ENV-0*`), which select every test
 * citing a matching requirement. A test runs when it matches some `--only` entry (or there is none)
 * and no `--exclude` entry.
 */
import { compilePattern } from './match.js';

export interface Selection {
  only: readonly string[];
  exclude: readonly string[];
}

/** A requirement ID or a glob over requirement IDs (no `/`, upper-case area, digits). */
const REQ_PATTERN = /^[A-Z][A-Z0-9]*-[0-9*?]+$/;

export function isRequirementPattern(p: string): boolean {
  return REQ_PATTERN.test(p);
}

type Matcher = (t: { id: string; reqs: readonly string[] }) => boolean;

function matcher(p: string): Matcher {
  const m = compilePattern(p);
  return isRequirementPattern(p) ? (t) => t.reqs.some(m) : (t) => m(t.id);
}

// @req CONF-064
export function compileSelection(s: Selection): Matcher {
  const only = s.only.map(matcher);
  const exclude = s.exclude.map(matcher);
  return (t) => (only.length === 0 || only.some((f) => f(t))) && !exclude.some((f) => f(t));
}

/** Whether a suite that cannot list its tests may still hold a selected one (for its `unavailable` line). */
export function mayHoldSelected(s: Selection, suite: string): boolean {
  return s.only.length === 0 || s.only.some((p) => isRequirementPattern(p) || p.startsWith(`${suite}/`) || p.startsWith('*'));
}
