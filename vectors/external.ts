/**
 * Locates the third-party vectors (cacophony, Wycheproof) vendored with the project in
 * vectors/third_party/ (noise/, wycheproof/; sources and licences beside them). They ship with the
 * package, so a clone or an installed CLI runs every suite with nothing beside it.
 * AGENTSEC_SHARED_VECTORS may point at another folder of the same layout (e.g. newer Wycheproof).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../reference/paths.js';

export const REPO_ROOT = PACKAGE_ROOT;

/** The vendored folder (or the override); undefined only if the package was stripped of it. */
export function sharedVectorsDir(): string | undefined {
  const candidates = [process.env.AGENTSEC_SHARED_VECTORS, resolve(REPO_ROOT, 'vectors', 'third_party')];
  for (const c of candidates) if (c && vendoredExists(resolve(c, 'noise', 'cacophony.txt'))) return c;
  return undefined;
}

/**
 * The package ships the large third-party files gzipped (`<file>.gz`, written by
 * vectors/pack-third-party.mjs at pack time); a clone has them as they were vendored. Either is read.
 */
export function vendoredExists(path: string): boolean {
  return existsSync(path) || existsSync(`${path}.gz`);
}

/** The text of a vendored file, from the file itself or from its gzip. */
export function readVendored(path: string): string {
  if (existsSync(path) || !existsSync(`${path}.gz`)) return readFileSync(path, 'utf8');
  return gunzipSync(readFileSync(`${path}.gz`)).toString('utf8');
}

/**
 * For test files: returns the folder, or undefined with the reason logged, so the caller can
 * `describe.skipIf(!dir)`. Under CI=true a missing folder throws, failing the run.
 */
export function requireSharedVectors(what: string): string | undefined {
  const dir = sharedVectorsDir();
  if (dir) return dir;
  const reason = `${what}: skipped, vectors/third_party/ is missing from this copy of the package (or AGENTSEC_SHARED_VECTORS names a folder without noise/cacophony.txt)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; under CI=true this is a failure`);
  console.warn(reason);
  return undefined;
}

/**
 * Same rule for a missing service (swtpm, SoftHSM2, Docker): skipped with the reason and install
 * command locally, a failure under CI=true. `ciExempt` marks services that cannot be had on CI
 * machines at all (the LocalStack image): those stay skipped with the reason.
 */
export function requireService(name: string, available: boolean, install: string, ciExempt = false): boolean {
  if (available) return true;
  const reason = `${name} not available: skipped (install: ${install})`;
  if (process.env.CI === 'true' && !ciExempt) throw new Error(`${reason}; under CI=true this is a failure`);
  console.warn(reason);
  return false;
}
