/**
 * Licences of everything in the lockfile: no strong copyleft (GPL, AGPL, SSPL) anywhere in the tree,
 * weak copyleft (LGPL, MPL, EPL, ...) only in development tools. A package whose lockfile entry has
 * no licence is judged by its installed package.json (old `licenses` arrays).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface LockEntry {
  version?: string;
  license?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}

const STRONG = /^(A?GPL|SSPL|OSL|RPL|Sleepycat|CC-BY-(NC|SA))/i;
const WEAK = /^(LGPL|MPL|EPL|CDDL|EUPL|CPL|MS-RL|CC-BY-SA)/i;

type Verdict = 'permissive' | 'weak' | 'strong' | 'unknown';

/** The most permissive reading of an SPDX expression: OR picks the best alternative, AND the worst part. */
function classify(expr: string): Verdict {
  const rank: Verdict[] = ['permissive', 'weak', 'unknown', 'strong'];
  const one = (id: string): Verdict => {
    const x = id.replace(/[()]/g, '').trim();
    if (x === '' || /^(UNLICENSED|SEE LICENSE)/i.test(x)) return 'unknown';
    if (STRONG.test(x)) return 'strong';
    if (WEAK.test(x)) return 'weak';
    return 'permissive';
  };
  const alternatives = expr.split(/\s+OR\s+/i).map((alt) => alt.split(/\s+AND\s+/i).map(one).reduce((a, b) => (rank.indexOf(a) >= rank.indexOf(b) ? a : b)));
  return alternatives.reduce((a, b) => (rank.indexOf(a) <= rank.indexOf(b) ? a : b));
}

function licenceOf(path: string, entry: LockEntry): string {
  if (entry.license) return entry.license;
  const pj = join(ROOT, path, 'package.json');
  if (!existsSync(pj)) return '';
  const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { license?: string | { type: string }; licenses?: { type: string }[] };
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license?.type) return pkg.license.type;
  return (pkg.licenses ?? []).map((l) => l.type).join(' OR ');
}

describe('dependency licences (package-lock.json)', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const rows = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .map(([path, e]) => {
      const licence = licenceOf(path, e);
      return { name: path.replace(/^.*node_modules\//, ''), path, licence, verdict: classify(licence), dev: e.dev === true };
    });

  it('classifies SPDX expressions', () => {
    expect(classify('MIT')).toBe('permissive');
    expect(classify('Apache-2.0 OR MIT')).toBe('permissive');
    expect(classify('(MIT OR GPL-3.0-or-later)')).toBe('permissive');
    expect(classify('MIT AND GPL-2.0-only')).toBe('strong');
    expect(classify('AGPL-3.0-only')).toBe('strong');
    expect(classify('SSPL-1.0')).toBe('strong');
    expect(classify('LGPL-3.0-or-later')).toBe('weak');
    expect(classify('MPL-2.0')).toBe('weak');
    expect(classify('')).toBe('unknown');
  });

  it('CONV-008: no GPL, AGPL or SSPL package anywhere; weak copyleft only among development tools; every licence known', () => {
    const counts: Record<string, number> = {};
    for (const r of rows) counts[`${r.licence || '?'}${r.dev ? ' (dev)' : ''}`] = (counts[`${r.licence || '?'}${r.dev ? ' (dev)' : ''}`] ?? 0) + 1;
    console.log(`[licences] ${rows.length} packages (${rows.filter((r) => !r.dev).length} runtime): ${Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    const weakDev = rows.filter((r) => r.verdict === 'weak' && r.dev).map((r) => `${r.name} (${r.licence})`);
    if (weakDev.length) console.log(`[licences] weak copyleft, development only: ${weakDev.join(', ')}`);
    expect(rows.filter((r) => r.verdict === 'strong').map((r) => `${r.name}: ${r.licence}`)).toEqual([]);
    expect(rows.filter((r) => r.verdict === 'weak' && !r.dev).map((r) => `${r.name}: ${r.licence}`)).toEqual([]);
    expect(rows.filter((r) => r.verdict === 'unknown').map((r) => `${r.name}: ${r.licence || 'no licence'}`)).toEqual([]);
  });

  it('CONV-008: the AGPL benchmark peer is no dependency of any kind and not in the lockfile', () => {
    const pkg = readFileSync(join(ROOT, 'package.json'), 'utf8');
    expect(pkg).not.toContain('"@signalapp/libsignal-client"');
    expect(rows.map((r) => r.name)).not.toContain('@signalapp/libsignal-client');
  });
});
