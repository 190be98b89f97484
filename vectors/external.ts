/**
 * Locates the third-party vector folder (cacophony, Wycheproof) beside the clone: ../shared/vectors.
 * It is never copied into the repository. Tests that need it are skipped with a stated reason when it
 * is absent, except under CI=true, where its absence is a failure.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE_ROOT } from '../reference/paths.js';

export const REPO_ROOT = PACKAGE_ROOT;

export function sharedVectorsDir(): string | undefined {
  const candidates = [process.env.AGENTSEC_SHARED_VECTORS, resolve(REPO_ROOT, '../shared/vectors')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return undefined;
}

/**
 * For test files: returns the folder, or undefined with the reason logged, so the caller can
 * `describe.skipIf(!dir)`. Under CI=true a missing folder throws, failing the run.
 */
export function requireSharedVectors(what: string): string | undefined {
  const dir = sharedVectorsDir();
  if (dir) return dir;
  const reason = `${what}: skipped, ../shared/vectors not found beside the clone (set AGENTSEC_SHARED_VECTORS)`;
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
