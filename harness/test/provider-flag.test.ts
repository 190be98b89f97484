import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { main } from '../../cli/main.js';
import { SUITES } from '../suites/index.js';

function capture() {
  const lines: string[] = [];
  return { lines, io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), tty: false } };
}

const noise = SUITES.filter((s) => s.name === 'noise');
const report = () => mkdtempSync(join(tmpdir(), 'agentsec-provider-'));

describe('choosing the crypto provider of the reference', () => {
  it('CONF-008: conform --provider node runs the reference on node:crypto and passes; reproduction lines carry the flag', async () => {
    const c = capture();
    const code = await conformMain(['--provider', 'node', '--quick', '--seed', '3', '--only', 'noise/interop/*', '--report', report()], c.io, noise);
    expect(code).toBe(0);
    expect(c.lines.join('\n')).toContain('crypto provider node');
    expect(c.lines.join('\n')).toMatch(/PASSED: 0 unexpected failure/);
  });

  it('CONF-008: agentsec adapter --provider node serves the same suites through a child process', async () => {
    const c = capture();
    const code = await conformMain(['--impl', 'agentsec adapter --provider node', '--quick', '--seed', '3', '--only', 'noise/interop/*', '--report', report()], c.io, noise);
    expect(code).toBe(0);
  }, 900_000);

  it('refuses an unknown provider, and --provider together with --impl, with exit 2', async () => {
    expect(await main(['conform', '--provider', 'openssl'])).toBe(2);
    expect(await main(['conform', '--provider', 'node', '--impl', 'agentsec adapter'])).toBe(2);
    expect(await main(['adapter', '--provider', 'wasm'])).toBe(2);
  });
});
