/**
 * Where the package's data files are (spec texts, schemas, vectors, package.json): the package root
 * is the nearest folder above this module holding a package.json. The same walk works from the
 * sources (reference/paths.ts), from the build (dist/reference/paths.js) and from an installed
 * package (node_modules/agentsec/dist/reference/paths.js), so no file counts `..` by hand.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The package root: the clone, or node_modules/agentsec when installed. */
export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. packagePath('spec', 'noise.md'). */
export function packagePath(...parts: string[]): string {
  return resolve(PACKAGE_ROOT, ...parts);
}

/** The package's version, read once from its package.json (the single source of truth). */
export const PACKAGE_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
})();
