import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentsecError, canonicalContext, decodeEnvelope, encodeEnvelope, fromHex, LocalKekRing, openEnvelope, toHex } from '../../reference/index.js';
import { main } from '../../cli/main.js';
import { REPO_ROOT } from '../external.js';
import { ENVELOPE_SCHEMA_FILE, ENVELOPE_VECTOR_FILE, generateEnvelopeVectors, renderEnvelopeFile, type EnvelopeTest, type EnvelopeVectorFile } from './generate.js';
import { checkEnvelopeFile, ENVELOPE_VECTOR_SCHEMA } from './schema.js';

const DIR = join(REPO_ROOT, 'vectors/envelope');
const file = JSON.parse(readFileSync(join(DIR, ENVELOPE_VECTOR_FILE), 'utf8')) as EnvelopeVectorFile;
const specIds = new Set((JSON.parse(readFileSync(join(REPO_ROOT, 'spec/requirements.json'), 'utf8')) as { id: string }[]).map((r) => r.id));

/** A local ring file holding `t.kek` as version `t.kek_version` (earlier versions superseded, with other keys). */
function ringFor(t: EnvelopeTest, dir: string): LocalKekRing {
  const versions = Array.from({ length: t.kek_version }, (_, i) => ({
    version: i + 1,
    createdAt: 1000 + i,
    ...(i + 1 < t.kek_version ? { supersededAt: 1001 + i } : {}),
    key: i + 1 === t.kek_version ? t.kek : createHash('sha256').update(`other ${i}`).digest('hex'),
  }));
  const body = { format: 'agentsec-kek-ring', version: 1, kekId: t.kek_id, versions };
  const path = join(dir, `ring-${t.tcId}.json`);
  writeFileSync(path, JSON.stringify({ ring: body, sha256: createHash('sha256').update(JSON.stringify(body)).digest('hex') }) + '\n');
  return LocalKekRing.open({ path, clock: () => 2000 });
}

describe('envelope known-answer vectors (vectors/envelope)', () => {
  it('ENV-001: regenerating gives the committed files byte for byte', () => {
    expect(renderEnvelopeFile(generateEnvelopeVectors())).toBe(readFileSync(join(DIR, ENVELOPE_VECTOR_FILE), 'utf8'));
    expect(readFileSync(join(DIR, ENVELOPE_SCHEMA_FILE), 'utf8')).toBe(`${JSON.stringify(ENVELOPE_VECTOR_SCHEMA, null, 2)}\n`);
  });

  it('ENV-001: agentsec vectors generate --out writes the envelope vectors and schema too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-env-vectors-'));
    const write = process.stdout.write.bind(process.stdout);
    const out: string[] = [];
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['vectors', 'generate', '--out', dir])).toBe(0);
      expect(readFileSync(join(dir, ENVELOPE_VECTOR_FILE), 'utf8')).toBe(readFileSync(join(DIR, ENVELOPE_VECTOR_FILE), 'utf8'));
      expect(readFileSync(join(dir, ENVELOPE_SCHEMA_FILE), 'utf8')).toBe(readFileSync(join(DIR, ENVELOPE_SCHEMA_FILE), 'utf8'));
      expect(out.join('')).toContain(ENVELOPE_VECTOR_FILE);
    } finally {
      process.stdout.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ENV-001: the file matches its schema structurally and every reqs id exists in spec/requirements.json', () => {
    expect(checkEnvelopeFile(file)).toEqual([]);
    expect(file.tests.filter((t) => t.result === 'valid').length).toBeGreaterThanOrEqual(4);
    expect(file.tests.filter((t) => t.result === 'invalid').length).toBeGreaterThanOrEqual(10);
    for (const t of file.tests) for (const r of t.reqs) expect(specIds.has(r), `${t.tcId}: ${r}`).toBe(true);
    // The check catches what it claims to.
    const bad = structuredClone(file);
    bad.tests[0]!.salt = 'ABCD';
    (bad.tests[1] as unknown as Record<string, unknown>).extra = 1;
    bad.tests[2]!.reqs = ['ENV-1'];
    expect(checkEnvelopeFile(bad).length).toBe(3);
  });

  it('ENV-001 ENV-002 ENV-005 ENV-006 ENV-015: the reference decodes, re-encodes and opens every valid vector to its plaintext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-env-vectors-'));
    try {
      for (const t of file.tests.filter((x) => x.result === 'valid')) {
        const bytes = fromHex(t.envelope);
        const e = decodeEnvelope(bytes);
        expect(toHex(encodeEnvelope(e))).toBe(t.envelope);
        expect([e.kekId, e.kekVersion, toHex(e.contextDigest), toHex(e.wrapped), toHex(e.salt), toHex(e.commitment), toHex(e.nonce)])
          .toEqual([t.kek_id, t.kek_version, t.context_digest, t.wrapped, t.salt, t.commitment, t.nonce]);
        expect(toHex(canonicalContext(t.context))).toBe(t.canonical_context);
        const ring = ringFor(t, dir);
        expect(toHex(await ring.unwrap({ wrapped: e.wrapped, kekId: t.kek_id, kekVersion: t.kek_version }, { 'agentsec:context': t.context_digest }))).toBe(t.dek);
        expect(toHex(await openEnvelope(ring, bytes, t.context)), `tc ${t.tcId}`).toBe(t.plaintext);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ENV-003 ENV-009 ENV-010 ENV-013 ENV-014: the reference refuses every invalid vector with the stated kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-env-vectors-'));
    try {
      for (const t of file.tests.filter((x) => x.result === 'invalid')) {
        const ring = ringFor(t, dir);
        const err = await openEnvelope(ring, fromHex(t.envelope), t.open_context ?? t.context).then(() => undefined, (x: unknown) => x);
        expect(err, `tc ${t.tcId} ${t.comment}`).toBeInstanceOf(AgentsecError);
        expect((err as AgentsecError).kind, `tc ${t.tcId} ${t.comment}`).toBe(t.expected_error);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ENV-005 ENV-006: a changed expected byte is caught (the vectors are not vacuous)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentsec-env-vectors-'));
    try {
      const t = structuredClone(file.tests[0]!);
      const env = fromHex(t.envelope);
      env[env.length - 20]! ^= 1;
      await expect(openEnvelope(ringFor(t, dir), env, t.context)).rejects.toMatchObject({ kind: 'auth_failure' });
      const other = structuredClone(t);
      other.kek = file.tests[1]!.kek;
      await expect(openEnvelope(ringFor(other, dir), fromHex(t.envelope), t.context)).rejects.toMatchObject({ kind: 'auth_failure' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
