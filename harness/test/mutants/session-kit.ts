/** Helpers of the session mutants: rebuilding an agent in the adapter's object table around an edited state. */
import type { CryptoProvider } from '../../../reference/crypto/provider.js';
import { SessionAgent, type AgentState, type SessionEntry } from '../../../reference/session/agent.js';
import type { Watermark, WatermarkStore } from '../../../reference/session/watermark.js';
import type { AreaContext } from '../../../adapter/area.js';

export const AGENT = 'agent';

export function agentOf(ctx: AreaContext, id: unknown): SessionAgent {
  return ctx.objects.get<SessionAgent>(id, AGENT);
}

/** A copy of `agent` over another state (and optionally other watermarks), same identity and limits. */
export function rebuilt(p: CryptoProvider, agent: SessionAgent, state: AgentState, watermarks: WatermarkStore = agent.watermarks): SessionAgent {
  return new SessionAgent(p, agent.identity, state, watermarks, { limits: agent.limits });
}

/** `state` with every session entry passed through `f`. */
export function mapEntries(state: AgentState, f: (e: SessionEntry, address: string) => SessionEntry): AgentState {
  return { ...state, peers: state.peers.map((x) => ({ ...x, current: f(x.current, x.address), previous: x.previous.map((e) => f(e, x.address)) })) };
}

/** A watermark store that forgets everything: the rollback guard of SESS-011/012 never fires. */
export class ForgetfulWatermarks implements WatermarkStore {
  get(): Watermark | undefined {
    return undefined;
  }
  advance(): void {}
}

/** Runs `fn` with the object `id` temporarily replaced by `stand`, then puts the original back. */
export async function withStandIn<T>(ctx: AreaContext, id: string, stand: SessionAgent, fn: () => T | Promise<T>): Promise<T> {
  const original = agentOf(ctx, id);
  ctx.objects.set(id, AGENT, stand);
  try {
    return await fn();
  } finally {
    ctx.objects.set(id, AGENT, original);
  }
}
