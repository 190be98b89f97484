/**
 * Coverage of the trace corpus (spec/models.md MODEL-053): the (action x outcome) pairs the MODEL
 * requirements name, each a predicate over one step of a trace (the state before, the state after).
 * A pair is witnessed when some step of some committed trace satisfies it; the corpus generator picks
 * traces to witness every pair, and `spec check` fails when one has no witness.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** ITF values as plain data: ints as numbers, maps as Map, sets and tuples as arrays. */
export type Plain = number | string | boolean | Plain[] | Map<Plain, Plain> | { [k: string]: Plain };

export function plain(v: unknown): Plain {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map(plain);
  const o = v as Record<string, unknown>;
  if ('#bigint' in o) return Number(o['#bigint']);
  if ('#map' in o) return new Map((o['#map'] as unknown[][]).map(([k, x]) => [plain(k), plain(x)]));
  if ('#set' in o) return (o['#set'] as unknown[]).map(plain);
  if ('#tup' in o) return (o['#tup'] as unknown[]).map(plain);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
}

// Loose accessors: a predicate over a malformed step is simply false.
type S = Record<string, Plain>;
const r = (v: Plain | undefined): S => (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) ? (v as S) : {});
const m = (v: Plain | undefined): Map<Plain, Plain> => (v instanceof Map ? v : new Map());
const l = (v: Plain | undefined): Plain[] => (Array.isArray(v) ? v : []);
const last = (s: S) => r(s.last);

export interface Pair {
  /** "action/outcome: situation" */
  name: string;
  /** The requirement that names it. */
  req: string;
  holds(before: S, after: S): boolean;
}

const is = (kind: string, outcome: string) => (s: S) => last(s).kind === kind && last(s).outcome === outcome;

// ---- noise_handshake ----
const party = (s: S, role: Plain | undefined) => r(m(s.parties).get(role as Plain));
const nmsg = (s: S) => r(l(s.sent)[last(s).msg as number]);
const noiseReadInTransport = (b: S, a: S) => last(a).kind === 'read' && party(b, last(a).party).phase === 'transport' && nmsg(a).handshake === false;
const acceptedBefore = (b: S, a: S) => l(m(b.accepted).get(last(a).party as Plain)).includes(last(a).msg as Plain);

const NOISE: Pair[] = [
  { name: 'write/ok: handshake message', req: 'MODEL-012', holds: (b, a) => is('write', 'ok')(a) && nmsg(a).handshake === true },
  { name: 'write/ok: transport message', req: 'MODEL-010', holds: (b, a) => is('write', 'ok')(a) && nmsg(a).handshake === false },
  { name: 'write/state_failure: out of turn', req: 'MODEL-012', holds: (b, a) => is('write', 'state_failure')(a) && party(b, last(a).party).phase === 'handshake' },
  { name: 'write/state_failure: the reserved nonce', req: 'MODEL-011', holds: (b, a) => is('write', 'state_failure')(a) && party(b, last(a).party).phase === 'transport' },
  { name: 'write/state_failure: failed handshake', req: 'MODEL-013', holds: (b, a) => is('write', 'state_failure')(a) && party(b, last(a).party).phase === 'failed' },
  { name: 'read/ok: handshake message', req: 'MODEL-012', holds: (b, a) => is('read', 'ok')(a) && nmsg(a).handshake === true },
  { name: 'read/ok: transport message', req: 'MODEL-019', holds: (b, a) => is('read', 'ok')(a) && nmsg(a).handshake === false },
  { name: 'read/auth_failure: handshake ends (failed)', req: 'MODEL-017', holds: (b, a) => is('read', 'auth_failure')(a) && party(a, last(a).party).phase === 'failed' && party(b, last(a).party).phase === 'handshake' },
  { name: 'read/state_failure: failed handshake', req: 'MODEL-013', holds: (b, a) => is('read', 'state_failure')(a) && party(b, last(a).party).phase === 'failed' },
  { name: 'read/auth_failure: tampered transport message', req: 'MODEL-015', holds: (b, a) => is('read', 'auth_failure')(a) && last(a).tampered === true && noiseReadInTransport(b, a) },
  { name: 'read/auth_failure: replayed transport message', req: 'MODEL-018', holds: (b, a) => is('read', 'auth_failure')(a) && last(a).tampered === false && noiseReadInTransport(b, a) && acceptedBefore(b, a) },
  { name: 'read/auth_failure: transport message ahead (reordered or after a loss)', req: 'MODEL-018', holds: (b, a) => is('read', 'auth_failure')(a) && last(a).tampered === false && noiseReadInTransport(b, a) && (nmsg(a).nonce as number) > (party(b, last(a).party).recvNonce as number) },
  { name: 'read/auth_failure: message under the key before REKEY', req: 'MODEL-060', holds: (b, a) => is('read', 'auth_failure')(a) && last(a).tampered === false && noiseReadInTransport(b, a) && nmsg(a).key !== party(b, last(a).party).recvKey && nmsg(a).nonce === party(b, last(a).party).recvNonce },
  { name: 'read/state_failure: receiver at the reserved nonce', req: 'MODEL-011', holds: (b, a) => is('read', 'state_failure')(a) && party(b, last(a).party).phase === 'transport' },
  { name: 'rekey/ok', req: 'MODEL-060', holds: (b, a) => (is('rekey-send', 'ok')(a) || is('rekey-recv', 'ok')(a)) },
  { name: 'rekey/state_failure: before transport', req: 'MODEL-060', holds: (b, a) => is('rekey-send', 'state_failure')(a) || is('rekey-recv', 'state_failure')(a) },
];

// ---- double_ratchet ----
const agent = (s: S, name: Plain | undefined) => r(m(s.agents).get(name as Plain));
const dmsg = (s: S) => r(l(s.sent)[last(s).msg as number]);
const skippedHas = (ag: S, dh: Plain | undefined, n: Plain | undefined) => l(ag.skipped).some((k) => l(k)[0] === dh && l(k)[1] === n);
const deliver = (outcome: string) => is('deliver', outcome);

const RATCHET: Pair[] = [
  { name: 'initiate/ok', req: 'MODEL-023', holds: (b, a) => is('initiate', 'ok')(a) },
  { name: 'encrypt/ok', req: 'MODEL-023', holds: (b, a) => is('encrypt', 'ok')(a) },
  { name: 'encrypt/state_failure: no session', req: 'MODEL-023', holds: (b, a) => is('encrypt', 'state_failure')(a) && agent(b, last(a).agent).active === false },
  { name: 'encrypt/state_failure: rolled back to an older chain', req: 'MODEL-027', holds: (b, a) => is('encrypt', 'state_failure')(a) && agent(b, last(a).agent).active === true },
  { name: 'encrypt/ok: rolled back on its chain, skips past the watermark', req: 'MODEL-027', holds: (b, a) => is('encrypt', 'ok')(a) && (dmsg(a).n as number) > (agent(b, last(a).agent).ns as number) },
  { name: 'deliver/ok: starts the session', req: 'MODEL-024', holds: (b, a) => deliver('ok')(a) && agent(b, last(a).agent).active === false },
  { name: 'deliver/ok: next in its chain', req: 'MODEL-024', holds: (b, a) => deliver('ok')(a) && agent(b, last(a).agent).dhr === dmsg(a).dh && agent(b, last(a).agent).nr === dmsg(a).n },
  { name: 'deliver/ok: with a skipped key (out of order)', req: 'MODEL-024', holds: (b, a) => deliver('ok')(a) && agent(b, last(a).agent).active === true && skippedHas(agent(b, last(a).agent), dmsg(a).dh, dmsg(a).n) && agent(b, last(a).agent).dhr === dmsg(a).dh },
  { name: 'deliver/ok: previous chain after a DH ratchet step', req: 'MODEL-024', holds: (b, a) => deliver('ok')(a) && agent(b, last(a).agent).active === true && (dmsg(a).dh as number) < (agent(b, last(a).agent).dhr as number) },
  { name: 'deliver/ok: DH ratchet step', req: 'MODEL-024', holds: (b, a) => deliver('ok')(a) && agent(b, last(a).agent).active === true && (dmsg(a).dh as number) > (agent(b, last(a).agent).dhr as number) },
  { name: 'deliver/ok: DH ratchet step closing a chain rolled back on (PN from the watermark)', req: 'MODEL-024', holds: (b, a) => deliver('ok')(a) && agent(b, last(a).agent).active === true && (dmsg(a).dh as number) > (agent(b, last(a).agent).dhr as number) && (agent(a, last(a).agent).pn as number) > (agent(b, last(a).agent).ns as number) },
  { name: 'deliver/duplicate: replay', req: 'MODEL-020', holds: (b, a) => deliver('duplicate')(a) && last(a).tampered === false },
  { name: 'deliver/auth_failure: tampered', req: 'MODEL-021', holds: (b, a) => deliver('auth_failure')(a) },
  { name: 'deliver/policy_reject: beyond MAX_SKIP', req: 'MODEL-025', holds: (b, a) => deliver('policy_reject')(a) },
  { name: 'deliver/state_failure: key evicted', req: 'MODEL-026', holds: (b, a) => deliver('state_failure')(a) && agent(b, last(a).agent).active === true },
  { name: 'restart/ok', req: 'MODEL-023', holds: (b, a) => is('restart', 'ok')(a) },
  { name: 'rollback/ok: to an older state', req: 'MODEL-027', holds: (b, a) => is('rollback', 'ok')(a) && JSON.stringify(agent(a, last(a).agent), rep) !== JSON.stringify(agent(b, last(a).agent), rep) },
];

function rep(_k: string, v: unknown): unknown {
  return v instanceof Map ? [...v.entries()] : v;
}

// ---- envelope_lifecycle ----
const env = (s: S, id: Plain | undefined) => r(l(s.envs)[id as number]);
const retired = (s: S, v: Plain | undefined) => r(m(s.versions).get(v as Plain)).retired === true;

const ENVELOPE: Pair[] = [
  { name: 'seal/ok', req: 'MODEL-033', holds: (b, a) => is('seal', 'ok')(a) },
  { name: 'rotate/ok', req: 'MODEL-030', holds: (b, a) => is('rotate', 'ok')(a) },
  { name: 'rewrap/ok: to the current version', req: 'MODEL-035', holds: (b, a) => is('rewrap', 'ok')(a) && last(a).result !== last(a).env },
  { name: 'rewrap/ok: already current, unchanged', req: 'MODEL-035', holds: (b, a) => is('rewrap', 'ok')(a) && last(a).result === last(a).env },
  { name: 'rewrap/state_failure: retired version', req: 'MODEL-032', holds: (b, a) => is('rewrap', 'state_failure')(a) },
  { name: 'open/ok', req: 'MODEL-033', holds: (b, a) => is('open', 'ok')(a) },
  { name: 'open/ok: after a rewrap and the old version retired', req: 'MODEL-031', holds: (b, a) => is('open', 'ok')(a) && [...m(a.versions).values()].some((v) => r(v).retired === true) },
  { name: 'open/auth_failure: another context', req: 'MODEL-034', holds: (b, a) => is('open', 'auth_failure')(a) && last(a).ctx !== env(a, last(a).env).ctx },
  { name: 'open/auth_failure: tampered', req: 'MODEL-034', holds: (b, a) => is('open', 'auth_failure')(a) && last(a).tampered === true && last(a).ctx === env(a, last(a).env).ctx },
  { name: 'open/state_failure: retired version', req: 'MODEL-032', holds: (b, a) => is('open', 'state_failure')(a) && retired(a, env(a, last(a).env).version) },
  { name: 'retire/ok', req: 'MODEL-036', holds: (b, a) => is('retire', 'ok')(a) },
  { name: 'retire/policy_reject: the current version', req: 'MODEL-030', holds: (b, a) => is('retire', 'policy_reject')(a) },
];

// ---- x3dh_prekeys ----
const pmsg = (s: S) => r(l(s.sent)[last(s).msg as number]);
const pk = (s: S) => r(s.pk);
const pkDeliver = (outcome: string) => is('deliver', outcome);

const PREKEYS: Pair[] = [
  { name: 'publish/ok: with a one-time prekey', req: 'MODEL-076', holds: (b, a) => is('publish', 'ok')(a) && (r(l(a.bundles)[last(a).msg as number]).opk as number) >= 0 },
  { name: 'publish/ok: none left', req: 'MODEL-076', holds: (b, a) => is('publish', 'ok')(a) && (r(l(a.bundles)[last(a).msg as number]).opk as number) < 0 },
  { name: 'publish-reusable/ok', req: 'MODEL-076', holds: (b, a) => is('publish-reusable', 'ok')(a) },
  { name: 'deliver/ok: with a one-time prekey', req: 'MODEL-077', holds: (b, a) => pkDeliver('ok')(a) && (pmsg(a).opk as number) >= 0 },
  { name: 'deliver/ok: without one (replay digest kept)', req: 'MODEL-077', holds: (b, a) => pkDeliver('ok')(a) && (pmsg(a).opk as number) < 0 },
  { name: 'deliver/ok: under a replaced signed prekey in its grace period', req: 'MODEL-073', holds: (b, a) => pkDeliver('ok')(a) && pmsg(a).spk !== pk(b).spk },
  { name: 'deliver/ok: through a relay', req: 'MODEL-077', holds: (b, a) => pkDeliver('ok')(a) && last(a).relay === true },
  { name: 'deliver/duplicate: its session exists', req: 'MODEL-072', holds: (b, a) => pkDeliver('duplicate')(a) && last(a).relay === false && l(b.sessions).includes(last(a).msg as Plain) },
  { name: 'deliver/duplicate: one-time prekey used', req: 'MODEL-070', holds: (b, a) => pkDeliver('duplicate')(a) && (pmsg(a).opk as number) >= 0 && !l(pk(b).opks).includes(pmsg(a).opk as Plain) && !(last(a).relay === false && l(b.sessions).includes(last(a).msg as Plain)) },
  { name: 'deliver/duplicate: replay digest (through a relay)', req: 'MODEL-072', holds: (b, a) => pkDeliver('duplicate')(a) && (pmsg(a).opk as number) < 0 && last(a).relay === true },
  { name: 'deliver/state_failure: signed prekey past its grace period', req: 'MODEL-073', holds: (b, a) => pkDeliver('state_failure')(a) },
  { name: 'deliver/policy_reject: replay digests full', req: 'MODEL-074', holds: (b, a) => pkDeliver('policy_reject')(a) },
  { name: 'deliver/auth_failure: tampered', req: 'MODEL-075', holds: (b, a) => pkDeliver('auth_failure')(a) },
  { name: 'rotate/ok', req: 'MODEL-073', holds: (b, a) => is('rotate', 'ok')(a) },
  { name: 'prune/ok: drops a replaced signed prekey', req: 'MODEL-073', holds: (b, a) => is('prune', 'ok')(a) && l(pk(a).retired).length < l(pk(b).retired).length },
  { name: 'replenish/ok', req: 'MODEL-076', holds: (b, a) => is('replenish', 'ok')(a) },
];

export const REQUIRED_PAIRS: Readonly<Record<string, readonly Pair[]>> = {
  noise_handshake: NOISE,
  double_ratchet: RATCHET,
  envelope_lifecycle: ENVELOPE,
  x3dh_prekeys: PREKEYS,
};

/** Models whose traces live in a subfolder of the corpus (replayed against the reference API only). */
export const CORPUS_SUBDIR: Readonly<Record<string, string>> = { x3dh_prekeys: 'api' };

/** The pairs one trace (raw ITF text) witnesses. */
export function pairsOf(model: string, text: string): Set<string> {
  const states = (JSON.parse(text) as { states: unknown[] }).states.map((s) => plain(s) as S);
  const out = new Set<string>();
  for (const p of REQUIRED_PAIRS[model] ?? []) {
    for (let i = 1; i < states.length; i++) if (p.holds(states[i - 1]!, states[i]!)) {
      out.add(p.name);
      break;
    }
  }
  return out;
}

export interface CoverageRow {
  model: string;
  pair: string;
  req: string;
  /** Traces witnessing it. */
  traces: string[];
}

/** Coverage of the committed corpus: one row per required pair. */
export function corpusCoverage(traceDir: string): CoverageRow[] {
  const rows: CoverageRow[] = [];
  for (const [model, pairs] of Object.entries(REQUIRED_PAIRS)) {
    const dir = join(traceDir, CORPUS_SUBDIR[model] ?? '');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.itf.json')).sort() : [];
    const seen = new Map<string, string[]>();
    for (const f of files.filter((x) => x.startsWith(`${model}-`))) {
      for (const name of pairsOf(model, readFileSync(join(dir, f), 'utf8'))) seen.set(name, [...(seen.get(name) ?? []), f]);
    }
    for (const p of pairs) rows.push({ model, pair: p.name, req: p.req, traces: seen.get(p.name) ?? [] });
  }
  return rows;
}

export function renderCoverage(rows: readonly CoverageRow[]): string {
  const w = Math.max(...rows.map((x) => x.model.length + x.pair.length + 2));
  return rows.map((x) => `${`${x.model}  ${x.pair}`.padEnd(w)}  ${x.req}  ${x.traces.length === 0 ? 'NO WITNESS' : `${x.traces.length} trace${x.traces.length === 1 ? '' : 's'} (${x.traces[0]!.replace(/\.itf\.json$/, '')}${x.traces.length > 1 ? ', ...' : ''})`}`).join('\n');
}
