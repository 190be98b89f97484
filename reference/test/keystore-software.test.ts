import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { createIdentity, SoftwareKeyStore, type KeyStore } from '../identity/index.js';
import { expectRejects, identityStoreSuite, provider } from './identity-suite.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'agentsec-sw-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// Low scrypt cost keeps the suite fast; the default (2^15) is checked separately below.
const PASS = 'correct horse battery staple';
const opener = (dir: string, passphrase = PASS) => async () => new SoftwareKeyStore({ dir, provider, passphrase, scryptLogN: 10 });

describe('software key store', () => {
  describe('ID-011 KEY-001 KEY-002: the shared identity suite, passphrase (scrypt)', () => {
    identityStoreSuite('software/passphrase', () => {
      let dir: string | undefined;
      return async () => opener((dir ??= await tempDir()))();
    });
  });
  describe('ID-011 KEY-001 KEY-002: the shared identity suite, provided key (HKDF)', () => {
    const key = provider.randomBytes(32);
    identityStoreSuite('software/key', () => {
      let dir: string | undefined;
      return async () => new SoftwareKeyStore({ dir: (dir ??= await tempDir()), provider, key });
    });
  });

  it('KEY-010 KEY-011: the key file is encrypted, mode 0600, and holds no private key in the clear', async () => {
    const dir = await tempDir();
    const store = await opener(dir)();
    const id = await createIdentity(store, provider);
    const path = join(dir, `${id.handle}.key`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0);
    expect(await readdir(dir)).toEqual([`${id.handle}.key`]); // no temp files left behind
    const file = await readFile(path);
    expect(file.length).toBe(101 + 80);
    expect(toHex(file.subarray(0, 6))).toBe('41474b460101'); // AGKF v1 scrypt
    // The recorded default cost when none is given.
    const def = new SoftwareKeyStore({ dir: await tempDir(), provider, passphrase: PASS });
    const id2 = await createIdentity(def, provider);
    const f2 = await readFile(join((def.toJSON()).dir, `${id2.handle}.key`));
    expect(f2[6]).toBe(15);
    await def.close();
    await store.close();
  });

  it('KEY-013: wrong passphrase, corrupted or truncated file -> clear error, file unchanged', async () => {
    const dir = await tempDir();
    const s = await opener(dir)();
    const id = await createIdentity(s, provider);
    await s.close();
    const path = join(dir, `${id.handle}.key`);
    const original = await readFile(path);

    const wrong = await opener(dir, 'not the passphrase')();
    const e = await expectRejects(wrong.sign(id.handle, new Uint8Array(1)), 'auth_failure', 'KEYFILE_AUTH');
    expect(e.message).toMatch(/wrong passphrase\/key, or the file is corrupted/);
    expect(e.message).not.toMatch(/correct horse/);
    await wrong.close();

    for (const offset of [10, 40, 80, 120, 170]) {
      const bad = new Uint8Array(original);
      bad[offset]! ^= 0x01;
      await writeFile(path, bad, { mode: 0o600 });
      const st = await opener(dir)();
      await expectRejects(st.publicKeys(id.handle), 'auth_failure', 'KEYFILE_AUTH');
      await st.close();
      expect(toHex(await readFile(path))).toBe(toHex(bad)); // nothing overwritten
    }
    await writeFile(path, original.subarray(0, 50), { mode: 0o600 });
    await expectRejects((await opener(dir)()).publicKeys(id.handle), 'decode_failure', 'KEYFILE_CORRUPT');
    await writeFile(path, Buffer.from('garbage'), { mode: 0o600 });
    await expectRejects((await opener(dir)()).publicKeys(id.handle), 'decode_failure', 'KEYFILE_CORRUPT');
    // Restoring the original file restores the identity: nothing was lost.
    await writeFile(path, original, { mode: 0o600 });
    const ok = await opener(dir)();
    expect(toHex((await ok.publicKeys(id.handle)).signingPublic)).toBe(toHex(id.signingPublic));
    await ok.close();
  });

  it('KEY-041: scrypt parameters in a key file beyond the 1 GiB bound are refused before any scrypt work', async () => {
    const dir = await tempDir();
    const s = await opener(dir)();
    const id = await createIdentity(s, provider);
    await s.close();
    const path = join(dir, `${id.handle}.key`);
    const original = await readFile(path);
    // Header bytes 6..8: log2 N, r, p. Each of these stays inside the old per-field ranges (logN <= 20, r <= 32, p <= 16).
    for (const [logN, r, p] of [[20, 32, 1], [20, 9, 1], [17, 32, 16], [20, 8, 2]]) {
      const bad = new Uint8Array(original);
      bad.set([logN!, r!, p!], 6);
      await writeFile(path, bad, { mode: 0o600 });
      const st = await opener(dir)();
      const e = await expectRejects(st.publicKeys(id.handle), 'decode_failure', 'KEYFILE_CORRUPT');
      expect(e.message).toMatch(/beyond the 1 GiB bound/);
      await st.close();
    }
    await writeFile(path, original, { mode: 0o600 });
  });

  it('KEY-014: too-old and too-new key-file versions give different errors', async () => {
    const dir = await tempDir();
    const s = await opener(dir)();
    const id = await createIdentity(s, provider);
    await s.close();
    const path = join(dir, `${id.handle}.key`);
    const original = await readFile(path);
    const newer = new Uint8Array(original);
    newer[4] = 2;
    await writeFile(path, newer, { mode: 0o600 });
    await expectRejects((await opener(dir)()).publicKeys(id.handle), 'unsupported', 'KEYFILE_VERSION_TOO_NEW');
    const older = new Uint8Array(original);
    older[4] = 0;
    await writeFile(path, older, { mode: 0o600 });
    await expectRejects((await opener(dir)()).publicKeys(id.handle), 'unsupported', 'KEYFILE_VERSION_TOO_OLD');
  });

  it('KEY-012: a key file readable by others is refused', async () => {
    const dir = await tempDir();
    const s = await opener(dir)();
    const id = await createIdentity(s, provider);
    await s.close();
    await chmod(join(dir, `${id.handle}.key`), 0o644);
    const e = await expectRejects((await opener(dir)()).publicKeys(id.handle), 'policy_reject', 'KEYFILE_PERMISSIONS');
    expect(e.message).toMatch(/chmod 600/);
  });

  it('KEY-003: a store that returns a bad signature is caught before the signature is handed out', async () => {
    const inner = await opener(await tempDir())();
    const faulty: KeyStore = Object.assign(Object.create(inner) as KeyStore, {
      sign: async (h: string, m: Uint8Array) => {
        const sig = await inner.sign(h, m);
        sig[0]! ^= 1; // a fault inside the device
        return sig;
      },
    });
    const id = await createIdentity(faulty, provider);
    await expectRejects(id.sign(new Uint8Array([1])), 'internal', 'SIGNATURE_SELF_CHECK');
    await inner.close();
  });

  it('KEY-011: configuration mistakes are refused', () => {
    expect(() => new SoftwareKeyStore({ dir: '/tmp/x', provider })).toThrow(/exactly one of/);
    expect(() => new SoftwareKeyStore({ dir: '/tmp/x', provider, passphrase: 'short' })).toThrow(/at least 8/);
    expect(() => new SoftwareKeyStore({ dir: '/tmp/x', provider, passphrase: PASS, scryptLogN: 4 })).toThrow(/scryptLogN/);
    expect(() => new SoftwareKeyStore({ dir: '/tmp/x', provider, key: new Uint8Array(16) })).toThrow(/32 bytes/);
  });
});
