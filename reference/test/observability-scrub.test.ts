import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inspect } from 'node:util';
import { DEFAULT_SCRUB_POLICY, makeScrubPolicy, redactString, scrubAttributes, scrubValue, SCRUB_LIMITS } from '../index.js';
import { deterministicRandomForTestingOnly, toHex } from '../index.js';

const rnd = deterministicRandomForTestingOnly('observability-scrub');
const KEY = rnd(32);
const HEX = toHex(KEY);
const B64 = Buffer.from(KEY).toString('base64');
const B64URL = Buffer.from(KEY).toString('base64url');

/** Every form a 32-byte secret could take in text. */
function leaks(text: string): boolean {
  return text.includes(HEX) || text.includes(HEX.toUpperCase()) || text.includes(B64.replace(/=+$/, '')) || text.includes(B64URL);
}

describe('routing metadata', () => {
  it('OBS-001: strips peer_id, routing_hint, message_type at any depth, in any spelling', () => {
    const input = {
      peer_id: 'p1',
      event: { routingHint: 'relay-7', nested: [{ 'Message-Type': 'ratchet', keep: 1 }, { 'X-Peer-Id': 'p2' }] },
      deep: { a: { b: { c: { d: { message_type: 'init', other: 'ok' } } } } },
    };
    const out = JSON.stringify(scrubValue(input));
    for (const s of ['p1', 'p2', 'relay-7', 'ratchet', 'init', 'peer', 'routing', 'essage']) expect(out).not.toContain(s);
    expect(scrubValue(input)).toEqual({ event: { nested: [{ keep: 1 }, {}] }, deep: { a: { b: { c: { d: { other: 'ok' } } } } } });
  });

  it('OBS-001: configurable extra routing names; nothing stripped when stripRouting is off', () => {
    const p = makeScrubPolicy({ stripRouting: true, stripMetadata: true, extraRoutingFields: ['relay_id', 'x-tenant'] });
    expect(scrubValue({ relay_id: 'r', RelayId: 'r', tenant: 't', a: { 'X-Tenant': 't' }, ok: 1 }, p)).toEqual({ a: {}, ok: 1 });
    const off = makeScrubPolicy({ stripRouting: false, stripMetadata: false });
    expect(scrubValue({ peer_id: 'p1', aad: 'x' }, off)).toEqual({ peer_id: 'p1', aad: 'x' });
  });

  it('OBS-001: a routing field planted anywhere in an arbitrary structure never survives (property)', () => {
    const spellings = ['peer_id', 'peerId', 'PEER-ID', 'X-Routing-Hint', 'routing.hint', 'messageType', 'message_type'];
    const json = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(json, fc.constantFrom(...spellings), fc.array(fc.nat(), { maxLength: 6 }), (tree, name, path) => {
        // Walk down `path` through objects/arrays and plant the field in the object reached.
        const root: Record<string, unknown> = { tree };
        let at: Record<string, unknown> = root;
        for (const step of path) {
          const kids = Object.values(at).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
          if (kids.length === 0) break;
          at = kids[step % kids.length]!;
        }
        at[name] = 'ROUTING-VALUE';
        const out = JSON.stringify(scrubValue(root));
        expect(out).not.toContain('ROUTING-VALUE');
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it('OBS-001: dotted trace attribute names are stripped when any segment is a routing field', () => {
    expect(scrubAttributes({ 'agentsec.peer_id': 'p', 'messaging.message_type': 'x', 'peer_id.len': 3, 'agentsec.op': 'seal' })).toEqual({ 'agentsec.op': 'seal' });
  });

  it('OBS-002: storage metadata (encryption context, associated data) is stripped when metadataScrubbing is on', () => {
    const input = { op: 'seal', encryptionContext: { tenant: 'acme' }, associated_data: 'acme', AAD: 'acme' };
    expect(scrubValue(input, makeScrubPolicy({ stripRouting: true, stripMetadata: true }))).toEqual({ op: 'seal' });
    expect(JSON.stringify(scrubValue(input, makeScrubPolicy({ stripRouting: true, stripMetadata: false })))).toContain('acme');
  });
});

describe('redaction of key material and ciphertext', () => {
  it('OBS-003: a hex run of 32+ characters becomes a length-only marker; shorter hex stays', () => {
    expect(redactString(`key=${HEX} end`)).toBe('key=[redacted hex 64 chars] end');
    expect(redactString(HEX.toUpperCase())).toBe('[redacted hex 64 chars]');
    expect(redactString(HEX.slice(0, 32))).toBe('[redacted hex 32 chars]');
    expect(redactString(`id ${HEX.slice(0, 31)}`)).toBe(`id ${HEX.slice(0, 31)}`);
    expect(leaks(redactString(`key_${HEX}xyz`))).toBe(false);
    expect(leaks(redactString(`${HEX.slice(0, 33)}g`))).toBe(false);
  });

  it('OBS-004: base64 and base64url runs become length-only markers; ordinary words stay', () => {
    expect(redactString(`k:${B64}`)).toBe(`k:[redacted base64 ${B64.length} chars]`);
    expect(redactString(B64URL)).toBe(`[redacted base64 ${B64URL.length} chars]`);
    const long = Buffer.from(rnd(300)).toString('base64');
    expect(redactString(long)).toBe(`[redacted base64 ${long.length} chars]`);
    const text = 'storage.kekRotationDays must be an integer from 90 to 2560; see this-is-a-long-kebab-case-identifier-name';
    expect(redactString(text)).toBe(text);
  });

  it('OBS-026: Noise protocol names stay readable, but a key cannot pass as one', () => {
    for (const name of ['Noise_XX_25519_ChaChaPoly_SHA256', 'Noise_XXfallback+psk0_25519_AESGCM_BLAKE2b', 'Noise_IKhfs_25519+MLKEM768_ChaChaPoly_BLAKE2s']) {
      expect(redactString(`handshake ${name} done`)).toBe(`handshake ${name} done`);
    }
    const disguised = `Noise_${Buffer.from(rnd(32)).toString('base64url').replace(/[-_]/g, 'x')}_25519_AESGCM_SHA256`;
    expect(redactString(disguised)).not.toBe(disguised);
  });

  it('OBS-004: any value of 30+ bytes in hex, base64 or base64url is redacted (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 30, maxLength: 96 }), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (bytes, pre, post) => {
        const forms = [toHex(bytes), toHex(bytes).toUpperCase(), Buffer.from(bytes).toString('base64'), Buffer.from(bytes).toString('base64url')];
        for (const f of forms) {
          const out = redactString(`${pre} ${f} ${post}`);
          expect(out).not.toContain(f.replace(/=+$/, ''));
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('OBS-005: byte values are replaced with their length only, whatever the container', () => {
    const out = scrubValue({ a: KEY, b: Buffer.from(KEY), c: KEY.buffer.slice(0), d: new DataView(KEY.buffer), e: JSON.parse(JSON.stringify(Buffer.from(KEY))), f: new Map([['k', KEY]]), g: new Set([KEY]) });
    expect(out).toEqual({ a: '[redacted 32 bytes]', b: '[redacted 32 bytes]', c: `[redacted ${KEY.buffer.byteLength} bytes]`, d: `[redacted ${KEY.buffer.byteLength} bytes]`, e: '[redacted 32 bytes]', f: { k: '[redacted 32 bytes]' }, g: ['[redacted 32 bytes]'] });
  });

  it('OBS-005: redaction applies with routing stripping off as well', () => {
    const off = makeScrubPolicy({ stripRouting: false, stripMetadata: false });
    const out = JSON.stringify(scrubValue({ peer_id: HEX, k: KEY, msg: `sealed ${B64}` }, off));
    expect(leaks(out)).toBe(false);
    expect(out).toContain('[redacted hex 64 chars]');
  });

  it('OBS-007: a field named like a secret is redacted whatever its value looks like', () => {
    expect(scrubValue({ pin: '1234', passphrase: 'correct horse', sendingChainKey: 'abc', privateKey: 7, dek_len: 32, kekId: 'k1', seed: null })).toEqual({
      pin: '[redacted]',
      passphrase: '[redacted]',
      sendingChainKey: '[redacted]',
      privateKey: '[redacted]',
      dek_len: 32,
      kekId: 'k1',
      seed: null,
    });
    expect(scrubAttributes({ 'user.password': 'hunter2', 'op': 'x' })).toEqual({ 'user.password': '[redacted]', op: 'x' });
  });

  it('OBS-005: errors keep name, message, kind and reason, scrubbed; the stack is dropped', () => {
    const e = Object.assign(new Error(`bad key ${HEX}`), { kind: 'auth_failure', reason: 'BAD_TAG', cause: { peer_id: 'p', key: KEY } });
    const out = scrubValue({ err: e });
    expect(out).toEqual({ err: { name: 'Error', message: 'bad key [redacted hex 64 chars]', kind: 'auth_failure', reason: 'BAD_TAG', cause: { key: '[redacted 32 bytes]' } } });
  });
});

describe('robustness and purity', () => {
  it('OBS-006: cycles, throwing getters, revoked proxies and exotic values never throw', () => {
    const cyc: Record<string, unknown> = { name: 'a' };
    cyc.self = cyc;
    cyc.list = [cyc, { back: cyc }];
    const shared = { v: 1 };
    const getter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error(HEX); } });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no'); }, get: () => { throw new Error('no'); } });
    const exotic = { cyc, both: [shared, shared], getter, proxy, hostile, sym: Symbol('s'), fn: () => 1, big: 123n, nan: NaN, inf: -Infinity, und: undefined, date: new Date(0), bad: new Date(NaN), wm: new WeakMap(), p: Promise.resolve(1), nul: Object.create(null) as object };
    const out = scrubValue(exotic);
    expect(() => JSON.stringify(out)).not.toThrow();
    expect(out).toMatchObject({ cyc: { name: 'a', self: '[cycle]', list: ['[cycle]', { back: '[cycle]' }] }, both: [{ v: 1 }, { v: 1 }], getter: { boom: '[unreadable]' }, proxy: '[unreadable]', hostile: '[unreadable]', sym: '[symbol]', fn: '[function]', big: '123', nan: 'NaN', inf: '-Infinity', und: null, date: '1970-01-01T00:00:00.000Z', bad: '[invalid date]', wm: '[WeakMap]', p: '[Promise]', nul: {} });
    expect(JSON.stringify(out)).not.toContain(HEX);
    expect(scrubAttributes(proxy)).toEqual({});
    expect(scrubAttributes(cyc)).toMatchObject({ name: 'a', self: '[cycle]' });
  });

  it('OBS-006: depth, key, item and string sizes are bounded', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    expect(JSON.stringify(scrubValue(deep))).toContain('[depth limit]');
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(scrubValue(wide) as object)).toHaveLength(SCRUB_LIMITS.keys + 1);
    expect((scrubValue(new Array(10_000).fill(0)) as unknown[]).length).toBe(SCRUB_LIMITS.items + 1);
    expect(redactString('a '.repeat(10_000)).length).toBeLessThan(SCRUB_LIMITS.stringChars + 40);
  });

  it('OBS-012: the input is not modified and the output is JSON-safe for any JSON-like input (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, withMap: true, withSet: true, withBigInt: true, withDate: true, withNullPrototype: true }), (v) => {
        const before = inspect(v, { depth: Infinity });
        const out = scrubValue(v, DEFAULT_SCRUB_POLICY);
        expect(inspect(v, { depth: Infinity })).toBe(before);
        expect(JSON.parse(JSON.stringify(out))).toEqual(out);
        const attrs = scrubAttributes(v);
        for (const x of Object.values(attrs)) {
          const ok = ['string', 'number', 'boolean'].includes(typeof x) || (Array.isArray(x) && new Set(x.map((y) => typeof y)).size <= 1);
          expect(ok).toBe(true);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('OBS-009: span attributes stay a flat OpenTelemetry map with the same rules', () => {
    const out = scrubAttributes({ 'rpc.method': 'seal', size: 4096, ok: true, tags: ['a', 'b'], counts: [1, 2], mixed: [1, 'a'], nested: { peer_id: 'p', x: KEY }, key: KEY, note: `ct=${B64URL}`, empty: [], nul: null });
    expect(out).toEqual({
      'rpc.method': 'seal',
      size: 4096,
      ok: true,
      tags: ['a', 'b'],
      counts: [1, 2],
      mixed: '[1,"a"]',
      nested: '{"x":"[redacted 32 bytes]"}',
      key: '[redacted 32 bytes]',
      note: `ct=[redacted base64 ${B64URL.length} chars]`,
      empty: [],
    });
  });
});
