/**
 * The package ships the large third-party vectors gzipped (CONV-024): the readers take the file or
 * its gzip, and what they read is the vendored file byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readVendored, sharedVectorsDir, vendoredExists } from '../external.js';
import { loadWycheproof, WYCHEPROOF_FILES, wycheproofAvailable, wycheproofPath } from '../wycheproof.js';
import { loadVectorFile } from '../noise/format.js';

const dir = mkdtempSync(join(tmpdir(), 'agentsec-vendored-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const THIRD_PARTY = fileURLToPath(new URL('../third_party/', import.meta.url));

describe('vendored vectors, plain or gzipped', () => {
  it('CONV-024: the pack step gzips every Wycheproof file and cacophony; read back they equal the vendored files', () => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../pack-third-party.mjs', import.meta.url))], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/13 third-party files gzipped/);
    // A package copy: only the gzips (and the small files) are there.
    mkdirSync(join(dir, 'wycheproof'), { recursive: true });
    mkdirSync(join(dir, 'noise'), { recursive: true });
    for (const f of WYCHEPROOF_FILES) copyFileSync(`${wycheproofPath(THIRD_PARTY, f)}.gz`, `${wycheproofPath(dir, f)}.gz`);
    copyFileSync(join(THIRD_PARTY, 'noise', 'cacophony.txt.gz'), join(dir, 'noise', 'cacophony.txt.gz'));
    expect(wycheproofAvailable(dir)).toBeUndefined();
    for (const f of WYCHEPROOF_FILES) {
      expect(readVendored(wycheproofPath(dir, f))).toBe(readFileSync(wycheproofPath(THIRD_PARTY, f), 'utf8'));
      expect(loadWycheproof(dir, f).numberOfTests).toBe(loadWycheproof(THIRD_PARTY, f).numberOfTests);
    }
    const cacophony = join(dir, 'noise', 'cacophony.txt');
    expect(vendoredExists(cacophony)).toBe(true);
    expect(loadVectorFile(cacophony).vectors.length).toBe(loadVectorFile(join(THIRD_PARTY, 'noise', 'cacophony.txt')).vectors.length);
    // The folder is found by its gzipped cacophony, as in an installed package.
    process.env.AGENTSEC_SHARED_VECTORS = dir;
    try {
      expect(sharedVectorsDir()).toBe(dir);
    } finally {
      delete process.env.AGENTSEC_SHARED_VECTORS;
    }
  });

  it('CONV-024: neither the file nor its gzip: a plain missing-file error', () => {
    expect(vendoredExists(join(dir, 'nothing.json'))).toBe(false);
    expect(() => readVendored(join(dir, 'nothing.json'))).toThrow(/ENOENT/);
  });
});
