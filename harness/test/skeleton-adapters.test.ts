/**
 * The adapter skeletons in other languages (examples/adapters/): each is a complete JSON-lines loop
 * with the standard library only, and `agentsec conform --suite primitives --impl ...` passes every
 * Wycheproof case of what it claims and reports the rest n/a. Each runs where its toolchain exists
 * (CI installs both; under CI=true a missing toolchain is a failure).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireService } from '../../vectors/external.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'agentsec-skeletons-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

interface Results {
  summary: Record<string, number>;
  tests: { id: string; outcome: string }[];
}

function conform(impl: string, name: string): Results {
  const report = join(work, name);
  execFileSync(process.execPath, [join(ROOT, 'bin/agentsec.mjs'), 'conform', '--impl', impl, '--suite', 'primitives', '--seed', '1', '--report', report], { cwd: ROOT, stdio: 'pipe' });
  return JSON.parse(readFileSync(join(report, 'results.json'), 'utf8')) as Results;
}

/** Every case of the claimed files passes; every other test is n/a; nothing fails. */
function expectClaims(r: Results, claimed: string[]): void {
  const of = (t: { id: string }) => t.id.split('/')[2]!;
  const mine = r.tests.filter((t) => claimed.includes(of(t)));
  expect(mine.length).toBeGreaterThan(100);
  expect(mine.filter((t) => t.outcome !== 'pass')).toEqual([]);
  expect(r.tests.filter((t) => !claimed.includes(of(t)) && t.outcome !== 'n/a')).toEqual([]);
}

describe('adapter skeletons in other languages', () => {
  const python = requireService('python3', has('python3', ['--version']), 'apt-get install python3');
  it.skipIf(!python)('CONF-095: the Python standard-library skeleton passes every HMAC-SHA-256 and HKDF-SHA-256 case it claims', () => {
    expectClaims(conform(`python3 ${join(ROOT, 'examples/adapters/python/adapter.py')}`, 'python'), ['hmac_sha256', 'hkdf_sha256']);
  });

  const go = requireService('go toolchain', has('go', ['version']), 'apt-get install golang-go');
  it.skipIf(!go)('CONF-095: the Go standard-library skeleton passes every Ed25519 and HMAC-SHA-256 case it claims', () => {
    const bin = join(work, 'go-adapter');
    execFileSync('go', ['build', '-o', bin, '.'], { cwd: join(ROOT, 'examples/adapters/go'), stdio: 'pipe', env: { ...process.env, GOCACHE: join(work, 'gocache'), GOFLAGS: '-mod=mod' } });
    expectClaims(conform(bin, 'go'), ['ed25519', 'hmac_sha256']);
  });
});
