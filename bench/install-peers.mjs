#!/usr/bin/env node
// Installs the benchmark peers that are not dependencies of the package because of their licence
// (libsignal-client: AGPL-3.0) into .bench-peers/ (git-ignored, never packed). `agentsec bench`
// uses whatever is there and names what is missing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PEERS = { '@signalapp/libsignal-client': '0.103.0' };
const dir = fileURLToPath(new URL('../.bench-peers/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('package.json', `file://${dir}`), `${JSON.stringify({ private: true, description: 'benchmark peers, installed by npm run bench:peers', dependencies: PEERS, allowScripts: { '@signalapp/libsignal-client': false } }, null, 2)}\n`);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: dir, stdio: 'inherit' });
process.stdout.write(`benchmark peers in ${dir}: ${Object.entries(PEERS).map(([n, v]) => `${n}@${v}`).join(', ')}\n`);
