import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { getProvider, PROVIDER_NAMES } from '../index.js';
import { requireSharedVectors } from '../../vectors/external.js';
import { loadVectorFile } from '../../vectors/noise/format.js';
import { referenceParties } from '../../vectors/noise/reference-party.js';
import { runVector } from '../../vectors/noise/run.js';

const dir = requireSharedVectors('cacophony Noise vectors');

describe.skipIf(!dir)('cacophony vectors (rev 34, 25519 byte-exact, 448 unsupported)', async () => {
  const file = loadVectorFile(join(dir ?? '', 'noise/cacophony.txt'));
  for (const name of PROVIDER_NAMES) {
    it(`NOISE-050: every 25519 vector passes with the ${name} provider; 448 reported unsupported`, async () => {
      const counts = { pass: 0, fail: 0, unsupported: 0 };
      const failures: string[] = [];
      const factory = referenceParties(getProvider(name));
      for (const v of file.vectors) {
        const r = await runVector(v, factory);
        counts[r.status]++;
        if (r.status === 'fail') failures.push(`${v.protocol_name}: ${r.reason}`);
        if (r.status === 'unsupported') expect(v.protocol_name).toMatch(/_448_/);
      }
      console.log(`cacophony [${name}]: ${counts.pass} pass, ${counts.unsupported} unsupported (448), ${counts.fail} fail of ${file.vectors.length}`);
      expect(failures.slice(0, 5)).toEqual([]);
      expect(counts.pass).toBe(472);
      expect(counts.unsupported).toBe(472);
    });
  }
});
