/**
 * agentsec-adapter/1 `session.*` methods of the reference (DESIGN.md "Sessions", spec/session.md
 * SESS-030): agents named by the harness, prekey bundles, X3DH / PQXDH initiation, the Double
 * Ratchet, and export/import as a restart. `peer` is always the other party's name.
 *
 * Per dispatcher (one reference instance) the area keeps a storage key for exported records and
 * one rollback watermark store, both outside any exported state: an import of an old export is a
 * rollback the watermark sees (SESS-011, SESS-012).
 */
import { toHex } from '../reference/bytes.js';
import { AgentsecError } from '../reference/errors.js';
import { exportAgent, importAgent, MemoryWatermarkStore, SessionAgent, type HandshakeKind } from '../reference/session/index.js';
import type { Area, AreaContext } from './area.js';
import type { ObjectTable } from './objects.js';
import { hexParam, optIntParam, strParam } from './params.js';

const KIND = 'agent';
const MAX_PREKEYS = 10_000;
const MAX_NAME = 256;

interface AreaState {
  readonly storageKey: Uint8Array;
  readonly watermarks: MemoryWatermarkStore;
}

const states = new WeakMap<ObjectTable, AreaState>();

function areaState(ctx: AreaContext): AreaState {
  let s = states.get(ctx.objects);
  if (!s) {
    s = { storageKey: ctx.provider.randomBytes(32), watermarks: new MemoryWatermarkStore() };
    states.set(ctx.objects, s);
  }
  return s;
}

function agentParam(p: Record<string, unknown>, ctx: AreaContext): SessionAgent {
  return ctx.objects.get<SessionAgent>(p.agent, KIND);
}

function nameParam(p: Record<string, unknown>, name: string): string {
  const v = strParam(p, name);
  if (v.length === 0 || v.length > MAX_NAME) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" must be 1..${MAX_NAME} characters`);
  return v;
}

export const sessionArea: Area = {
  name: 'session',
  capabilities: () => ({ session: { kinds: ['x3dh', 'pqxdh'], export: true, profile: 'agentsec/1' } }),
  methods: {
    'session.agent': (p, ctx) => {
      nameParam(p, 'name');
      const kind = strParam(p, 'kind');
      if (kind !== 'x3dh' && kind !== 'pqxdh') throw new AgentsecError('unsupported', 'UNKNOWN_KIND', `param "kind": "${kind.slice(0, 20)}" is not x3dh or pqxdh`);
      const count = optIntParam(p, 'one_time_prekeys');
      if (count !== undefined && count > MAX_PREKEYS) throw new AgentsecError('policy_reject', 'BAD_PREKEY_COUNT', `param "one_time_prekeys" must be at most ${MAX_PREKEYS}`);
      const agent = SessionAgent.create(ctx.provider, { kind: kind as HandshakeKind, ...(count !== undefined ? { oneTimePrekeys: count } : {}), watermarks: areaState(ctx).watermarks });
      return { agent: ctx.objects.put(KIND, agent) };
    },
    'session.bundle': (p, ctx) => ({ bundle: toHex(agentParam(p, ctx).bundle()) }),
    'session.initiate': (p, ctx) => {
      const agent = agentParam(p, ctx);
      return { message: toHex(agent.initiate(nameParam(p, 'peer'), hexParam(p, 'bundle'), hexParam(p, 'plaintext'))) };
    },
    'session.encrypt': (p, ctx) => {
      const agent = agentParam(p, ctx);
      return { message: toHex(agent.encrypt(nameParam(p, 'peer'), hexParam(p, 'plaintext'))) };
    },
    'session.decrypt': (p, ctx) => {
      const agent = agentParam(p, ctx);
      return { plaintext: toHex(agent.decrypt(nameParam(p, 'peer'), hexParam(p, 'message'))) };
    },
    'session.export': (p, ctx) => ({ state: toHex(exportAgent(ctx.provider, agentParam(p, ctx), areaState(ctx).storageKey)) }),
    'session.import': (p, ctx) => {
      const s = areaState(ctx);
      const agent = importAgent(ctx.provider, hexParam(p, 'state'), s.storageKey, { watermarks: s.watermarks });
      return { agent: ctx.objects.put(KIND, agent) };
    },
  },
};
