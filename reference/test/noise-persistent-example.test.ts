import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPersistentSession } from '../../examples/noise-persistent.js';

const root = join(import.meta.dirname, '../..');

describe('Noise persistence (README example)', () => {
  it('NOISE-064 NOISE-068: the example session survives a crash, skips the reservation and refuses a replay', () => {
    const r = runPersistentSession();
    expect(r.received).toEqual(['one', 'two', 'three', 'four', 'after the crash']);
    expect(r.nonceBeforeCrash).toBe(4n);
    expect(r.nonceAfterCrash).toBe(1024n);
    expect(r.replay).toBe('duplicate');
  });

  it('NOISE-064: the docs fragment shows exactly the tested example', () => {
    const doc = readFileSync(join(root, 'docs/noise-persistence.md'), 'utf8');
    const code = readFileSync(join(root, 'examples/noise-persistent.ts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(code);
  });
});
