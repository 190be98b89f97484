/** The reference in process as a vector party (NoiseChannel with the test seams for fixed ephemerals). */
import { createNoiseChannel, fromHex, type CryptoProvider } from '../../reference/index.js';
import { withFixedNoiseKeysForTestingOnly } from '../../reference/noise/fixed-keys.js';
import type { NoiseVector } from './format.js';
import type { NoiseParty, PartyFactory } from './run.js';

export function referenceParties(provider: CryptoProvider): PartyFactory {
  return async (v: NoiseVector, initiator: boolean): Promise<NoiseParty> => {
    const p = initiator ? 'init' : 'resp';
    const f = (k: string): Uint8Array | undefined => {
      const x = (v as unknown as Record<string, string | undefined>)[`${p}_${k}`];
      return x === undefined ? undefined : fromHex(x);
    };
    const psks = (initiator ? v.init_psks : v.resp_psks)?.map((h) => fromHex(h));
    const fixed = {
      ...(f('ephemeral') ? { ephemeral: f('ephemeral')! } : {}),
      ...(f('e1_seed') ? { kemSeed: f('e1_seed')! } : {}),
      ...(f('ekem1_randomness') ? { kemEncapsulation: f('ekem1_randomness')! } : {}),
    };
    const ch = createNoiseChannel(withFixedNoiseKeysForTestingOnly({
      protocol: v.protocol_name,
      initiator,
      prologue: f('prologue')!,
      provider,
      ...(f('static') ? { staticPrivateKey: f('static')! } : {}),
      ...(f('remote_static') ? { remoteStaticKey: f('remote_static')! } : {}),
      ...(f('remote_ephemeral') ? { remoteEphemeralKey: f('remote_ephemeral')! } : {}),
      ...(psks ? { psks } : {}),
    }, fixed));
    return {
      write: async (payload) => ch.writeMessage(payload),
      read: async (message) => ch.readMessage(message),
      state: async () => ({ complete: ch.isHandshakeComplete, ...(ch.isHandshakeComplete ? { handshakeHash: ch.handshakeHash() } : {}) }),
      rekey: async (d) => ch.rekey(d),
      setNonce: async (d, n) => ch.setNonce(d, n),
      free: async () => undefined,
    };
  };
}
