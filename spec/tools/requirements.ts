/**
 * Parser of the requirement format of spec/README.md:
 *   - **AREA-NNN** LEVEL: text        (continuation lines indented under the item)
 * Fenced code blocks are skipped (the README shows the format inside one).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LEVELS = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * The areas of spec/README.md. Requirement items may open a new area; when scanning code and tests
 * for citations only known areas count, so that "SHA-256" or "AES-128" is never taken for an ID.
 */
export const AREAS: readonly string[] = ['CONV', 'CRYPTO', 'CONFIG', 'NOISE', 'ID', 'KEY', 'X3DH', 'PQXDH', 'DR', 'SESS', 'REC', 'ENV', 'KMS', 'CONF', 'MODEL'];

/** Matches one requirement ID of these areas anywhere in text (word-bounded). */
export function idPattern(areas: readonly string[] = AREAS): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_-])(?:${[...new Set(areas)].join('|')})-\\d{3}(?![0-9A-Za-z_])`, 'g');
}

/** The known areas plus every area the spec's requirements use. */
export function areasOf(reqs: readonly Requirement[]): string[] {
  return [...new Set([...AREAS, ...reqs.map((r) => r.id.slice(0, r.id.indexOf('-')))])];
}

export interface Requirement {
  id: string;
  level: Level;
  /** `file#heading-anchor` of the nearest heading above the item. */
  section: string;
  text: string;
}

export class SpecFormatError extends Error {
  override name = 'SpecFormatError';
}

const ITEM = /^- \*\*([A-Z][A-Z0-9]*-\d{3})\*\* (MUST NOT|MUST|SHOULD NOT|SHOULD|MAY): (.+)$/;
/** Anything that looks like it was meant to be a requirement item (caught so typos fail loudly). */
const LOOKS_LIKE_ITEM = /^- \*\*[A-Z][A-Z0-9]*-\d+\*\*/;

/** GitHub-style heading anchor: lower case, punctuation dropped, spaces to '-'. */
export function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Requirements of one markdown file, in file order. */
export function parseRequirements(file: string, markdown: string): Requirement[] {
  const out: Requirement[] = [];
  const lines = markdown.split(/\r?\n/);
  let heading = '';
  let fenced = false;
  let current: Requirement | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      current = undefined;
      continue;
    }
    if (fenced) continue;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) {
      heading = anchor(h[1]!);
      current = undefined;
      continue;
    }
    const m = ITEM.exec(line);
    if (m) {
      const [, id, level, text] = m;
      current = { id: id!, level: level as Level, section: heading ? `${file}#${heading}` : file, text: text!.trim() };
      out.push(current);
      continue;
    }
    if (LOOKS_LIKE_ITEM.test(line)) {
      throw new SpecFormatError(`${file}:${i + 1}: malformed requirement item (expected "- **AREA-NNN** LEVEL: text", LEVEL one of ${LEVELS.join(', ')})`);
    }
    // Continuation: an indented, non-empty line that is not a new list item.
    if (current && /^\s+\S/.test(line) && !/^\s*[-*+] /.test(line)) {
      current.text += ` ${line.trim()}`;
      continue;
    }
    current = undefined;
  }
  return out;
}

function idOrder(a: string, b: string): number {
  const [aa, an] = a.split('-') as [string, string];
  const [ba, bn] = b.split('-') as [string, string];
  return aa < ba ? -1 : aa > ba ? 1 : Number(an) - Number(bn);
}

/** Every requirement of spec/*.md, sorted by ID; duplicate IDs are an error naming both places. */
export function loadRequirements(specDir: string): Requirement[] {
  const files = readdirSync(specDir)
    .filter((f) => f.endsWith('.md'))
    .sort();
  const seen = new Map<string, string>();
  const all: Requirement[] = [];
  for (const f of files) {
    for (const r of parseRequirements(f, readFileSync(join(specDir, f), 'utf8'))) {
      const prev = seen.get(r.id);
      if (prev !== undefined) throw new SpecFormatError(`duplicate requirement ID ${r.id}: in ${prev} and ${r.section}`);
      seen.set(r.id, r.section);
      all.push(r);
    }
  }
  return all.sort((a, b) => idOrder(a.id, b.id));
}

/** The exact bytes of spec/requirements.json for these requirements. */
export function renderRequirementsJson(reqs: readonly Requirement[]): string {
  return `${JSON.stringify(
    reqs.map((r) => ({ id: r.id, level: r.level, section: r.section, text: r.text })),
    null,
    2,
  )}\n`;
}

export function isMandatory(r: Requirement): boolean {
  return r.level === 'MUST' || r.level === 'MUST NOT';
}

/** A rule kept for its ID but no longer in force (spec/README.md: "marked *withdrawn*"). */
export function isWithdrawn(r: Requirement): boolean {
  return /^\*withdrawn\*/i.test(r.text);
}
