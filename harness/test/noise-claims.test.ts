import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import { runWithReference } from '../../cli/compose.js';
import { noiseSuite, pickProtocols } from '../suites/noise.js';
import { wrapAdapter } from './fixtures/wrap.js';
import { restrictedCapabilities } from './fixtures/restricted-adapter-caps.js';

const SINGLE = ['Noise_XX_25519_ChaChaPoly_BLAKE2b', 'Noise_XX_25519_AESGCM_SHA512'];
const MUST_APPLY = ['noise/negative/nonce-limit/*', 'noise/rekey', 'noise/negative/tamper/XX/*', 'noise/negative/truncate/XX/*', 'noise/negative/oversize', 'noise/negative/failed-decrypt-keeps-nonce'];
const FIXTURE = join(import.meta.dirname, 'fixtures/restricted-adapter.mjs');

describe('claim-driven Noise negative tests', () => {
  it('CONF-045: the picked protocols are one per claimed cipher, with a claimed hash and pattern', () => {
    const caps = restrictedCapabilities(['Noise_XX_25519_ChaChaPoly_BLAKE2b', 'Noise_XX_25519_AESGCM_BLAKE2b', 'Noise_NN_25519_AESGCM_BLAKE2b']);
    expect(pickProtocols(caps, { patterns: ['NN', 'XX'] })).toEqual(['Noise_NN_25519_ChaChaPoly_BLAKE2b', 'Noise_NN_25519_AESGCM_BLAKE2b']);
    expect(pickProtocols(caps, { patterns: ['IK'] })).toMatch(/pattern IK not claimed/);
    expect(pickProtocols(restrictedCapabilities(['Noise_XX_25519_AESGCM_SHA512']), { patterns: ['XX'], cipher: 'ChaChaPoly' })).toBe('cipher ChaChaPoly not claimed');
    expect(pickProtocols({ noise: { ...caps.noise!, set_nonce: false } }, { patterns: ['XX'], setNonce: true })).toMatch(/set_nonce not claimed/);
  });

  for (const protocol of SINGLE) {
    it(`CONF-045 CONF-046: an adapter claiming only ${protocol} gets nonce-limit, rekey, tamper, truncate, oversize and failed-decrypt (--list --impl), and passes them`, async () => {
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`), tty: false };
      const code = await conformMain(['--list', '--suite', 'noise', '--impl', `node ${JSON.stringify(FIXTURE)} ${protocol}`, ...MUST_APPLY.flatMap((o) => ['--only', o])], io);
      expect(code).toBe(0);
      const cipher = protocol.split('_')[3]!;
      const other = cipher === 'AESGCM' ? 'ChaChaPoly' : 'AESGCM';
      for (const l of lines) {
        if (l.startsWith(`noise/negative/nonce-limit/${other} `)) expect(l).toMatch(/ n\/a: cipher \w+ not claimed$/);
        else expect(l, l).toMatch(new RegExp(`  applies: ${protocol}$`));
      }
      expect(lines.length).toBe(2 + 1 + 3 * 2 + 1 + 1);
      const r = await runWithReference({
        suites: [noiseSuite],
        only: MUST_APPLY,
        seed: 5,
        quick: true,
        startIut: async () => wrapAdapter(await startReferenceAdapter(), restrictedCapabilities([protocol])),
      });
      expect(r.tests.map((t) => `${t.id} ${t.outcome}${t.outcome === 'fail' ? `: ${t.message}` : ''}`).filter((x) => !x.includes('nonce-limit/' + other))).toEqual(
        r.tests.filter((t) => !t.id.includes('nonce-limit/' + other)).map((t) => `${t.id} pass`),
      );
      expect(r.tests.find((t) => t.id === 'noise/rekey')?.log).toContain(`protocol ${protocol}`);
    }, 900_000);
  }
});
