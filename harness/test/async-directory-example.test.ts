import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAsyncDirectory } from '../../examples/async-directory.js';

const root = join(import.meta.dirname, '../..');

describe('asynchronous sessions through the directory (README example)', () => {
  it('DIR-007 DIR-021 SESS-014 SESS-008: bob publishes and goes offline, alice leaves messages in his mailbox, bob restarts, fetches his queue and decrypts it in order, then rotates and republishes', async () => {
    const r = await runAsyncDirectory();
    expect(r.received).toEqual(['hello bob', 'are you there?', 'bye']);
    expect(r.left).toBe(0);
    expect(r.reply).toBe('got them');
    // 10 from the config, one used by alice, 10 more generated for the second batch.
    expect(r.prekeys).toMatchObject({ oneTimeAvailable: 0, oneTimeHeld: 19, pqOneTimeHeld: 19 });
    expect(r.prekeys.previousSignedPrekeys).toHaveLength(1);
    expect(r.directory).toMatchObject({ single_use_remaining: 19, has_reusable: true });
  });

  it('DIR-007: the README fragment shows exactly the tested example', () => {
    const doc = readFileSync(join(root, 'docs/async-sessions.md'), 'utf8');
    const code = readFileSync(join(root, 'examples/async-directory.ts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(code);
  });
});
