/** Noise mutants (spec/noise.md): planted through the reference adapter's noise.* methods. */
import type { NoiseChannel } from '../../../reference/noise/channel.js';
import { areasWith, onRefusal, override, type Mutant } from './mutant.js';

const channel = (ctx: { objects: { get<T>(id: unknown, kind: string): T } }, id: unknown): NoiseChannel => ctx.objects.get<NoiseChannel>(id, 'noise');

export const NOISE_MUTANTS: Mutant[] = [
  {
    name: 'noise-nonce-advance-on-failure',
    area: 'noise',
    description: 'a failed transport decrypt still increments the receive nonce (NOISE-014)',
    selfConsistent: false,
    suite: 'noise',
    traces: 'noise_handshake',
    caughtBy: ['noise/negative/failed-decrypt-keeps-nonce', 'noise/vectors/agentsec/failure/tampered-transport/ChaChaPoly'],
    areas: () =>
      areasWith('noise', (a) =>
        override(a, {
          'noise.read': (p, ctx, next) =>
            onRefusal(
              () => next(p, ctx),
              (e) => {
                const ch = channel(ctx, p.id);
                if (e.kind === 'auth_failure' && ch.isHandshakeComplete) ch.setNonce('recv', ch.nonce('recv') + 1n);
              },
            ),
        }),
      ),
  },
  {
    name: 'noise-prologue-ignored',
    area: 'noise',
    description: 'the prologue is not mixed into the handshake hash, on both sides (NOISE-008, NOISE-024)',
    selfConsistent: true,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/vectors/agentsec/failure/prologue-mismatch/IK', 'noise/interop/Noise_IK_25519_ChaChaPoly_SHA256/iut-initiator', 'noise/interop/Noise_XX_25519_ChaChaPoly_SHA256/iut-responder'],
    areas: () => areasWith('noise', (a) => override(a, { 'noise.new': (p, ctx, next) => next({ ...p, prologue: '' }, ctx) })),
  },
  {
    name: 'noise-rekey-noop',
    area: 'noise',
    description: 'Rekey() leaves the cipher key as it is, on both sides (NOISE-016)',
    selfConsistent: true,
    suite: 'noise',
    traces: undefined,
    caughtBy: ['noise/rekey'],
    areas: () =>
      areasWith('noise', (a) =>
        override(a, {
          'noise.rekey': (p, ctx) => {
            channel(ctx, p.id);
            return {};
          },
        }),
      ),
  },
];
