/**
 * One errors table (CONV-021, CONV-022): every AgentsecError the shipped code builds uses a reason
 * of REASONS with the kind REASONS gives it, and spec/conventions.md carries the table as rendered.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_KINDS } from '../../protocol/errors.js';
import { AgentsecError } from '../errors.js';
import { kindOfReason, REASON_FAMILIES, REASONS } from '../reasons.js';
import { COMPUTED_SITES, renderReasonsTable, scanErrorSites, SHIPPED_DIRS, withReasonsTable } from '../../spec/tools/error-reasons.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'agentsec-reasons-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function violations(root: string): string[] {
  const { literal, dynamic } = scanErrorSites(root);
  const bad = literal.filter((s) => kindOfReason(s.reason) !== s.kind).map((s) => `${s.file}:${s.line}: ${s.kind} ${s.reason} (table: ${kindOfReason(s.reason) ?? 'absent: add it to REASONS in reference/reasons.ts under its kind'})`);
  const unlisted = dynamic.filter((d) => !Object.hasOwn(COMPUTED_SITES, `${d.file}: ${d.args}`)).map((d) => `${d.file}:${d.line}: computed (${d.args}) and not in COMPUTED_SITES`);
  return [...bad, ...unlisted];
}

describe('the errors table', () => {
  it('CONV-021: every construction site of the shipped code uses a reason of REASONS with its one kind', () => {
    const { literal, dynamic } = scanErrorSites(ROOT);
    expect(literal.length).toBeGreaterThan(400);
    expect(violations(ROOT)).toEqual([]);
    // Every listed computed site still exists (a stale entry would hide a new one with the same text).
    const present = new Set(dynamic.map((d) => `${d.file}: ${d.args}`));
    expect(Object.keys(COMPUTED_SITES).filter((k) => !present.has(k))).toEqual([]);
    for (const kind of Object.values(REASONS)) expect(ERROR_KINDS).toContain(kind);
  });

  it('CONV-021: the reasons that carried two kinds now carry one each', () => {
    expect(REASONS.MESSAGE_TOO_LARGE).toBe('policy_reject');
    expect(REASONS.RECEIVED_TOO_LARGE).toBe('decode_failure');
    expect(REASONS.BAD_LENGTH).toBe('decode_failure');
    expect(REASONS.KEY_LENGTH_INVARIANT).toBe('internal');
    expect(REASONS.MISSING_KEY).toBe('decode_failure');
    expect(REASONS.NO_KEY).toBe('state_failure');
    expect(REASONS.KEY_INVARIANT).toBe('internal');
    expect(REASONS.CONFIG_RANGE).toBe('policy_reject');
    expect(REASONS.CONFIG_POLICY).toBe('policy_reject');
    expect(REASONS.CONFIG_REFUSED_VALUE).toBe('decode_failure');
  });

  it('CONV-021: a planted site with a second kind, an unknown reason or an unlisted computed one is found', () => {
    for (const d of SHIPPED_DIRS) mkdirSync(join(scratch, d), { recursive: true });
    writeFileSync(
      join(scratch, 'reference', 'planted.ts'),
      [
        "throw new AgentsecError('internal', 'MESSAGE_TOO_LARGE', 'x');",
        "needs(ok, 'decode_failure', 'NOT_IN_THE_TABLE', 'x');",
        "throw new AgentsecError('decode_failure', someReason, 'x');",
        "throw new AgentsecError('policy_reject', 'MESSAGE_TOO_LARGE', 'fine');",
      ].join('\n'),
    );
    writeFileSync(join(scratch, 'reference', 'planted.test.ts'), "throw new AgentsecError('internal', 'TESTS_ARE_NOT_SHIPPED', 'x');");
    const v = violations(scratch);
    expect(v).toHaveLength(3);
    expect(v[0]).toMatch(/planted\.ts:1: internal MESSAGE_TOO_LARGE \(table: policy_reject\)/);
    expect(v[1]).toMatch(/planted\.ts:2: decode_failure NOT_IN_THE_TABLE \(table: absent: add it/);
    expect(v[2]).toMatch(/planted\.ts:3: computed/);
  });

  it('CONV-022: spec/conventions.md carries the table rendered from REASONS, one row per kind', () => {
    const md = readFileSync(join(ROOT, 'spec', 'conventions.md'), 'utf8');
    const table = renderReasonsTable(REASONS, REASON_FAMILIES);
    expect(withReasonsTable(md, table)).toBe(md);
    for (const k of ERROR_KINDS) expect(table).toContain(`| \`${k}\` |`);
    // Each reason appears in exactly one row.
    for (const r of Object.keys(REASONS)) expect(table.split('\n').filter((l) => l.includes(`\`${r}\``))).toHaveLength(1);
    // A reason moved to another kind changes the table.
    expect(renderReasonsTable({ ...REASONS, MESSAGE_TOO_LARGE: 'internal' }, REASON_FAMILIES)).not.toBe(table);
  });

  it('CONV-021: errors the library raises carry a kind the table agrees with', () => {
    const e = new AgentsecError('policy_reject', 'MESSAGE_TOO_LARGE', 'x');
    expect(kindOfReason(e.reason)).toBe(e.kind);
    expect(kindOfReason('__proto__')).toBeUndefined();
  });
});
