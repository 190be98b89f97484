/** Double Ratchet mutants (spec/double-ratchet.md, spec/session.md), planted through session.* methods. */
import { equalBytes, toHex } from '../../../reference/bytes.js';
import type { Aead, CryptoProvider } from '../../../reference/crypto/provider.js';
import { decodeInitial, encodeInitialPrefix, isInitial } from '../../../reference/session/initial-message.js';
import { knowsChain, ratchetDecrypt, type RatchetState } from '../../../reference/session/ratchet/session.js';
import type { SessionAgent, SessionEntry } from '../../../reference/session/agent.js';
import { fromHex } from '../../../reference/bytes.js';
import type { Area, AreaContext, Handler } from '../../../adapter/area.js';
import { areasWith, onRefusal, override, providerWith, withProvider, type Mutant } from './mutant.js';
import { agentOf, AGENT, ForgetfulWatermarks, mapEntries, rebuilt, withStandIn } from './session-kit.js';

/** An AEAD whose open never fails (garbage in, empty plaintext out): replays the keys a failed decrypt derived. */
function lenient(a: Aead): Aead {
  return {
    name: a.name,
    keyLength: a.keyLength,
    nonceLength: a.nonceLength,
    tagLength: a.tagLength,
    seal: (k, n, pt, ad) => a.seal(k, n, pt, ad),
    open: (k, n, ct, ad) => {
      try {
        return a.open(k, n, ct, ad);
      } catch {
        return new Uint8Array(0);
      }
    },
  };
}

/** The ratchet state a refused message computed before its tag check failed, on the session the agent tried. */
function advancedByFailure(p: CryptoProvider, agent: SessionAgent, peer: string, message: Uint8Array): { entry: SessionEntry; next: RatchetState } | undefined {
  const ps = agent.state.peers.find((x) => x.address === peer);
  if (!ps) return undefined;
  const all = [ps.current, ...ps.previous];
  let entry: SessionEntry | undefined;
  let body = message;
  let prefix: Uint8Array | undefined;
  if (isInitial(message)) {
    let im;
    try {
      im = decodeInitial(message);
    } catch {
      return undefined;
    }
    entry = all.find((e) => !e.initiator && equalBytes(e.baseKey, im.baseKey));
    body = im.ratchetMessage;
    prefix = encodeInitialPrefix(im);
  } else {
    entry = all.find((e) => knowsChain(e.ratchet, message)) ?? ps.current;
  }
  if (!entry) return undefined;
  const r = ratchetDecrypt(providerWith(p, { aead: (n) => lenient(p.aead(n)) }), entry.ratchet, body, prefix, agent.limits);
  return r.ok ? { entry, next: r.state } : undefined;
}

/** session.agent and session.import hand out agents whose watermark store forgets. */
function forgetfulWatermarks(a: Area, more: Record<string, (p: Record<string, unknown>, ctx: AreaContext, next: Handler) => unknown> = {}): Area {
  const forget = (r: unknown, ctx: AreaContext): unknown => {
    const id = (r as { agent: string }).agent;
    const agent = agentOf(ctx, id);
    ctx.objects.set(id, AGENT, rebuilt(ctx.provider, agent, agent.state, new ForgetfulWatermarks()));
    return r;
  };
  return override(a, {
    'session.agent': async (p, ctx, next) => forget(await next(p, ctx), ctx),
    'session.import': async (p, ctx, next) => forget(await next(p, ctx), ctx),
    ...more,
  });
}

/** Accepts a message again that was refused as a duplicate, returning the plaintext it had the first time. */
function acceptsDuplicates(which: (message: Uint8Array) => boolean): () => Area[] {
  return () => {
    const seen = new Map<string, unknown>();
    return areasWith('session', (a) =>
      override(a, {
        'session.decrypt': async (p, ctx, next) => {
          const key = `${String(p.agent)}|${String(p.peer)}|${String(p.message)}`;
          try {
            const r = await next(p, ctx);
            seen.set(key, r);
            return r;
          } catch (e) {
            const bytes = typeof p.message === 'string' ? fromHex(p.message, 'message') : undefined;
            if ((e as { kind?: string }).kind === 'duplicate' && bytes && which(bytes) && seen.has(key)) return seen.get(key);
            throw e;
          }
        },
      }),
    );
  };
}
export { acceptsDuplicates };

const SWAP = new Map([
  [1, 2],
  [2, 1],
]);

export const RATCHET_MUTANTS: Mutant[] = [
  {
    name: 'dr-advance-on-failure',
    area: 'ratchet',
    description: 'a failed ratchet decrypt commits the receiving chain it advanced (DR-008)',
    selfConsistent: false,
    suite: 'session',
    traces: 'double_ratchet',
    caughtBy: ['session/state-unchanged/tampered-mac', 'session/state-unchanged/forged-header-key', 'session/state-unchanged/truncated'],
    areas: () =>
      areasWith('session', (a) =>
        override(a, {
          'session.decrypt': (p, ctx, next) =>
            onRefusal(
              () => next(p, ctx),
              () => {
                const agent = agentOf(ctx, p.agent);
                const peer = String(p.peer);
                const adv = advancedByFailure(ctx.provider, agent, peer, fromHex(p.message, 'message'));
                if (!adv) return;
                const state = mapEntries(agent.state, (e, address) => (address === peer && e === adv.entry ? { ...e, ratchet: adv.next } : e));
                ctx.objects.set(String(p.agent), AGENT, rebuilt(ctx.provider, agent, state));
              },
            ),
        }),
      ),
  },
  {
    name: 'dr-counter-not-persisted',
    area: 'ratchet',
    description: 'the exported state carries the sending chain as it was at its first message, and no watermark guards restarts (SESS-010, SESS-012)',
    selfConsistent: false,
    suite: 'session',
    traces: 'double_ratchet',
    caughtBy: ['session/restart/rollback-no-key-reuse'],
    areas: () => {
      // Per session id: the sending chain as first seen in its current epoch.
      const stale = new Map<string, { epoch: number; cks: Uint8Array | undefined; ns: number }>();
      const note = (agent: SessionAgent, peer: unknown): void => {
        const e = agent.state.peers.find((x) => x.address === peer)?.current;
        if (e && stale.get(toHex(e.id))?.epoch !== e.ratchet.sendEpoch) stale.set(toHex(e.id), { epoch: e.ratchet.sendEpoch, cks: e.ratchet.cks, ns: e.ratchet.ns });
      };
      return areasWith('session', (a) =>
        forgetfulWatermarks(a, {
          'session.encrypt': async (p, ctx, next) => {
            note(agentOf(ctx, p.agent), p.peer);
            return next(p, ctx);
          },
          'session.initiate': async (p, ctx, next) => {
            const r = await next(p, ctx);
            note(agentOf(ctx, p.agent), p.peer);
            return r;
          },
          'session.export': async (p, ctx, next) => {
            const agent = agentOf(ctx, p.agent);
            const state = mapEntries(agent.state, (e) => {
              const s = stale.get(toHex(e.id));
              return s && s.epoch === e.ratchet.sendEpoch ? { ...e, ratchet: { ...e.ratchet, cks: s.cks, ns: s.ns } } : e;
            });
            return withStandIn(ctx, String(p.agent), rebuilt(ctx.provider, agent, state), () => next(p, ctx));
          },
        }),
      );
    },
  },
  {
    name: 'dr-no-rollback-watermark',
    area: 'ratchet',
    description: 'no rollback watermark: a restored older state sends again under used message keys (SESS-011, SESS-012)',
    selfConsistent: false,
    suite: 'session',
    traces: undefined,
    caughtBy: ['session/restart/rollback-no-key-reuse'],
    areas: () => areasWith('session', (a) => forgetfulWatermarks(a)),
  },
  {
    name: 'dr-duplicate-accepted',
    area: 'ratchet',
    description: 'a ratchet message decrypted before is accepted again, with its plaintext (DR-009, DR-010)',
    selfConsistent: false,
    suite: 'session',
    traces: 'double_ratchet',
    caughtBy: ['session/state-unchanged/duplicate'],
    areas: acceptsDuplicates((m) => !isInitial(m)),
  },
  {
    name: 'dr-chain-constants-swapped',
    area: 'ratchet',
    description: 'KDF_CK swaps its constants (mk = HMAC(ck, 0x02), ck\' = HMAC(ck, 0x01)), on both sides (DR-002)',
    selfConsistent: true,
    suite: 'session',
    traces: undefined,
    caughtBy: ['session/x3dh/interop/iut-initiates', 'session/x3dh/interop/reference-initiates', 'session/pqxdh/interop/iut-initiates', 'session/pqxdh/interop/reference-initiates'],
    areas: () =>
      areasWith('session', (a) =>
        withProvider(a, (p) =>
          providerWith(p, {
            hmac: (n, k, d) => (d.length === 1 && SWAP.has(d[0]!) ? p.hmac(n, k, new Uint8Array([SWAP.get(d[0]!)!])) : p.hmac(n, k, d)),
          }),
        ),
      ),
  },
];
