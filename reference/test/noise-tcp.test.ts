import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runIkOverTcp } from '../../examples/noise-ik-tcp.js';

const root = join(import.meta.dirname, '../..');

describe('Noise IK over TCP (README example)', () => {
  it('NOISE-037 NOISE-020: two agents complete IK over a real TCP connection on 127.0.0.1 and exchange messages', async () => {
    const r = await runIkOverTcp();
    expect(r.reply).toBe('hello, agent B');
    expect(r.handshakeHash).toBe(r.serverHandshakeHash);
    expect(r.handshakeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.serverSawClientKey).toBe(true);
  });

  it('NOISE-037: the README fragment shows exactly the tested example', () => {
    const doc = readFileSync(join(root, 'docs/noise-tcp-example.md'), 'utf8');
    const code = readFileSync(join(root, 'examples/noise-ik-tcp.ts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(code);
  });
});
