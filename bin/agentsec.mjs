#!/usr/bin/env node
// The CLI runs the built JavaScript (dist/, from `npm run build`) with plain node.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('agentsec: not built: run npm run build (or npm ci, which builds)\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
