/**
 * agentsec-adapter/1 `session.*` methods of the reference (spec/adapter-protocol.md, spec/session.md
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
import { agentFromKeys, fixedParam, ScriptedProvider } from './session-fixed.js';

const KIND = 'agent';
const MAX_PREKEYS = 10_000;
const MAX_NAME = 256;

interface AreaState {
  readonly storageKey: Uint8Array;
  readonly watermarks: MemoryWatermarkStore;
}

const states = new WeakMap<ObjectTable, AreaState>();
/** The provider each agent runs on: the adapter's, with the fixed randomness a call may give. */
const scripts = new WeakMap<SessionAgent, ScriptedProvider>();

function put(ctx: AreaContext, agent: SessionAgent, script: ScriptedProvider): { agent: string } {
  scripts.set(agent, script);
  return { agent: ctx.objects.put(KIND, agent) };
}

/** Runs a call on the agent with the randomness `params.fixed` gives (SESS-031). */
function withFixed<T>(p: Record<string, unknown>, agent: SessionAgent, f: () => T): T {
  const fixed = fixedParam(p);
  const script = scripts.get(agent);
  if (fixed && !script) throw new AgentsecError('internal', 'NO_SCRIPT', 'agent without a scripted provider');
  return script ? script.run(fixed, f) : f();
}

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

/** Optional receive limits (`max_skip`, `max_skipped_keys`): the trace replay runs the model's small ones. */
function limitsParam(p: Record<string, unknown>): { limits?: { maxSkip: number; maxSkippedKeys: number } } {
  const maxSkip = optIntParam(p, 'max_skip');
  const maxSkippedKeys = optIntParam(p, 'max_skipped_keys');
  if (maxSkip === undefined && maxSkippedKeys === undefined) return {};
  if (maxSkip === undefined || maxSkippedKeys === undefined) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'params "max_skip" and "max_skipped_keys" go together');
  return { limits: { maxSkip, maxSkippedKeys } };
}

/** Optional `max_replay_digests` (X3DH-021): the reference honours 1..MAX_REMEMBERED_BASE_KEYS and refuses others (BAD_LIMIT). */
function replayBoundParam(p: Record<string, unknown>): { maxReplayDigests?: number } {
  const n = optIntParam(p, 'max_replay_digests');
  return n === undefined ? {} : { maxReplayDigests: n };
}

function nameParam(p: Record<string, unknown>, name: string): string {
  const v = strParam(p, name);
  if (v.length === 0 || v.length > MAX_NAME) throw new AgentsecError('decode_failure', 'BAD_PARAM', `param "${name}" must be 1..${MAX_NAME} characters`);
  return v;
}

export const sessionArea: Area = {
  name: 'session',
  capabilities: () => ({ session: { kinds: ['x3dh', 'pqxdh'], export: true, profile: 'agentsec/1', fixed_randomness: true, identity_policy: 'pin' } }),
  methods: {
    'session.agent': (p, ctx) => {
      nameParam(p, 'name');
      const kind = strParam(p, 'kind');
      if (kind !== 'x3dh' && kind !== 'pqxdh') throw new AgentsecError('unsupported', 'UNKNOWN_KIND', `param "kind": "${kind.slice(0, 20)}" is not x3dh or pqxdh`);
      const count = optIntParam(p, 'one_time_prekeys');
      if (count !== undefined && count > MAX_PREKEYS) throw new AgentsecError('policy_reject', 'BAD_PREKEY_COUNT', `param "one_time_prekeys" must be at most ${MAX_PREKEYS}`);
      const script = new ScriptedProvider(ctx.provider);
      const keys = p.keys;
      if (keys !== undefined && keys !== null) {
        // @req SESS-031
        if (typeof keys !== 'object' || Array.isArray(keys)) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'param "keys" must be an object');
        return put(ctx, agentFromKeys(script.provider, kind as HandshakeKind, keys as Record<string, unknown>, areaState(ctx).watermarks), script);
      }
      const agent = SessionAgent.create(script.provider, { kind: kind as HandshakeKind, ...(count !== undefined ? { oneTimePrekeys: count } : {}), watermarks: areaState(ctx).watermarks, ...limitsParam(p), ...replayBoundParam(p) });
      return put(ctx, agent, script);
    },
    'session.bundle': (p, ctx) => ({ bundle: toHex(agentParam(p, ctx).bundle()) }),
    'session.initiate': (p, ctx) => {
      const agent = agentParam(p, ctx);
      const [peer, bundle, plaintext] = [nameParam(p, 'peer'), hexParam(p, 'bundle'), hexParam(p, 'plaintext')];
      return { message: toHex(withFixed(p, agent, () => agent.initiate(peer, bundle, plaintext))) };
    },
    'session.encrypt': (p, ctx) => {
      const agent = agentParam(p, ctx);
      const [peer, plaintext] = [nameParam(p, 'peer'), hexParam(p, 'plaintext')];
      return { message: toHex(withFixed(p, agent, () => agent.encrypt(peer, plaintext))) };
    },
    'session.decrypt': (p, ctx) => {
      const agent = agentParam(p, ctx);
      const [peer, message] = [nameParam(p, 'peer'), hexParam(p, 'message')];
      return { plaintext: toHex(withFixed(p, agent, () => agent.decrypt(peer, message))) };
    },
    // @req MODEL-050
    'session.state': (p, ctx) => {
      const c = agentParam(p, ctx).counters(nameParam(p, 'peer'));
      return { ns: c.ns, nr: c.nr, pn: c.pn, epoch: c.epoch, skipped: c.skipped };
    },
    'session.export': (p, ctx) => ({ state: toHex(exportAgent(ctx.provider, agentParam(p, ctx), areaState(ctx).storageKey)) }),
    'session.import': (p, ctx) => {
      const s = areaState(ctx);
      const script = new ScriptedProvider(ctx.provider);
      const agent = importAgent(script.provider, hexParam(p, 'state'), s.storageKey, { watermarks: s.watermarks, ...limitsParam(p), ...replayBoundParam(p) });
      return put(ctx, agent, script);
    },
  },
};
