import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../bytes.js';
import { LocalKekRing } from '../envelope/index.js';
import { open, seal } from '../envelope/envelope.js';

const ctx = { app: 'ring' };

function tmpFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'agentsec-ring-')), 'kek-ring.json');
}

describe('local KEK ring', () => {
  it('ENV-030: the ring file is mode 0600, written atomically (no temp files left), and reopens', async () => {
    const path = tmpFile();
    const kek = LocalKekRing.open({ path, kekId: 'local:file' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const env = await seal(kek, utf8('persisted'), ctx);
    await kek.rotate();
    expect(readdirSync(join(path, '..'))).toEqual(['kek-ring.json']);
    const again = LocalKekRing.open({ path });
    expect(again.kekId).toBe('local:file');
    expect(await again.currentVersion()).toBe(2);
    expect(await open(again, env, ctx)).toEqual(utf8('persisted'));
  });

  it('ENV-031: a corrupted or too-new ring file is refused', () => {
    const path = tmpFile();
    LocalKekRing.open({ path, kekId: 'local:file' });
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"createdAt":', '"createdAt":1'));
    expect(() => LocalKekRing.open({ path })).toThrow(/checksum/);
    writeFileSync(path, '{nope');
    expect(() => LocalKekRing.open({ path })).toThrow(/not JSON/);
  });

  it('ENV-023: after rotation old envelopes open and new ones use the new version; ENV-025: the current version cannot be retired', async () => {
    let now = 1000;
    const kek = LocalKekRing.open({ kekId: 'local:r', graceMs: 500, clock: () => now });
    const old = await seal(kek, utf8('old'), ctx);
    now = 2000;
    expect(await kek.rotate()).toBe(2);
    const fresh = await seal(kek, utf8('new'), ctx);
    expect(fresh[3 + 'local:r'.length + 32 + 3]).toBe(2);
    expect(await open(kek, old, ctx)).toEqual(utf8('old'));
    const vs = await kek.versions();
    expect(vs).toEqual([
      { version: 1, state: 'previous', createdAt: 1000, supersededAt: 2000, graceEndsAt: 2500 },
      { version: 2, state: 'current', createdAt: 2000 },
    ]);
    await expect(kek.retire(2)).rejects.toMatchObject({ kind: 'policy_reject', reason: 'RETIRE_CURRENT' });
    await expect(kek.retire(9)).rejects.toMatchObject({ reason: 'UNKNOWN_KEK_VERSION' });
  });

  it('ENV-021: after retirement a stale envelope fails naming the version; ENV-022: the material is gone from the file', async () => {
    const path = tmpFile();
    const kek = LocalKekRing.open({ path, kekId: 'local:ret' });
    const env = await seal(kek, utf8('stale'), ctx);
    const keyBefore = (JSON.parse(readFileSync(path, 'utf8')) as { ring: { versions: { key?: string }[] } }).ring.versions[0]!.key;
    expect(keyBefore).toMatch(/^[0-9a-f]{64}$/);
    await kek.rotate();
    await kek.retire(1);
    await expect(open(kek, env, ctx)).rejects.toMatchObject({ kind: 'state_failure', reason: 'KEK_VERSION_RETIRED', message: expect.stringContaining('version 1') });
    const file = readFileSync(path, 'utf8');
    expect(file).not.toContain(keyBefore!);
    const again = LocalKekRing.open({ path });
    expect((await again.versions())[0]!.state).toBe('retired');
    await expect(open(again, env, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
  });
});
