import { describe, expect, it } from 'vitest';
import { ReferenceDispatcher } from '../../adapter/index.js';
import type { Area } from '../../adapter/area.js';
import { AgentsecError } from '../../reference/errors.js';
import { AdapterCallError, AdapterFault } from '../conform/types.js';
import { errorFromRpc, validateHello, validateResult } from '../conform/validate.js';

const testArea: Area = {
  name: 'test',
  capabilities: (ctx) => ({ envelope: { kms: ctx.services.kms ? ['aws'] : [] } }),
  methods: {
    'test.refuse': () => {
      throw new AgentsecError('auth_failure', 'AEAD_TAG', 'authentication failed');
    },
    'test.bug': (p) => {
      throw new TypeError(`cannot read ${String(p.secret)}`);
    },
    'test.echo': async (p) => ({ v: p.v }),
  },
};

const d = () => new ReferenceDispatcher({ areas: [testArea] });
const parse = (s: string | undefined) => JSON.parse(s ?? 'null') as Record<string, unknown>;

describe('reference dispatcher', () => {
  it('CONF-004: hello answers name, version, protocol 1 and the areas capabilities given the services', async () => {
    const r = parse(await d().handleLine(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol: 1, services: { kms: { endpoint: 'http://127.0.0.1:9', region: 'r', key_id: 'k' } } } })));
    expect(r).toMatchObject({ jsonrpc: '2.0', id: 1, result: { name: 'agentsec-reference', protocol: 1, capabilities: { envelope: { kms: ['aws'] } } } });
    const bad = parse(await d().handleLine(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'hello', params: { protocol: 2 } })));
    expect(bad).toMatchObject({ id: 2, error: { code: -32000, data: { kind: 'unsupported' } } });
  });

  it('CONF-003 CONF-009: kinds map to -32000 with data.kind and reason; unknown methods to -32601', async () => {
    const x = d();
    expect(parse(await x.handleLine('{"jsonrpc":"2.0","id":3,"method":"test.refuse","params":{}}'))).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32000, message: 'authentication failed', data: { kind: 'auth_failure', reason: 'AEAD_TAG' } },
    });
    expect(parse(await x.handleLine('{"jsonrpc":"2.0","id":"a","method":"nope"}'))).toMatchObject({ id: 'a', error: { code: -32601 } });
    expect(parse(await x.handleLine('{"jsonrpc":"2.0","id":4,"method":"test.echo","params":{"v":"ab"}}'))).toEqual({ jsonrpc: '2.0', id: 4, result: { v: 'ab' } });
  });

  it('CONF-009: other exceptions are internal and their message is not echoed', async () => {
    const seen: string[] = [];
    const x = new ReferenceDispatcher({ areas: [testArea], onInternalError: (m) => seen.push(m) });
    const r = parse(await x.handleLine('{"jsonrpc":"2.0","id":5,"method":"test.bug","params":{"secret":"deadbeef"}}'));
    expect(r).toMatchObject({ error: { code: -32000, data: { kind: 'internal' }, message: 'internal error (TypeError)' } });
    expect(JSON.stringify(r)).not.toContain('deadbeef');
    expect(seen).toEqual(['test.bug']);
  });

  it('CONF-009: not JSON is -32700, a wrong shape -32600, a notification gets no answer', async () => {
    expect(parse(await d().handleLine('{oops'))).toMatchObject({ id: null, error: { code: -32700 } });
    expect(parse(await d().handleLine('[1]'))).toMatchObject({ id: null, error: { code: -32600 } });
    expect(parse(await d().handleLine('{"jsonrpc":"1.0","id":6,"method":"x"}'))).toMatchObject({ id: 6, error: { code: -32600 } });
    expect(parse(await d().handleLine('{"jsonrpc":"2.0","id":7,"method":"x","params":[1]}'))).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(await d().handleLine('{"jsonrpc":"2.0","method":"test.echo","params":{}}')).toBeUndefined();
  });

  it('CONF-003: the harness side maps error objects to kinds and refuses malformed ones', () => {
    expect(errorFromRpc('m', { code: -32000, message: 'x', data: { kind: 'duplicate', reason: 'R' } })).toMatchObject({ kind: 'duplicate', reason: 'R', method: 'm' });
    expect(errorFromRpc('m', { code: -32601, message: '' })).toBeInstanceOf(AdapterCallError);
    expect(errorFromRpc('m', { code: -32601, message: '' }).kind).toBe('unsupported');
    expect(errorFromRpc('m', { code: -32602, message: 'bad' }).kind).toBe('decode_failure');
    expect(errorFromRpc('m', { code: -1, message: 'odd' }).kind).toBe('internal');
    expect(() => errorFromRpc('m', { code: -32000, message: 'x', data: { kind: 'oops' } })).toThrow(AdapterFault);
    expect(() => errorFromRpc('m', { code: 'x', message: 'x' })).toThrow(/malformed error object/);
    // Terminal escapes and newlines from the implementation never reach the terminal raw.
    const sneaky = errorFromRpc('m', { code: -32000, message: 'bad\u001b[2J\nFAKE PASS', data: { kind: 'auth_failure', reason: 'R\r' } });
    expect(sneaky.message).toBe('bad\\u001b[2J\\u000aFAKE PASS');
    expect(sneaky.reason).toBe('R\\u000d');
    expect(errorFromRpc('m', { code: -32000, message: 'x'.repeat(2000), data: { kind: 'internal' } }).message).toHaveLength(503);
  });

  it('CONF-002: hello and method results are validated (hex is lowercase, fields present)', () => {
    expect(() => validateHello({ name: 'x', version: '1', protocol: 1, capabilities: { noise: { patterns: 'IK' } } })).toThrow(/patterns must be an array/);
    expect(validateHello({ name: 'x', version: '1', protocol: 1, capabilities: { future: 1 } }).capabilities).toEqual({ future: 1 });
    expect(() => validateResult('noise.read', { payload: 'abc' })).toThrow(/lowercase hex/);
    expect(() => validateResult('noise.state', { complete: 'yes' })).toThrow(/boolean/);
    expect(validateResult('noise.state', { complete: false })).toEqual({ complete: false });
    expect(() => validateResult('session.agent', null)).toThrow(/must be an object/);
    expect(validateResult('unlisted.method', 5)).toBe(5);
  });
});

describe('in-process adapter', () => {
  it('CONF-005: keeps one request in flight, like the wire', async () => {
    const { startReferenceAdapter } = await import('../adapters/in-process.js');
    const a = await startReferenceAdapter();
    const first = a.call('free', { id: 'x' }).catch((e: unknown) => e);
    await expect(a.call('free', { id: 'y' })).rejects.toThrow(/sent while "free" is in flight/);
    expect(await first).toMatchObject({ kind: 'state_failure' });
    await expect(a.call('free', { id: 'z' })).rejects.toMatchObject({ kind: 'state_failure' });
  });
});
