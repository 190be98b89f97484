/**
 * The `trace` suite: the model trace corpus (vectors/traces/, spec/models.md MODEL-040..042)
 * replayed against the implementation under test, one test per trace. Noise traces need IK and XX
 * over 25519/ChaChaPoly/SHA256; ratchet traces need x3dh sessions with export. Envelope traces
 * exercise KEK administration (rotate, retire, the clock) through the `envelope.kek_*` methods: they
 * need the `envelope.kek_admin` claim and are n/a without it (CONF-150).
 */
import type { Suite, TestCase } from '../conform/types.js';
import { adapterEnvelopeSubject, envelopeApplies, loadCorpus, modelOf, noiseApplies, ratchetApplies, replayEnvelope, replayNoise, replayRatchet } from '../trace/index.js';

const REQ_OF_MODEL = { noise_handshake: 'MODEL-040', double_ratchet: 'MODEL-041', envelope_lifecycle: 'MODEL-042' } as const;

export const traceSuite: Suite = {
  name: 'trace',
  description: 'model-based traces of the Quint models (Noise handshake, Double Ratchet, envelope lifecycle) replayed step by step',
  tests(): TestCase[] {
    return loadCorpus().map((trace): TestCase => {
      const model = modelOf(trace);
      const id = `trace/${model}/${trace.name.replace(/\.itf\.json$/, '')}`;
      const reqs = [REQ_OF_MODEL[model]];
      if (model === 'noise_handshake') {
        return { id, reqs, applies: noiseApplies, run: async (ctx) => void (await replayNoise(trace, ctx.iut)) };
      }
      if (model === 'double_ratchet') {
        return { id, reqs, applies: ratchetApplies, run: async (ctx) => void (await replayRatchet(trace, ctx.iut)) };
      }
      return { id, reqs: [...reqs, 'CONF-150'], applies: envelopeApplies, run: async (ctx) => void (await replayEnvelope(trace, adapterEnvelopeSubject(ctx.iut))) };
    });
  },
};
