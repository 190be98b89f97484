// Type-checked with tsc against the shipped declarations only (no sources in the package).
import { getProvider, type CryptoProvider, type ErrorKind } from 'agentsec';
import { createNoiseChannel, type NoiseChannel } from 'agentsec/noise';
import { SessionAgent, type AgentOptions } from 'agentsec/session';
import { LocalKekRing, sealEnvelope, openEnvelope, type EncryptionContext } from 'agentsec/envelope';
import type { DirectoryClient } from 'agentsec/directory';
import { deterministicRandomForTestingOnly } from 'agentsec/testing';

const p: CryptoProvider = getProvider('node');
const channel: NoiseChannel = createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, staticPrivateKey: p.x25519.generateKeyPair().privateKey });
const first: Uint8Array = channel.writeMessage();
const opts: AgentOptions = { kind: 'pqxdh' };
const agent: SessionAgent = SessionAgent.create(p, opts);
const bundle: Uint8Array = agent.bundle();
const ctx: EncryptionContext = { tenant: 'demo' };
export async function roundTrip(plaintext: Uint8Array): Promise<Uint8Array> {
  const kek = LocalKekRing.open();
  return openEnvelope(kek, await sealEnvelope(kek, plaintext, ctx), ctx);
}
export const kind: ErrorKind = 'decode_failure';
export const sizes = [first.length, bundle.length, deterministicRandomForTestingOnly(1)(4).length];
export type Client = DirectoryClient;
