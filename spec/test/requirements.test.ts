import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requirementsJsonStaleness } from '../tools/extract.js';
import { anchor, loadRequirements, parseRequirements, renderRequirementsJson, SpecFormatError } from '../tools/requirements.js';

const SPEC = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
// Fixture IDs are built at run time so this file does not cite them (the coverage scan reads strings).
const rid = (area: string, n: number) => `${area}-${String(n).padStart(3, '0')}`;

describe('requirement extraction', () => {
  it('parses id, level, section and multi-line text; skips fenced code', () => {
    const md = [
      '# Noise',
      '```',
      `- **${rid('NOISE', 999)}** MUST: inside a fence, not a requirement`,
      '```',
      '## Transport messages',
      `- **${rid('NOISE', 2)}** MUST NOT: reuse a nonce`,
      '  with the same key.',
      `- **${rid('NOISE', 1)}** SHOULD: say so.`,
      '',
      'Text after.',
    ].join('\n');
    const rs = parseRequirements('noise.md', md);
    expect(rs).toEqual([
      { id: rid('NOISE', 2), level: 'MUST NOT', section: 'noise.md#transport-messages', text: 'reuse a nonce with the same key.' },
      { id: rid('NOISE', 1), level: 'SHOULD', section: 'noise.md#transport-messages', text: 'say so.' },
    ]);
  });

  it('refuses malformed items; a new area is accepted', () => {
    expect(() => parseRequirements('x.md', `- **${rid('NOISE', 1)}** MUSTN'T: x`)).toThrow(SpecFormatError);
    expect(() => parseRequirements('x.md', `- **${rid('NOISE', 1)}**: x`)).toThrow(SpecFormatError);
    expect(parseRequirements('x.md', `- **${rid('FOO', 1)}** MUST: x`).map((r) => r.id)).toEqual([rid('FOO', 1)]);
  });

  it('refuses duplicate IDs across files, naming both places', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-'));
    writeFileSync(join(dir, 'a.md'), `# A\n- **${rid('DR', 1)}** MUST: one\n`);
    writeFileSync(join(dir, 'b.md'), `# B\n- **${rid('DR', 1)}** MAY: two\n`);
    expect(() => loadRequirements(dir)).toThrow(/duplicate requirement ID .*a\.md#a.*b\.md#b/);
  });

  it('sorts by area then number and renders stable bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-'));
    writeFileSync(join(dir, 'a.md'), `# A\n- **${rid('DR', 10)}** MUST: ten\n- **${rid('DR', 9)}** MUST: nine\n- **${rid('CONV', 1)}** MAY: c\n`);
    const ids = loadRequirements(dir).map((r) => r.id);
    expect(ids).toEqual([rid('CONV', 1), rid('DR', 9), rid('DR', 10)]);
    expect(renderRequirementsJson(loadRequirements(dir))).toBe(renderRequirementsJson(loadRequirements(dir)));
    expect(anchor('Records & envelope (v1)')).toBe('records--envelope-v1');
  });

  it('the committed spec/requirements.json matches spec/*.md', () => {
    const stale = requirementsJsonStaleness(SPEC);
    // Other engineers add requirements all the time: the fix is one command.
    expect(stale, stale ?? '').toBeUndefined();
  });
});
