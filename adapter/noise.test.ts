import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { getProvider } from '../reference/index.js';
import { requireSharedVectors } from '../vectors/external.js';
import { loadVectorFile } from '../vectors/noise/format.js';
import { adapterParties, runVector } from '../vectors/noise/run.js';
import { startReferenceAdapter } from '../harness/adapters/in-process.js';
import { AdapterCallError, type Adapter } from '../harness/conform/types.js';

const dir = requireSharedVectors('noise adapter area tests');

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AdapterCallError) return e.kind;
    throw e;
  }
  return 'accepted';
}

async function xx(a: Adapter): Promise<[string, string]> {
  const prov = getProvider('noble');
  const k = () => Buffer.from(prov.x25519.generateKeyPair().privateKey).toString('hex');
  const { id: i } = (await a.call('noise.new', { protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, prologue: '', s: k() })) as { id: string };
  const { id: r } = (await a.call('noise.new', { protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: false, prologue: '', s: k() })) as { id: string };
  let from = i;
  let to = r;
  for (let n = 0; n < 3; n++) {
    const { message } = (await a.call('noise.write', { id: from, payload: '' })) as { message: string };
    await a.call('noise.read', { id: to, message });
    [from, to] = [to, from];
  }
  return [i, r];
}

describe('noise adapter area', () => {
  it('NOISE-052: hello claims the noise capabilities', async () => {
    const a = await startReferenceAdapter();
    const n = a.hello.capabilities.noise!;
    expect(n.patterns).toEqual(expect.arrayContaining(['IK', 'XX', 'N', 'X1K1', 'psk']));
    expect(n.dh).toEqual(['25519']);
    expect(n.hfs).toEqual(['MLKEM768']);
    expect([n.fixed_ephemeral, n.rekey, n.set_nonce]).toEqual([true, true, true]);
  });

  it('NOISE-052: the same id carries the transport phase; state, rekey, set_nonce', async () => {
    const a = await startReferenceAdapter();
    const [i, r] = await xx(a);
    const si = (await a.call('noise.state', { id: i })) as { complete: boolean; handshake_hash: string };
    const sr = (await a.call('noise.state', { id: r })) as { complete: boolean; handshake_hash: string };
    expect(si.complete && sr.complete).toBe(true);
    expect(si.handshake_hash).toBe(sr.handshake_hash);
    await a.call('noise.rekey', { id: i, direction: 'send' });
    await a.call('noise.rekey', { id: r, direction: 'recv' });
    await a.call('noise.set_nonce', { id: i, direction: 'send', n: '18446744073709551614' });
    await a.call('noise.set_nonce', { id: r, direction: 'recv', n: '18446744073709551614' });
    const { message } = (await a.call('noise.write', { id: i, payload: '6869' })) as { message: string };
    expect(await a.call('noise.read', { id: r, message })).toEqual({ payload: '6869' });
    expect(await kindOf(a.call('noise.write', { id: i, payload: '' }))).toBe('state_failure');
  });

  it('NOISE-052: every param is validated; errors carry the closed kinds', async () => {
    const a = await startReferenceAdapter();
    const [i] = await xx(a);
    // These requests break the contract on purpose: the adapter's own validation is under test.
    const BAD = { unchecked: 'NOISE-052 sends malformed params to the adapter on purpose' };
    expect(await kindOf(a.call('noise.new', { protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: 'yes', prologue: '' }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.new', { protocol: 'Noise_NN_25519_ChaChaPoly_SHA256', initiator: true }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.new', { protocol: 'Noise_NN_448_ChaChaPoly_SHA256', initiator: true, prologue: '' }, BAD))).toBe('unsupported');
    expect(await kindOf(a.call('noise.new', { protocol: 'Noise_NNpsk0_25519_ChaChaPoly_SHA256', initiator: true, prologue: '', psks: 'ab' }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.new', { protocol: 'Noise_NN_25519_ChaChaPoly_SHA256', initiator: true, prologue: '', e1: '00'.repeat(64) }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.new', { protocol: 'Noise_NN_25519_ChaChaPoly_SHA256', initiator: true, prologue: 'XY' }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.write', { id: 'noise-999', payload: '' }, BAD))).toBe('state_failure');
    expect(await kindOf(a.call('noise.write', { id: i, payload: 'zz' }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.rekey', { id: i, direction: 'both' }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.set_nonce', { id: i, direction: 'send', n: '18446744073709551616' }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.set_nonce', { id: i, direction: 'send', n: 5 }, BAD))).toBe('decode_failure');
    expect(await kindOf(a.call('noise.read', { id: i, message: '00'.repeat(20) }, BAD))).toBe('auth_failure');
    await a.call('free', { id: i });
    expect(await kindOf(a.call('noise.state', { id: i }, BAD))).toBe('state_failure');
  });

  describe.skipIf(!dir)('cacophony through the adapter', () => {
    it('NOISE-050 NOISE-052: the 25519 vectors pass through noise.* with fixed ephemerals', async () => {
      const file = loadVectorFile(join(dir ?? '', 'noise/cacophony.txt'));
      const a = await startReferenceAdapter({ provider: getProvider('node') });
      const counts = { pass: 0, fail: 0, unsupported: 0 };
      const factory = adapterParties(a);
      for (const v of file.vectors) counts[(await runVector(v, factory)).status]++;
      expect(counts).toEqual({ pass: 472, fail: 0, unsupported: 472 });
    });
  });
});
