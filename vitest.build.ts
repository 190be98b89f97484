// Tests that spawn the CLI run the built JavaScript (bin/agentsec.mjs runs dist/): build first when
// any shipped source is newer than the last build, so a test never judges stale code.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = import.meta.dirname;
const STAMP = join(ROOT, 'dist', '.tsbuildinfo');
const FOLDERS = ['api', 'reference', 'protocol', 'adapter', 'services', 'harness', 'cli', 'vectors', 'bench', 'spec/tools'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export default function build(): void {
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
  const sources = Math.max(statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs, ...FOLDERS.map((f) => newestSource(join(ROOT, f))));
  if (sources <= built) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const now = new Date();
  utimesSync(STAMP, now, now);
}
