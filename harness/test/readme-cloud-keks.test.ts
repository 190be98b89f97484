import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCloudKeks } from '../../examples/cloud-keks.js';

const root = join(import.meta.dirname, '../..');

describe('cloud KEK example (README)', () => {
  it('ENV-064 ENV-023: seals under Azure Key Vault and GCP Cloud KMS KEKs, rotates each, and the envelope still opens', async () => {
    expect(await runCloudKeks()).toEqual({ azure: '{"order": 42}', gcp: '{"order": 42}' });
  });

  it('the README fragment shows exactly the tested example', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'docs/cloud-keks.md'), 'utf8'))?.[1];
    expect(block).toBe(readFileSync(join(root, 'examples/cloud-keks.ts'), 'utf8'));
  });
});
