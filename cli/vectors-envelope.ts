/**
 * `vectors verify` on an envelope known-answer file (agentsec-envelope-vectors/1), against the
 * reference in process: each valid vector's envelope decodes and re-encodes to itself, opens to its
 * plaintext, and is sealed again byte for byte when the randomness of the seal (data key, wrap
 * nonce, salt, payload nonce) is the vector's; each invalid one is refused with its error kind.
 * The vector's KEK is loaded as the current version of a local key ring (ENV-015).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentsecError, canonicalContext, decodeEnvelope, encodeEnvelope, fromHex, LocalKekRing, openEnvelope, sealEnvelope, toHex, type CryptoProvider } from '../reference/index.js';
import type { EnvelopeTest, EnvelopeVectorFile } from '../vectors/envelope/generate.js';
import type { FileCounts } from './vectors-session.js';

/** A provider whose random bytes are the given ones, in order, of the expected lengths. */
function scripted(base: CryptoProvider, queue: Uint8Array[]): CryptoProvider {
  return Object.assign(Object.create(base) as CryptoProvider, {
    randomBytes(n: number): Uint8Array {
      const next = queue.shift();
      if (!next || next.length !== n) throw new Error(`the seal asked for ${n} random bytes where the vector has ${next ? `${next.length}` : 'none left'}`);
      return next.slice();
    },
  });
}

/** A ring file holding the vector's KEK as its current version (earlier versions superseded, with other keys). */
function ringFile(t: EnvelopeTest, dir: string): string {
  const versions = Array.from({ length: t.kek_version }, (_, i) => ({
    version: i + 1,
    createdAt: 1000 + i,
    ...(i + 1 < t.kek_version ? { supersededAt: 1001 + i } : {}),
    key: i + 1 === t.kek_version ? t.kek : createHash('sha256').update(`agentsec-envelope-vectors/1 other ${i}`).digest('hex'),
  }));
  const body = { format: 'agentsec-kek-ring', version: 1, kekId: t.kek_id, versions };
  const path = join(dir, `ring-${t.tcId}.json`);
  writeFileSync(path, JSON.stringify({ ring: body, sha256: createHash('sha256').update(JSON.stringify(body)).digest('hex') }) + '\n', { mode: 0o600 });
  return path;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at byte ${Math.floor(i / 2)} (expected ${b.length / 2} bytes, got ${a.length / 2})`;
}

async function check(t: EnvelopeTest, dir: string, provider: CryptoProvider): Promise<void> {
  const path = ringFile(t, dir);
  const ring = LocalKekRing.open({ path, clock: () => 2000, crypto: provider });
  const context = t.open_context ?? t.context;
  if (t.result === 'invalid') {
    const err = await openEnvelope(ring, fromHex(t.envelope), context, { crypto: provider }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (err === undefined) throw new Error(`opened, but the vector is invalid (${t.expected_error} expected)`);
    if (!(err instanceof AgentsecError) || err.kind !== t.expected_error) throw new Error(`refused with ${err instanceof AgentsecError ? err.kind : String(err)}, expected ${t.expected_error}`);
    return;
  }
  const bytes = fromHex(t.envelope);
  const again = toHex(encodeEnvelope(decodeEnvelope(bytes)));
  if (again !== t.envelope) throw new Error(`decoding and re-encoding changes the envelope: ${firstDifference(again, t.envelope)}`);
  const canon = toHex(canonicalContext(t.context));
  if (canon !== t.canonical_context) throw new Error(`canonical context differs: ${firstDifference(canon, t.canonical_context)}`);
  const plaintext = toHex(await openEnvelope(ring, bytes, context, { crypto: provider }));
  if (plaintext !== t.plaintext) throw new Error(`opened to a different plaintext: ${firstDifference(plaintext, t.plaintext)}`);
  // Seal order: data key, the ring's wrap nonce, salt, payload nonce (spec/envelope.md).
  const fixed = scripted(provider, [t.dek, t.wrap_nonce, t.salt, t.nonce].map((h) => fromHex(h)));
  const sealingRing = LocalKekRing.open({ path, clock: () => 2000, crypto: fixed });
  const sealed = toHex(await sealEnvelope(sealingRing, fromHex(t.plaintext), t.context, { crypto: fixed }));
  if (sealed !== t.envelope) throw new Error(`sealed with the vector's randomness to different bytes: ${firstDifference(sealed, t.envelope)}`);
}

// @req CONF-140
export async function verifyEnvelopeFile(path: string, provider: CryptoProvider): Promise<FileCounts> {
  const c: FileCounts = { pass: 0, fail: 0, unsupported: 0, failures: [] };
  const file = JSON.parse(readFileSync(path, 'utf8')) as EnvelopeVectorFile;
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-envelope-verify-'));
  try {
    for (const t of file.tests) {
      try {
        await check(t, dir, provider);
        c.pass++;
      } catch (e) {
        c.fail++;
        c.failures.push(`tc ${t.tcId} (${t.comment}): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return c;
}
