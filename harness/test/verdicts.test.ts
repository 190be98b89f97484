import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conformMain } from '../../cli/conform.js';
import { getProvider } from '../../reference/index.js';
import { startReferenceAdapter } from '../adapters/in-process.js';
import type { TestResult } from '../conform/runner.js';
import { runWithReference } from '../../cli/compose.js';
import type { Adapter, Capabilities, Suite } from '../conform/types.js';
import { sessionSuite } from '../suites/session.js';
import { wrapAdapter, type CallHook } from './fixtures/wrap.js';

const SEED = 4242;
const NO_PROFILE: Capabilities = { session: { kinds: ['x3dh'], export: true } };
const PROFILE: Capabilities = { session: { kinds: ['x3dh'], export: true, profile: 'agentsec/1' } };

async function runOne(id: string, start: () => Promise<Adapter>, strict = false): Promise<TestResult> {
  const r = await runWithReference({ suites: [sessionSuite], only: [id], seed: SEED, quick: true, strict, startIut: start });
  expect(r.tests).toHaveLength(1);
  return r.tests[0]!;
}

const reference = (): Promise<Adapter> => startReferenceAdapter({ provider: getProvider('node') });

/**
 * An implementation whose messages start with a version byte it never checks (like a wire version
 * nibble outside the authenticated data). `onPrefix` sees the byte a decrypt got.
 */
function versionByte(caps: Capabilities, onPrefix?: (prefix: number, params: Record<string, unknown>, inner: Adapter, plaintext: string) => Promise<string>): () => Promise<Adapter> {
  const hook: CallHook = async (method, params, inner) => {
    if (method === 'session.initiate' || method === 'session.encrypt') {
      const r = (await inner.call(method, params)) as { message: string };
      return { message: `a5${r.message}` };
    }
    if (method === 'session.decrypt') {
      const m = String(params.message);
      const r = (await inner.call(method, { ...params, message: m.slice(2) })) as { plaintext: string };
      const prefix = m.length >= 2 ? parseInt(m.slice(0, 2), 16) : 0xa5;
      return { plaintext: onPrefix && prefix !== 0xa5 ? await onPrefix(prefix, params, inner, r.plaintext) : r.plaintext };
    }
    return inner.call(method, params);
  };
  return async () => wrapAdapter(await reference(), caps, hook);
}

describe('verdicts: malleable bytes, strictness, fresh state after accepted corruption, profile scope', () => {
  it('CONF-042 CONF-040: a tampered byte accepted with the genuine plaintext and the genuine state is warn, with its position', async () => {
    const t = await runOne('session/x3dh/initial-tampered', versionByte(NO_PROFILE));
    expect(t.outcome).toBe('warn');
    expect(t.message).toMatch(/byte 0 is malleable/);
  });

  it('CONF-041: --strict makes that warning a failure', async () => {
    const t = await runOne('session/x3dh/initial-tampered', versionByte(NO_PROFILE), true);
    expect(t.outcome).toBe('fail');
    expect(t.message).toMatch(/--strict.*byte 0 is malleable/);
  });

  it('CONF-042: accepted with a different plaintext is a failure', async () => {
    const flipFirst = (prefix: number, _p: Record<string, unknown>, _i: Adapter, pt: string): Promise<string> =>
      Promise.resolve(((parseInt(pt.slice(0, 2), 16) ^ prefix ^ 0xa5) & 0xff).toString(16).padStart(2, '0') + pt.slice(2));
    const t = await runOne('session/x3dh/initial-tampered', versionByte(NO_PROFILE, flipFirst));
    expect(t.outcome).toBe('fail');
    expect(t.message).toMatch(/byte 0 flipped.*different plaintext/);
  });

  it('CONF-042: accepted with the genuine plaintext but a changed state is a failure', async () => {
    // The changed byte makes the receiver hand out a prekey: its state moves on.
    const consume = async (_x: number, p: Record<string, unknown>, inner: Adapter, pt: string): Promise<string> => {
      await inner.call('session.bundle', { agent: p.agent });
      return pt;
    };
    const t = await runOne('session/state-unchanged/tampered-any-byte', versionByte(NO_PROFILE, consume));
    expect(t.outcome, t.message).toBe('fail');
    expect(t.message).toMatch(/byte 0 flipped.*state differs from the state the genuine message gives/);
    // Without the state change the same test only warns.
    const w = await runOne('session/state-unchanged/tampered-any-byte', versionByte(NO_PROFILE));
    expect(w.outcome, w.message).toBe('warn');
    expect(w.message).toMatch(/byte 0 is malleable \(not authenticated\)$/);
  });

  it('CONF-042: under agentsec/1 any accepted tampered byte is a failure', async () => {
    const t = await runOne('session/x3dh/initial-tampered', versionByte(PROFILE));
    expect(t.outcome).toBe('fail');
    expect(t.message).toMatch(/every message byte is authenticated/);
  });

  it('CONF-043: bundle corruption goes on with a fresh responder after an accepted (harmless) corruption', async () => {
    // Bytes 0 and 1 of a bundle carry nothing here: the implementation ignores them, so both
    // corruptions are accepted and delivered; the second must not be judged against the one-time
    // prekey the first consumed.
    const genuine = new Map<string, string>();
    const hook: CallHook = async (method, params, inner) => {
      if (method === 'session.bundle') {
        const r = (await inner.call(method, params)) as { bundle: string };
        genuine.set(r.bundle.slice(4), r.bundle);
        return r;
      }
      if (method === 'session.initiate') {
        const b = String(params.bundle);
        const repaired = genuine.get(b.slice(4));
        return inner.call(method, { ...params, bundle: repaired ?? b });
      }
      return inner.call(method, params);
    };
    const t = await runOne('session/x3dh/bundle-corruption', async () => wrapAdapter(await reference(), NO_PROFILE, hook));
    expect(t.outcome, t.message).toBe('pass');
    expect(t.log).toMatch(/2 accepted and working/);
  });

  it('CONF-044: a key reused after a restore is a failure under agentsec/1 and a warning elsewhere', async () => {
    // An implementation without rollback protection: after importing an older export it sends
    // again under the message keys it already used (replayed here from what it sent before).
    const keyReuse = (caps: Capabilities) => async (): Promise<Adapter> => {
      const sentSince = new Map<string, string[]>(); // agent id -> messages sent since its last export
      const byExport = new Map<string, string[]>(); // exported state -> messages sent after it
      const replay = new Map<string, string[]>(); // imported agent id -> messages to send again
      const hook: CallHook = async (method, params, inner) => {
        const agent = String(params.agent);
        if (method === 'session.export') {
          const r = (await inner.call(method, params)) as { state: unknown };
          const list: string[] = [];
          sentSince.set(agent, list);
          byExport.set(JSON.stringify(r.state), list);
          return r;
        }
        if (method === 'session.import') {
          const r = (await inner.call(method, params)) as { agent: string };
          replay.set(r.agent, [...(byExport.get(JSON.stringify(params.state)) ?? [])]);
          return r;
        }
        if (method === 'session.encrypt') {
          const again = replay.get(agent)?.shift();
          if (again !== undefined) return { message: again };
          const r = (await inner.call(method, params)) as { message: string };
          sentSince.get(agent)?.push(r.message);
          return r;
        }
        return inner.call(method, params);
      };
      return wrapAdapter(await reference(), caps, hook);
    };
    const elsewhere = await runOne('session/restart/rollback-no-key-reuse', keyReuse(NO_PROFILE));
    expect(elsewhere.outcome).toBe('warn');
    expect(elsewhere.message).toMatch(/reused an already-used message key.*a failure under agentsec\/1/);
    const profile = await runOne('session/restart/rollback-no-key-reuse', keyReuse(PROFILE));
    expect(profile.outcome).toBe('fail');
    expect(profile.message).toMatch(/reused an already-used message key/);
  });

  it('CONF-041 CONF-040: from the CLI a warning keeps exit 0; with --strict it fails and the reproduction line carries --strict', async () => {
    const warnSuite: Suite = { name: 'w', description: '', tests: () => [{ id: 'w/malleable', reqs: ['CONF-040'], run: async (ctx) => ctx.warn('byte 3 is malleable') }] };
    for (const strict of [false, true]) {
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`), tty: false };
      const dir = mkdtempSync(join(tmpdir(), 'agentsec-verdicts-'));
      const code = await conformMain(['--seed', '1', '--report', dir, ...(strict ? ['--strict'] : [])], io, [warnSuite]);
      if (strict) {
        expect(code).toBe(1);
        expect(lines.join('\n')).toMatch(/FAIL w\/malleable: warning treated as a failure \(--strict\): byte 3 is malleable/);
        expect(lines.find((l) => l.includes('reproduce:'))).toMatch(/--strict/);
      } else {
        expect(code).toBe(0);
        expect(lines.join('\n')).toMatch(/1 warning\(s\) \(--strict makes them failures\)/);
      }
    }
  });

  it('SESS-032: a changed identity key is judged against the claimed trust policy', async () => {
    const pin = await runOne('session/x3dh/identity-changed', async () => wrapAdapter(await reference(), { session: { ...NO_PROFILE.session!, identity_policy: 'pin' } }));
    expect(pin.outcome, pin.message).toBe('pass');
    // The reference refuses: claiming "surface" (accept and report) is then a failure.
    const surface = await runOne('session/x3dh/identity-changed', async () => wrapAdapter(await reference(), { session: { ...NO_PROFILE.session!, identity_policy: 'surface' } }));
    expect(surface.outcome).toBe('fail');
    expect(surface.message).toMatch(/claims identity_policy "surface"/);
  });
});
