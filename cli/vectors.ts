/**
 * `agentsec vectors generate` writes the project's Noise vectors (vectors/noise/generate.ts, computed
 * by the independent implementation) and their JSON Schema, plus the fixed-input known-answer files
 * (vectors/session/generate.ts, vectors/envelope/generate.ts); `agentsec vectors verify` runs vector
 * files (cacophony format or the project's extension) against the reference in process, or against
 * an implementation through agentsec-adapter/1 (--impl).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getProvider, type ProviderName } from '../reference/index.js';
import { REPO_ROOT, sharedVectorsDir } from '../vectors/external.js';
import { loadVectorFile, type NoiseVector } from '../vectors/noise/format.js';
import { DEFAULT_SEED, generateNoiseVectors, renderVectorFile } from '../vectors/noise/generate.js';
import { referenceParties } from '../vectors/noise/reference-party.js';
import { adapterParties, runVector, type PartyFactory } from '../vectors/noise/run.js';
import { NOISE_VECTOR_SCHEMA } from '../vectors/noise/schema.js';
import { ENVELOPE_FORMAT, ENVELOPE_SCHEMA_FILE, ENVELOPE_VECTOR_FILE, generateEnvelopeVectors, renderEnvelopeFile } from '../vectors/envelope/generate.js';
import { ENVELOPE_VECTOR_SCHEMA } from '../vectors/envelope/schema.js';
import { generateSessionVectors, renderSessionFile, SESSION_FORMAT, SESSION_SCHEMA_FILE, SESSION_VECTOR_FILE } from '../vectors/session/generate.js';
import { SESSION_VECTOR_SCHEMA } from '../vectors/session/schema.js';
import { startProcessAdapter } from '../harness/adapters/process.js';
import { startReferenceAdapter } from '../harness/adapters/in-process.js';
import { verifySessionFile, vectorFormat } from './vectors-session.js';
import { verifyEnvelopeFile } from './vectors-envelope.js';
import type { Adapter } from '../harness/conform/types.js';
import { claims } from '../harness/suites/noise.js';
import { EXIT_FAILURES, EXIT_OK, parseFlags, UsageError, type Command } from './command.js';

export const VECTOR_FILE = 'agentsec-noise.json';
export const SCHEMA_FILE = 'agentsec-noise.schema.json';
export const DEFAULT_OUT = join(REPO_ROOT, 'vectors/noise');

function parseSeed(v: string | undefined): number {
  if (v === undefined) return DEFAULT_SEED;
  if (!/^(0|[1-9][0-9]{0,9})$/.test(v) || Number(v) > 2 ** 32 - 1) throw new UsageError(`--seed must be an integer in 0..4294967295, got "${v}"`);
  return Number(v);
}

/** Writes the vector file and its schema into `out`; returns the paths. */
export function writeVectors(out: string, seed: number): { file: string; schema: string; count: number } {
  mkdirSync(out, { recursive: true });
  const f = generateNoiseVectors(seed);
  const file = join(out, VECTOR_FILE);
  const schema = join(out, SCHEMA_FILE);
  writeFileSync(file, renderVectorFile(f));
  writeFileSync(schema, `${JSON.stringify(NOISE_VECTOR_SCHEMA, null, 2)}\n`);
  return { file, schema, count: f.vectors.length };
}

/** The known-answer vector files that take no seed (fixed inputs), each with the folder it is committed in. */
const FIXED_VECTORS = [
  { dir: 'vectors/session', file: SESSION_VECTOR_FILE, schemaFile: SESSION_SCHEMA_FILE, render: () => renderSessionFile(generateSessionVectors()), schema: SESSION_VECTOR_SCHEMA },
  { dir: 'vectors/envelope', file: ENVELOPE_VECTOR_FILE, schemaFile: ENVELOPE_SCHEMA_FILE, render: () => renderEnvelopeFile(generateEnvelopeVectors()), schema: ENVELOPE_VECTOR_SCHEMA },
];

/** Writes the fixed-input vector files into `out`, or each into its committed folder when `out` is undefined. */
export function writeFixedVectors(out: string | undefined): string[] {
  return FIXED_VECTORS.flatMap((v) => {
    const dir = out ?? join(REPO_ROOT, v.dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, v.file), v.render());
    writeFileSync(join(dir, v.schemaFile), `${JSON.stringify(v.schema, null, 2)}\n`);
    return [join(dir, v.file)];
  });
}

export const vectorsGenerateCommand: Command = {
  name: 'vectors generate',
  summary: 'generate the project test vectors',
  usage: `Usage: agentsec vectors generate [--out DIR] [--seed N]

Writes ${VECTOR_FILE} (Noise vectors for what cacophony lacks: empty payloads, high nonces,
rekey, hfs with ML-KEM-768, failure cases) and ${SCHEMA_FILE} into DIR (default: vectors/noise/).
The same seed always gives byte-identical files (default seed ${DEFAULT_SEED}, the committed one).
Also writes the fixed-input known-answer files and their schemas (no seed): ${SESSION_VECTOR_FILE}
(default: vectors/session/) and ${ENVELOPE_VECTOR_FILE} (default: vectors/envelope/), into DIR too
when --out is given.`,
  async run(args) {
    const { flags, positionals } = parseFlags(args, { strings: ['out', 'seed'] });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const out = typeof flags.out === 'string' ? resolve(flags.out) : DEFAULT_OUT;
    const r = writeVectors(out, parseSeed(flags.seed as string | undefined));
    process.stdout.write(`wrote ${r.count} Noise vectors to ${r.file}\nwrote the schema to ${r.schema}\n`);
    for (const f of writeFixedVectors(typeof flags.out === 'string' ? out : undefined)) process.stdout.write(`wrote ${f} and its schema\n`);
    return EXIT_OK;
  },
};

export interface VerifyCounts {
  pass: number;
  fail: number;
  unsupported: number;
  failures: string[];
}

/** `applies` returns a reason when the implementation does not claim what a vector needs (counted as unsupported). */
export async function verifyFile(path: string, parties: PartyFactory, applies?: (v: NoiseVector) => true | string): Promise<VerifyCounts> {
  let file;
  try {
    file = loadVectorFile(path);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const c: VerifyCounts = { pass: 0, fail: 0, unsupported: 0, failures: [] };
  for (const [k, v] of file.vectors.entries()) {
    if (applies && applies(v) !== true) {
      c.unsupported++;
      continue;
    }
    const r = await runVector(v, parties);
    c[r.status]++;
    if (r.status === 'fail') c.failures.push(`#${k} ${v.protocol_name}${v.description ? ` (${v.description})` : ''}: ${r.reason}`);
  }
  return c;
}

export const vectorsVerifyCommand: Command = {
  name: 'vectors verify',
  summary: 'verify vector files against an implementation',
  usage: `Usage: agentsec vectors verify [--impl "<cmd>"] [--provider noble|node] [PATH ...]

Runs Noise vector files (cacophony format, or this project's extension of it) and checks every
message byte for byte and the handshake hashes. Session known-answer files (agentsec-x3dh.json,
format agentsec-session-vectors/1) run the session suite's known-answer tests (needs
session.fixed_randomness through --impl). Envelope known-answer files (agentsec-envelope.json, format
agentsec-envelope-vectors/1) are opened, refused and sealed again with each vector's KEK and
randomness by the reference in process (through --impl they count as unsupported). Default PATHs: vectors/noise/${VECTOR_FILE} and,
when present, vectors/third_party/noise/cacophony.txt.
  --impl "<cmd>"   an implementation speaking agentsec-adapter/1 (needs fixed_ephemeral);
                   default: the reference in process
  --provider P     crypto provider of the in-process reference (default noble)
Vectors the implementation does not claim in hello, or refuses as unsupported (e.g. curve 448),
are counted as unsupported, not failed.
Exit 0 when nothing failed, 1 otherwise, 2 on bad usage.`,
  async run(args) {
    const { flags, positionals } = parseFlags(args, { strings: ['impl', 'provider'] });
    const provider = (flags.provider ?? 'noble') as string;
    if (provider !== 'noble' && provider !== 'node') throw new UsageError(`--provider must be noble or node, got "${provider}"`);
    const paths = positionals.length ? positionals.map((p) => resolve(p)) : [join(DEFAULT_OUT, VECTOR_FILE), ...((d) => (d ? [join(d, 'noise/cacophony.txt')] : []))(sharedVectorsDir())];
    let adapter: Adapter | undefined;
    let parties: PartyFactory;
    let applies: ((v: NoiseVector) => true | string) | undefined;
    if (typeof flags.impl === 'string') {
      try {
        adapter = await startProcessAdapter({ command: flags.impl });
      } catch (e) {
        throw new UsageError(`--impl "${flags.impl}" did not start or answer hello: ${(e as Error).message}`);
      }
      const caps = adapter.hello.capabilities;
      if (!caps.noise?.fixed_ephemeral && paths.some((p) => vectorFormat(p) === undefined)) {
        await adapter.close();
        throw new UsageError(`--impl "${flags.impl}" does not claim noise.fixed_ephemeral: vectors need fixed ephemeral keys to be reproduced`);
      }
      parties = adapterParties(adapter);
      applies = (v) =>
        claims(caps, v.protocol_name, { rekey: v.messages.some((m) => m.rekey_before), setNonce: v.messages.some((m) => m.set_nonce_before !== undefined) });
    } else {
      parties = referenceParties(getProvider(provider as ProviderName));
    }
    let failed = 0;
    let sessionIut: Adapter | undefined;
    try {
      for (const path of paths) {
        const format = vectorFormat(path);
        let c;
        if (format === ENVELOPE_FORMAT) {
          if (adapter) {
            // The contract has no method yet that loads a given KEK and seal randomness into an adapter.
            const n = (JSON.parse(readFileSync(path, 'utf8')) as { tests: unknown[] }).tests.length;
            c = { pass: 0, fail: 0, unsupported: n, failures: [] };
            process.stdout.write(`${path}: envelope known answers need a KEK and seal randomness of the vector's, which no adapter method loads yet: checked against the reference only (run without --impl)\n`);
          } else c = await verifyEnvelopeFile(path, getProvider(provider as ProviderName));
        } else if (format === SESSION_FORMAT) {
          const iut = adapter ?? (sessionIut ??= await startReferenceAdapter({ provider: getProvider(provider as ProviderName) }));
          c = await verifySessionFile(path, iut);
        } else c = await verifyFile(path, parties, applies);
        failed += c.fail;
        process.stdout.write(`${path}: ${c.pass} pass, ${c.unsupported} unsupported, ${c.fail} fail (${typeof flags.impl === 'string' ? flags.impl : `reference, ${provider}`})\n`);
        for (const f of c.failures.slice(0, 10)) process.stdout.write(`  FAIL ${f}\n`);
        if (c.failures.length > 10) process.stdout.write(`  ... and ${c.failures.length - 10} more\n`);
      }
    } finally {
      await adapter?.close();
      await sessionIut?.close();
    }
    return failed ? EXIT_FAILURES : EXIT_OK;
  },
};
