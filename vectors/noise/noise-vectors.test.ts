import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProvider, PROVIDER_NAMES } from '../../reference/index.js';
import { startReferenceAdapter } from '../../harness/adapters/in-process.js';
import { main } from '../../cli/main.js';
import { DEFAULT_OUT, SCHEMA_FILE, VECTOR_FILE, verifyFile } from '../../cli/vectors.js';
import { REPO_ROOT } from '../external.js';
import { checkVectorFile, loadVectorFile, type NoiseVectorFile } from './format.js';
import { DEFAULT_SEED, generateNoiseVectors, renderVectorFile } from './generate.js';
import { referenceParties } from './reference-party.js';
import { adapterParties, runVector } from './run.js';
import { NOISE_VECTOR_SCHEMA } from './schema.js';
import { mutant, startMutantAdapter } from '../../harness/test/mutants/index.js';

const committed = join(DEFAULT_OUT, VECTOR_FILE);

describe('project Noise vectors', () => {
  it('NOISE-051: regenerating with the default seed gives the committed files byte for byte', () => {
    expect(renderVectorFile(generateNoiseVectors(DEFAULT_SEED))).toBe(readFileSync(committed, 'utf8'));
    expect(readFileSync(join(DEFAULT_OUT, SCHEMA_FILE), 'utf8')).toBe(`${JSON.stringify(NOISE_VECTOR_SCHEMA, null, 2)}\n`);
    expect(renderVectorFile(generateNoiseVectors(2))).not.toBe(readFileSync(committed, 'utf8'));
  });

  it('NOISE-051: the file covers empty payloads, high nonces, rekey, hfs and failures, each citing requirements', () => {
    const f = loadVectorFile(committed);
    expect(checkVectorFile(f)).toEqual([]);
    const d = f.vectors.map((v) => v.description ?? '');
    for (const prefix of ['empty-payloads/', 'high-nonces/', 'rekey/', 'hfs/', 'failure/tampered-transport/', 'failure/prologue-mismatch/', 'failure/low-order-re/', 'failure/turn-taking/', 'failure/one-way/', 'fallback/', 'failure/fallback-']) {
      expect(d.some((x) => x.startsWith(prefix)), prefix).toBe(true);
    }
    expect(d.filter((x) => x.startsWith('failure/low-order-re/')).length).toBe(14);
    expect(new Set(d).size).toBe(d.length);
    for (const v of f.vectors) expect(v.reqs?.length).toBeGreaterThan(0);
  });

  for (const name of PROVIDER_NAMES) {
    it(`NOISE-051: the reference passes every project vector (${name} provider)`, async () => {
      const c = await verifyFile(committed, referenceParties(getProvider(name)));
      console.log(`agentsec-noise.json [${name}]: ${c.pass} pass, ${c.unsupported} unsupported, ${c.fail} fail`);
      expect(c.failures).toEqual([]);
      expect(c.pass).toBe(loadVectorFile(committed).vectors.length);
    });
  }

  it('NOISE-051 NOISE-052: the project vectors pass through the adapter', async () => {
    const a = await startReferenceAdapter();
    const c = await verifyFile(committed, adapterParties(a));
    expect(c.failures).toEqual([]);
  });

  it('NOISE-051: a changed byte, a dropped refusal or a wrong error kind fails verification', async () => {
    const f = loadVectorFile(committed);
    const parties = referenceParties(getProvider('noble'));
    const v = structuredClone(f.vectors.find((x) => x.description === 'rekey/AESGCM')!);
    const m = v.messages[4]!;
    m.ciphertext = m.ciphertext!.slice(0, -2) + (m.ciphertext!.endsWith('00') ? '01' : '00');
    expect((await runVector(v, parties)).status).toBe('fail');
    const t = structuredClone(f.vectors.find((x) => x.description === 'failure/tampered-transport/ChaChaPoly')!);
    t.messages.find((x) => x.forged)!.expected_error = 'decode_failure';
    expect((await runVector(t, parties)).status).toBe('fail');
    const h = structuredClone(f.vectors.find((x) => x.description === 'hfs/XXhfs_ChaChaPoly_SHA256')!);
    h.handshake_hash = '00'.repeat(32);
    expect((await runVector(h, parties)).status).toBe('fail');
  });

  it('NOISE-014: the vectors catch a nonce that advances on a failed decrypt (mutant noise-nonce-advance-on-failure)', async () => {
    const v = loadVectorFile(committed).vectors.find((x) => x.description === 'failure/tampered-transport/AESGCM')!;
    expect((await runVector(v, adapterParties(await startMutantAdapter(mutant('noise-nonce-advance-on-failure'))))).status).toBe('fail');
    expect((await runVector(v, adapterParties(await startReferenceAdapter()))).status).toBe('pass');
  });

  it('NOISE-051: agentsec vectors generate/verify: --out, --seed, exit codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-vectors-'));
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['vectors', 'generate', '--out', dir, '--seed', '9'])).toBe(0);
      const file = join(dir, VECTOR_FILE);
      expect(readFileSync(file, 'utf8')).toBe(renderVectorFile(generateNoiseVectors(9)));
      expect(await main(['vectors', 'verify', file])).toBe(0);
      // Through agentsec-adapter/1: the reference served by a child process.
      const small = join(dir, 'small.json');
      const all = JSON.parse(readFileSync(file, 'utf8')) as NoiseVectorFile;
      writeFileSync(small, JSON.stringify({ vectors: all.vectors.filter((v) => /^(rekey|hfs\/XXhfs|failure\/tampered-transport)/.test(v.description ?? '')) }));
      expect(await main(['vectors', 'verify', '--impl', `node ${join(REPO_ROOT, 'bin/agentsec.mjs')} adapter`, small])).toBe(0);
      expect(out.join('')).toMatch(/small\.json: 7 pass, 0 unsupported, 0 fail/);
      const f = JSON.parse(readFileSync(file, 'utf8')) as NoiseVectorFile;
      f.vectors[0]!.messages[0]!.ciphertext = 'ff' + f.vectors[0]!.messages[0]!.ciphertext!.slice(2);
      writeFileSync(file, JSON.stringify(f));
      expect(await main(['vectors', 'verify', file])).toBe(1);
      expect(out.join('')).toMatch(/1 fail/);
      expect(await main(['vectors', 'generate', '--seed', 'x'])).toBe(2);
      writeFileSync(file, '{"nope": 1}');
      expect(await main(['vectors', 'verify', file])).toBe(2);
    } finally {
      process.stdout.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
