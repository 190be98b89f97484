/**
 * The errors table (spec/conventions.md, CONV-021..023): reference/reasons.ts binds each reason code
 * to one error kind; this module renders that map into the spec and finds every place the shipped
 * code builds an AgentsecError, so a test can hold each site to the map.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_KINDS } from '../../protocol/errors.js';

/** The folders of shipped code whose construction sites must use the map. */
export const SHIPPED_DIRS = ['reference', 'protocol', 'adapter', 'services', 'harness', 'cli'] as const;

export interface LiteralSite {
  file: string;
  line: number;
  kind: string;
  reason: string;
}

export interface DynamicSite {
  file: string;
  line: number;
  /** The kind and reason arguments as written. */
  args: string;
}

function isTestFile(rel: string): boolean {
  return /(^|\/)(test|mutants|fuzz-mutants|fixtures)\//.test(rel) || /\.test\.ts$/.test(rel);
}

function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const rel = relative(root, p);
        if (!isTestFile(rel)) out.push(rel);
      }
    }
  };
  for (const d of SHIPPED_DIRS) walk(join(root, d));
  return out.sort();
}

const KINDS = ERROR_KINDS.join('|');
/** `'<kind>', '<REASON>'`: how every construction helper (new AgentsecError, fail, needs, configError) takes them. */
const LITERAL_PAIR = new RegExp(`'(${KINDS})',\\s*'([A-Z][A-Z0-9_]*)'`, 'g');
/** A construction whose kind or reason may not be a literal. */
const CONSTRUCTION = /(?:new AgentsecError|\bconfigError)\(\s*([^,]+?)\s*,\s*([^,]+?)\s*,/g;
const LITERAL_KIND = new RegExp(`^'(${KINDS})'$`);
const LITERAL_REASON = /^'[A-Z][A-Z0-9_]*'$/;
/** A choice between literal reasons: `cond ? 'A' : 'B'`. */
const REASON_CHOICE = /^[\w.!]+\s*\?\s*'([A-Z][A-Z0-9_]*)'\s*:\s*'([A-Z][A-Z0-9_]*)'$/;

/**
 * Module-local helpers that build an AgentsecError of one kind from a reason argument: their calls
 * with a literal reason are construction sites of that kind.
 */
export const REASON_HELPERS: readonly { file: string; call: string; kind: string }[] = [
  { file: 'reference/envelope/format.ts', call: 'decodeErr', kind: 'decode_failure' },
  { file: 'reference/identity/did-document.ts', call: 'bad', kind: 'decode_failure' },
  { file: 'reference/noise/protocol-name.ts', call: 'bad', kind: 'decode_failure' },
  { file: 'reference/device/tpm/transport.ts', call: 'failPending', kind: 'state_failure' },
];

/**
 * Construction sites whose kind or reason is computed, each with how its reasons stay bound to one
 * kind. A new computed site fails the test until it is listed here (by file and the arguments as written).
 */
export const COMPUTED_SITES: Readonly<Record<string, string>> = {
  'reference/errors.ts: kind, reason': 'fail() and needs() themselves; their callers pass literals',
  'reference/config/schema.ts: kind, reason': 'configError() itself; its callers pass literals',
  'reference/config/load.ts: e.kind, e.reason': 'rethrows an AgentsecError with the file name added',
  'services/directory/publication.ts: e.kind, e.reason': 'rethrows an AgentsecError',
  'reference/envelope/format.ts: \'decode_failure\', reason': 'decodeErr(), a REASON_HELPERS entry',
  'reference/identity/did-document.ts: \'decode_failure\', reason': 'bad(), a REASON_HELPERS entry',
  'reference/noise/protocol-name.ts: \'decode_failure\', reason': 'bad(), a REASON_HELPERS entry',
  'reference/device/tpm/transport.ts: \'state_failure\', reason': 'failPending(), a REASON_HELPERS entry',
  'reference/device/tpm/rc.ts: KINDS[d.name] ?? \'internal\', d.name': 'the TPM_RC_<name> family',
  'reference/device/pkcs11/token.ts: kind, name === \'CKR_ATTRIBUTE_SENSITIVE\' || name === \'CKR_KEY_UNEXTRACTABLE\' || name === \'CKR_KEY_NOT_WRAPPABLE\' ? \'KEY_NOT_EXTRACTABLE\' : `PKCS11_${name.slice(4)}`': 'the PKCS11_<name> family and KEY_NOT_EXTRACTABLE',
  'reference/envelope/kek/aws-kms.ts: \'state_failure\', `KMS_${name}`': 'the KMS_<exception> family',
  'reference/envelope/kek/azure-key-vault.ts: \'state_failure\', `KMS_${code}`': 'the KMS_<Key Vault error code> family',
  'reference/envelope/kek/gcp-kms.ts: \'state_failure\', `KMS_${name}`': 'the KMS_<Cloud KMS status> family',
  'services/directory/client.ts: isErrorKind(e.kind) ? e.kind : \'internal\', typeof e.reason === \'string\' ? e.reason : `HTTP_${res.status}`': "the directory's own error (its reason and kind) or the HTTP_<status> family",
};

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every construction site of the shipped code: literal (kind, reason) pairs and the computed ones. */
export function scanErrorSites(root: string): { literal: LiteralSite[]; dynamic: DynamicSite[] } {
  const literal: LiteralSite[] = [];
  const dynamic: DynamicSite[] = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(LITERAL_PAIR)) literal.push({ file, line: lineOf(text, m.index), kind: m[1]!, reason: m[2]! });
    for (const h of REASON_HELPERS.filter((x) => x.file === file)) {
      for (const m of text.matchAll(new RegExp(`\\b${h.call}\\(\\s*'([A-Z][A-Z0-9_]*)'`, 'g'))) literal.push({ file, line: lineOf(text, m.index), kind: h.kind, reason: m[1]! });
    }
    for (const m of text.matchAll(CONSTRUCTION)) {
      const [kind, reason] = [m[1]!.trim(), m[2]!.trim()];
      // The helpers' own definitions take (kind: ErrorKind, reason: string).
      if (/^kind: ErrorKind$/.test(kind)) continue;
      if (LITERAL_KIND.test(kind) && LITERAL_REASON.test(reason)) continue;
      const choice = LITERAL_KIND.test(kind) ? REASON_CHOICE.exec(reason) : null;
      if (choice) {
        for (const r of [choice[1]!, choice[2]!]) literal.push({ file, line: lineOf(text, m.index), kind: kind.slice(1, -1), reason: r });
        continue;
      }
      dynamic.push({ file, line: lineOf(text, m.index), args: `${kind}, ${reason}`.replace(/\s+/g, ' ') });
    }
  }
  return { literal, dynamic };
}

const BEGIN = '<!-- reasons:begin (generated from reference/reasons.ts by `agentsec spec extract`; do not edit) -->';
const END = '<!-- reasons:end -->';

/** The table: one row per kind, its reasons in order, then the families of computed reasons. */
export function renderReasonsTable(reasons: Readonly<Record<string, string>>, families: readonly { pattern: string; kind: string; source: string }[]): string {
  const rows = ERROR_KINDS.map((k) => {
    const names = Object.keys(reasons)
      .filter((r) => reasons[r] === k)
      .sort();
    return `| \`${k}\` | ${names.length} | ${names.map((r) => `\`${r}\``).join(', ')} |`;
  });
  const fam = families.map((f) => `| \`${f.pattern}\` | ${f.kind} | ${f.source} |`);
  return [
    BEGIN,
    '',
    '| kind | reasons | reason codes |',
    '|---|---|---|',
    ...rows,
    '',
    'Reasons computed from a device or service answer, each family bound as stated:',
    '',
    '| family | kind | from |',
    '|---|---|---|',
    ...fam,
    '',
    END,
  ].join('\n');
}

/** conventions.md with its table replaced by `table`; throws when the markers are missing. */
export function withReasonsTable(markdown: string, table: string): string {
  const a = markdown.indexOf(BEGIN.slice(0, 20));
  const b = markdown.indexOf(END);
  if (a < 0 || b < 0) throw new Error('spec/conventions.md has no reasons table markers');
  return `${markdown.slice(0, a)}${table}${markdown.slice(b + END.length)}`;
}
