import { describe, expect, it } from 'vitest';
import { AgentsecError, createSampler, createScrubbingLogger, defaultSecurityConfig, deterministicRandomForTestingOnly, pruneExpired, toHex, type LogRecord } from '../index.js';

const KEY = deterministicRandomForTestingOnly('observability-logger')(32);
const HEX = toHex(KEY);
const T0 = Date.UTC(2026, 0, 1);

function withConfig(observability: Record<string, unknown>, storage: Record<string, unknown> = {}): unknown {
  return { observability: { ...defaultSecurityConfig.observability, ...observability }, storage: { ...defaultSecurityConfig.storage, ...storage } };
}

function capture(config: unknown = defaultSecurityConfig, options = {}): { records: LogRecord[]; log: ReturnType<typeof createScrubbingLogger> } {
  const records: LogRecord[] = [];
  const log = createScrubbingLogger(config, (r) => records.push(r), { now: () => T0, ...options });
  return { records, log };
}

describe('createScrubbingLogger', () => {
  it('OBS-001: records reach the sink with routing metadata stripped and key material redacted', () => {
    const { records, log } = capture();
    log.info(`handshake done ${HEX}`, { peer_id: 'did:key:z6Mk', session: { routing_hint: 'r', message_type: 'init', n: 3 }, key: KEY });
    expect(records).toEqual([
      { ts: '2026-01-01T00:00:00.000Z', expires: '2026-01-31T00:00:00.000Z', level: 'info', event: 'handshake done [redacted hex 64 chars]', attrs: { session: { n: 3 }, key: '[redacted 32 bytes]' } },
    ]);
  });

  it('OBS-001: stripRoutingHeaders false keeps routing fields (values still redacted); extra names are honoured', () => {
    const { records, log } = capture(withConfig({ stripRoutingHeaders: false }));
    log.info('e', { peer_id: 'p1', routing_hint: HEX });
    expect(records[0]!.attrs).toEqual({ peer_id: 'p1', routing_hint: '[redacted hex 64 chars]' });
    const extra = capture(defaultSecurityConfig, { extraRoutingFields: ['relay_id'] });
    extra.log.warn('e', { relay: { relayId: 'r9', ok: true } });
    expect(extra.records[0]!.attrs).toEqual({ relay: { ok: true } });
  });

  it('OBS-002: storage.metadataScrubbing decides whether envelope metadata is logged', () => {
    const on = capture();
    on.log.info('seal', { encryption_context: { tenant: 'acme' }, bytes: 10 });
    expect(on.records[0]!.attrs).toEqual({ bytes: 10 });
    const off = capture(withConfig({}, { metadataScrubbing: false }));
    off.log.info('seal', { encryption_context: { tenant: 'acme' } });
    expect(off.records[0]!.attrs).toEqual({ encryption_context: { tenant: 'acme' } });
  });

  it('OBS-008: high-frequency events are kept at exactly the configured rate, the same ones every run', () => {
    const run = (): number[] => {
      const kept: number[] = [];
      const log = createScrubbingLogger(withConfig({ sampleHighFrequency: 0.25 }), (r) => kept.push(r.attrs.i as number), { now: () => T0 });
      for (let i = 0; i < 100; i++) log.frequent('frame', { i });
      expect(log.stats()).toEqual({ emitted: 25, sampledOut: 75, sinkErrors: 0 });
      return kept;
    };
    const a = run();
    expect(a).toHaveLength(25);
    expect(a).toEqual(run());
    expect(a.slice(0, 3)).toEqual([3, 7, 11]);
  });

  it('OBS-008: counters are per event name, rate 0 and 1 are exact, warnings/errors are never sampled, sample_rate is recorded', () => {
    const { records, log } = capture(withConfig({ sampleHighFrequency: 0.5 }));
    for (let i = 0; i < 4; i++) {
      log.frequent('a');
      log.frequent('b');
    }
    expect(records.map((r) => r.event)).toEqual(['a', 'b', 'a', 'b']);
    expect(records.every((r) => r.sample_rate === 0.5)).toBe(true);
    log.frequent('a', {}, 'error');
    log.frequent('a', {}, 'warn');
    expect(records.slice(4).map((r) => [r.level, r.sample_rate])).toEqual([['error', undefined], ['warn', undefined]]);
    const none = capture(withConfig({ sampleHighFrequency: 0 }));
    const all = capture(withConfig({ sampleHighFrequency: 1 }));
    for (let i = 0; i < 50; i++) {
      none.log.frequent('x');
      all.log.frequent('x');
    }
    expect([none.records.length, all.records.length]).toEqual([0, 50]);
  });

  it('OBS-008: an injected random source replaces the counter', () => {
    const values = [0.05, 0.5, 0.09, 0.1, 0.0];
    let i = 0;
    const { records, log } = capture(defaultSecurityConfig, { random: () => values[i++ % values.length]! });
    for (let k = 0; k < 5; k++) log.frequent('x', { k });
    expect(records.map((r) => r.attrs.k)).toEqual([0, 2, 4]);
    expect(() => createSampler(1.5)).toThrow(AgentsecError);
    expect(() => createSampler(NaN)).toThrow(/from 0 to 1/);
  });

  it('OBS-010: the configuration is validated; a bad one is refused naming the field', () => {
    const refuse = (cfg: unknown): AgentsecError => {
      try {
        createScrubbingLogger(cfg, () => {});
      } catch (e) {
        return e as AgentsecError;
      }
      throw new Error('accepted');
    };
    expect(refuse(withConfig({ sampleHighFrequency: 2 }))).toMatchObject({ kind: 'policy_reject', message: expect.stringContaining('observability.sampleHighFrequency') });
    expect(refuse(withConfig({ logRetentionDays: 0 })).message).toContain('observability.logRetentionDays');
    expect(refuse(withConfig({ stripRoutingHeadrs: true })).message).toContain('did you mean observability.stripRoutingHeaders');
    expect(refuse(withConfig({ stripRoutingHeaders: 'yes' })).kind).toBe('decode_failure');
    expect(() => createScrubbingLogger(defaultSecurityConfig, () => {}, { extraRoutingFields: ['ok', ''] })).toThrow(/extraRoutingFields/);
    expect(() => createScrubbingLogger(defaultSecurityConfig, 'sink' as never)).toThrow(AgentsecError);
  });

  it('OBS-011: records expire after logRetentionDays and pruneExpired drops them', () => {
    let now = T0;
    const records: LogRecord[] = [];
    const log = createScrubbingLogger(withConfig({ logRetentionDays: 7 }), (r) => records.push(r), { now: () => now });
    log.info('old');
    now = T0 + 3 * 86_400_000;
    log.info('new');
    expect(records[0]!.expires).toBe('2026-01-08T00:00:00.000Z');
    expect(pruneExpired(records, T0 + 7 * 86_400_000).map((r) => r.event)).toEqual(['new']);
    expect(pruneExpired(records, T0 + 7 * 86_400_000 - 1)).toHaveLength(2);
    expect(pruneExpired([{ expires: 'garbage' }], T0)).toEqual([]);
    expect(records).toHaveLength(2);
  });

  it('OBS-006: a throwing sink or hostile attributes never throw into the caller', () => {
    const log = createScrubbingLogger(defaultSecurityConfig, () => {
      throw new Error('disk full');
    });
    const cyc: Record<string, unknown> = {};
    cyc.cyc = cyc;
    expect(() => log.error('x', cyc)).not.toThrow();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(() => log.info('x', proxy)).not.toThrow();
    expect(() => log.info(undefined as never, 5)).not.toThrow();
    expect(log.stats().sinkErrors).toBe(3);
    const { records, log: ok } = capture();
    ok.info('x', proxy);
    ok.info('y', 5);
    ok.log('bogus' as never, 'z');
    expect(records.map((r) => [r.level, r.attrs])).toEqual([['info', { value: '[unreadable]' }], ['info', { value: 5 }], ['info', {}]]);
  });

  it('OBS-021: lines are pino JSON with no host metadata, and the pino instance and its children scrub the same way', () => {
    const lines: string[] = [];
    const log = createScrubbingLogger(defaultSecurityConfig, { write: (l: string) => void lines.push(l) }, { now: () => T0 });
    log.warn('rotated', { peer_id: 'did:key:z6Mk', n: 1 });
    log.pino.child({ component: 'directory', peer_id: 'did:key:z6Mk' }).info({ attrs: { routing_hint: 'x', key: KEY, ok: true } }, 'child event');
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toEqual({ level: 'warn', ts: '2026-01-01T00:00:00.000Z', expires: '2026-01-31T00:00:00.000Z', attrs: { n: 1 }, event: 'rotated' });
    expect(b!.attrs).toEqual({ key: '[redacted 32 bytes]', ok: true });
    expect(b!.event).toBe('child event');
    expect(b!.component).toBe('directory');
    for (const l of lines) expect(l).not.toMatch(/hostname|"pid"|did:key|routing_hint/);
    expect(lines.join('')).not.toContain(HEX);
  });
});
