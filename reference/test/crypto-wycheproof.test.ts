import { afterAll, describe, expect, it } from 'vitest';
import { getProvider, nodeHasNativeMlKem, PROVIDER_NAMES } from '../crypto/index.js';
import { requireSharedVectors } from '../../vectors/external.js';
import { evaluateWycheproof, formatCounts, loadWycheproof, plannedSkips, providerPrimitives, WYCHEPROOF_FILES, type FileCounts, type WycheproofFile } from '../../vectors/wycheproof.js';

const dir = requireSharedVectors('Wycheproof tests of the crypto providers');

/** Which requirement each file checks (besides CRYPTO-010, the general valid/invalid rule). */
const FILE_REQS: Record<WycheproofFile, string> = {
  x25519: 'CRYPTO-001 CRYPTO-003 CRYPTO-011',
  ed25519: 'CRYPTO-002 CRYPTO-012',
  aes_gcm: 'CRYPTO-004 CRYPTO-013',
  chacha20_poly1305: 'CRYPTO-004 CRYPTO-013',
  hkdf_sha256: 'CRYPTO-005',
  hmac_sha256: 'CRYPTO-005 CRYPTO-014',
  mlkem_768: 'CRYPTO-007',
  mlkem_768_encaps: 'CRYPTO-007',
  mlkem_768_keygen_seed: 'CRYPTO-007',
  mlkem_1024: 'CRYPTO-007',
  mlkem_1024_encaps: 'CRYPTO-007',
  mlkem_1024_keygen_seed: 'CRYPTO-007',
};

describe.skipIf(!dir)('Wycheproof', () => {
  const summary: string[] = [];
  afterAll(() => {
    console.log(`Wycheproof (node ML-KEM native: ${nodeHasNativeMlKem})\n${summary.join('\n')}`);
  });

  for (const providerName of PROVIDER_NAMES) {
    describe(`provider ${providerName}`, () => {
      for (const file of WYCHEPROOF_FILES) {
        it(`CRYPTO-010 ${FILE_REQS[file]}: ${file} -- valid succeed, invalid refused, acceptable per policy`, async () => {
          const doc = loadWycheproof(dir!, file);
          const counts: FileCounts = await evaluateWycheproof(doc, file, providerPrimitives(getProvider(providerName)));
          summary.push(`${providerName.padEnd(5)} ${formatCounts(counts)}`);
          expect(counts.failures.slice(0, 10)).toEqual([]);
          expect(counts.failed).toBe(0);
          expect(counts.run).toBeGreaterThan(0);
          expect(counts.passed).toBe(counts.run);
          expect(counts.run).toBe(doc.numberOfTests - plannedSkips(doc, file));
          expect(counts.run + counts.skipped).toBe(doc.numberOfTests);
        });
      }
    });
  }
});
