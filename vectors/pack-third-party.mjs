// Run by `prepack`: writes a gzip beside each large vendored third-party file (the Wycheproof files
// and cacophony), which the package ships instead of the file itself (package.json "files"); the
// readers take either (vectors/external.ts readVendored). Deterministic: gzip level 9, no name or
// time in the header, so packing twice gives the same bytes.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('./third_party/', import.meta.url).pathname;
const large = [
  ...readdirSync(join(root, 'wycheproof')).filter((f) => f.endsWith('_test.json')).map((f) => join(root, 'wycheproof', f)),
  join(root, 'noise', 'cacophony.txt'),
];
let raw = 0;
let packed = 0;
for (const f of large) {
  const data = readFileSync(f);
  const gz = gzipSync(data, { level: 9 });
  writeFileSync(`${f}.gz`, gz);
  raw += data.length;
  packed += gz.length;
}
console.error(`vectors: ${large.length} third-party files gzipped for the package, ${(raw / 1048576).toFixed(1)} MiB -> ${(packed / 1048576).toFixed(1)} MiB`);
