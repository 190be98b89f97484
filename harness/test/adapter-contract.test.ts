/**
 * The contract file (spec/adapter-protocol.schema.json) against the reference adapter: a real
 * `agentsec adapter` process goes through a scripted exchange that calls every method of the
 * contract, and every request sent and every line answered is checked against the schema.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_AREAS } from '../../adapter/index.js';
import { adapterProtocolSchema, contractMethods, contractValidator } from '../../spec/tools/adapter-protocol.js';
import type { SchemaValidator } from '../../spec/tools/schema-validator.js';
import { startKmsService, type KmsService } from '../conform/kms-service.js';
import { AdapterFault } from '../conform/types.js';
import { validateHello, validateResult } from '../conform/validate.js';
import { callMethod } from '../conform/call.js';
import { startProcessAdapter } from '../adapters/process.js';
import { renderCapabilityTypes, renderProtocolTypes } from '../../spec/tools/adapter-protocol-types.js';
import type { Capabilities } from '../../protocol/types.js';
import { METHODS } from '../../protocol/methods.js';

const SCHEMA = adapterProtocolSchema();
const BIN = fileURLToPath(new URL('../../bin/agentsec.mjs', import.meta.url));

function validatorFor(def: string): SchemaValidator {
  const v = contractValidator(def);
  if (!v) throw new Error(`no $defs entry "${def}"`);
  return v;
}

const schemaMethods = contractMethods;

interface Exchange {
  method: string;
  request: unknown;
  response: Record<string, unknown>;
}

/** A JSON-lines client of one adapter process that records every exchange. */
class Client {
  readonly log: Exchange[] = [];
  private nextId = 1;
  private readonly pending: ((line: string) => void)[] = [];
  private readonly proc: ChildProcessWithoutNullStreams;

  constructor() {
    this.proc = spawn(process.execPath, [BIN, 'adapter'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.resume();
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.(line));
  }

  async raw(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const request = { jsonrpc: '2.0', id: this.nextId++, method, params };
    const line = await new Promise<string>((resolve) => {
      this.pending.push(resolve);
      this.proc.stdin.write(`${JSON.stringify(request)}\n`);
    });
    const response = JSON.parse(line) as Record<string, unknown>;
    this.log.push({ method, request, response });
    return response;
  }

  /** A call that must succeed; its result. */
  async call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const r = await this.raw(method, params);
    if (!('result' in r)) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`);
    return r.result as Record<string, unknown>;
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.stdin.end();
    await exited;
  }
}

/** The problems of one exchange against the schema: the request, its params, the answer. */
function problems(x: Exchange): string[] {
  const out = [
    ...validatorFor('request')(x.request).map((p) => `request ${p}`),
    ...validatorFor(`${x.method}.params`)((x.request as { params: unknown }).params).map((p) => `params ${p}`),
    ...validatorFor('response')(x.response).map((p) => `response ${p}`),
  ];
  if ('result' in x.response) out.push(...validatorFor(`${x.method}.result`)(x.response.result).map((p) => `result ${p}`));
  return out.map((p) => `${x.method}: ${p}`);
}

const hex32 = (b: number) => b.toString(16).padStart(2, '0').repeat(32);

describe('the adapter contract (spec/adapter-protocol.schema.json)', () => {
  let kms: KmsService;
  let client: Client;

  beforeAll(async () => {
    kms = await startKmsService();
    client = new Client();
  });
  afterAll(async () => {
    await client?.close();
    await kms?.teardown?.();
  });

  it('CONF-101 CONF-104 CONF-105: a scripted exchange with `agentsec adapter` over every method matches the schema, requests and answers', async () => {
    const c = client;
    const hello = await c.call('hello', { protocol: 1, services: kms.services });
    expect((hello.capabilities as Record<string, unknown>).noise).toBeDefined();

    // Noise: NNpsk0 between two channels of the same process, then the transport phase.
    const protocol = 'Noise_NNpsk0_25519_ChaChaPoly_SHA256';
    const psks = [hex32(7)];
    const i = (await c.call('noise.new', { protocol, initiator: true, prologue: '0102', psks })).id;
    const r = (await c.call('noise.new', { protocol, initiator: false, prologue: '0102', psks })).id;
    expect(await c.call('noise.state', { id: i })).toEqual({ complete: false });
    await c.call('noise.read', { id: r, message: (await c.call('noise.write', { id: i, payload: '' })).message });
    await c.call('noise.read', { id: i, message: (await c.call('noise.write', { id: r, payload: 'aa' })).message });
    const st = await c.call('noise.state', { id: i });
    expect(st).toMatchObject({ complete: true, send_nonce: '0', recv_nonce: '0' });
    await c.call('noise.rekey', { id: i, direction: 'send' });
    await c.call('noise.rekey', { id: r, direction: 'recv' });
    await c.call('noise.set_nonce', { id: i, direction: 'send', n: '5' });
    await c.call('noise.set_nonce', { id: r, direction: 'recv', n: '5' });
    const m = (await c.call('noise.write', { id: i, payload: 'c0ffee' })).message as string;
    const tampered = `${m.slice(0, -2)}${m.endsWith('00') ? '01' : '00'}`;
    const refused = await c.raw('noise.read', { id: r, message: tampered });
    expect(refused.error).toMatchObject({ code: -32000, data: { kind: 'auth_failure' } });
    expect(await c.call('noise.read', { id: r, message: m })).toEqual({ payload: 'c0ffee' });
    // Explicit-nonce transport: the completed channels handed over, a frame, a crash and a restart.
    const ei = (await c.call('noise.explicit_start', { id: i })).id;
    const er = (await c.call('noise.explicit_start', { id: r })).id;
    const frame = (await c.call('noise.explicit_send', { id: ei, payload: '0a' })).frame as string;
    expect(frame.slice(0, 16)).toBe('0000000000000006');
    expect(await c.call('noise.explicit_receive', { id: er, frame })).toEqual({ payload: '0a' });
    const restarted = (await c.call('noise.explicit_restore', { record: (await c.call('noise.explicit_stored', { id: ei })).record })).id;
    expect(await c.call('noise.explicit_receive', { id: er, frame: (await c.call('noise.explicit_send', { id: restarted, payload: '0b' })).frame })).toEqual({ payload: '0b' });
    expect(await c.call('free', { id: i })).toEqual({});
    const unknown = await c.raw('free', { id: i });
    expect(unknown.error).toMatchObject({ code: -32000, data: { kind: 'state_failure' } });

    // Sessions: random agents, one from fixed keys, fixed randomness, export and import.
    const alice = (await c.call('session.agent', { name: 'alice', kind: 'x3dh' })).agent;
    const bob = (await c.call('session.agent', { name: 'bob', kind: 'x3dh', one_time_prekeys: 2, max_skip: 10, max_skipped_keys: 20 })).agent;
    const first = await c.call('session.initiate', { agent: alice, peer: 'bob', bundle: (await c.call('session.bundle', { agent: bob })).bundle, plaintext: '01' });
    expect(await c.call('session.decrypt', { agent: bob, peer: 'alice', message: first.message })).toEqual({ plaintext: '01' });
    const back = await c.call('session.encrypt', { agent: bob, peer: 'alice', plaintext: '02', fixed: { ratchet: hex32(9) } });
    expect(await c.call('session.decrypt', { agent: alice, peer: 'bob', message: back.message })).toEqual({ plaintext: '02' });
    expect(await c.call('session.state', { agent: alice, peer: 'bob' })).toMatchObject({ nr: 1 });
    const carol = (
      await c.call('session.agent', { name: 'carol', kind: 'x3dh', keys: { identity_signing_seed: hex32(1), identity_agreement_private: hex32(2), signed_prekey: { id: 1, private: hex32(3) } } })
    ).agent;
    const toCarol = await c.call('session.initiate', { agent: alice, peer: 'carol', bundle: (await c.call('session.bundle', { agent: carol })).bundle, plaintext: '03', fixed: { ephemeral: hex32(4) } });
    expect(await c.call('session.decrypt', { agent: carol, peer: 'alice', message: toCarol.message })).toEqual({ plaintext: '03' });
    const exported = await c.call('session.export', { agent: alice });
    const again = (await c.call('session.import', { state: exported.state })).agent;
    expect(await c.call('session.state', { agent: again, peer: 'bob' })).toMatchObject({ nr: 1 });

    // Envelopes under the KMS key named in hello.
    const sealed = await c.call('envelope.seal', { plaintext: 'abcd', context: { tenant: 't1' } });
    const rewrapped = await c.call('envelope.rewrap', { envelope: sealed.envelope });
    expect(await c.call('envelope.open', { envelope: rewrapped.envelope, context: { tenant: 't1' } })).toEqual({ plaintext: 'abcd' });
    // Envelopes under a KEK the adapter holds, administered through envelope.kek_* (CONF-150).
    const kek = (await c.call('envelope.kek_new', { cache: { max_messages: 2, max_age_ms: 1000, max_entries: 2 } })).kek;
    const underKek = await c.call('envelope.seal', { plaintext: 'ef', context: {}, kek });
    expect(await c.call('envelope.kek_rotate', { kek })).toEqual({ version: 2 });
    await c.call('envelope.kek_advance', { kek, ms: 10 });
    const moved = await c.call('envelope.rewrap', { envelope: underKek.envelope, kek });
    expect(await c.call('envelope.kek_retire', { kek, version: 1 })).toEqual({});
    expect(await c.call('envelope.kek_versions', { kek })).toEqual({ current: 2, versions: [{ version: 1, retired: true }, { version: 2, retired: false }] });
    expect(await c.call('envelope.open', { envelope: moved.envelope, context: {}, kek })).toEqual({ plaintext: 'ef' });
    expect((await c.raw('envelope.open', { envelope: underKek.envelope, context: {}, kek })).error).toMatchObject({ code: -32000, data: { kind: 'state_failure' } });
    expect((await c.raw('envelope.kek_retire', { kek, version: 2 })).error).toMatchObject({ code: -32000, data: { kind: 'policy_reject' } });

    // Identities.
    const id = await c.call('identity.create');
    expect(await c.call('identity.public', { identity: id.identity })).toEqual({ signing_public: id.signing_public, agreement_public: id.agreement_public, did: id.did });
    const sig = (await c.call('identity.sign', { identity: id.identity, message: '68' })).signature;
    expect(await c.call('identity.verify', { did: id.did, message: '68', signature: sig })).toEqual({ valid: true });
    expect(await c.call('identity.verify', { public: id.signing_public, message: '69', signature: sig })).toEqual({ valid: false });

    // Primitives.
    await c.call('prim.x25519', { private: hex32(5), public: id.agreement_public });
    expect(await c.call('prim.ed25519_verify', { public: id.signing_public, message: '68', signature: sig })).toEqual({ valid: true });
    const aead = { alg: 'ChaCha20-Poly1305', key: hex32(6), nonce: '00'.repeat(12), ad: '' };
    const ct = await c.call('prim.aead_seal', { ...aead, plaintext: '0102' });
    expect(await c.call('prim.aead_open', { ...aead, ciphertext: ct.ciphertext })).toEqual({ plaintext: '0102' });
    expect(await c.call('prim.hkdf', { hash: 'SHA-256', ikm: '0b', salt: '', info: '', length: 42 })).toHaveProperty('okm');
    expect(await c.call('prim.hmac', { hash: 'SHA-256', key: '00', message: '' })).toHaveProperty('mac');
    const kp = await c.call('prim.mlkem_keygen', { alg: 'ML-KEM-768', seed: hex32(8) + hex32(8) });
    const enc = await c.call('prim.mlkem_encaps', { alg: 'ML-KEM-768', public: kp.public, m: hex32(10) });
    expect(await c.call('prim.mlkem_decaps', { alg: 'ML-KEM-768', ciphertext: enc.ciphertext, secret: kp.secret })).toEqual({ shared: enc.shared });
    const unsupported = await c.raw('prim.hmac', { hash: 'MD5', key: '00', message: '' });
    expect(unsupported.error).toMatchObject({ code: -32000, data: { kind: 'unsupported' } });

    // Every method of the contract was called, and every exchange matches the schema.
    expect([...new Set(c.log.map((x) => x.method))].sort()).toEqual(schemaMethods());
    expect(c.log.flatMap(problems)).toEqual([]);
    expect(c.log.filter((x) => 'error' in x.response).map((x) => x.method)).toEqual(['noise.read', 'free', 'envelope.open', 'envelope.kek_retire', 'prim.hmac']);
  });

  it('CONF-102: a malformed answer or request is reported invalid, naming the field', () => {
    expect(validatorFor('noise.write.result')({ message: 'AB' })).toEqual([expect.stringMatching(/^\/message: must match pattern/)]);
    expect(validatorFor('noise.write.result')({ message: 12 })).toEqual([expect.stringMatching(/^\/message: must be string/)]);
    expect(validatorFor('noise.state.result')({ complete: true, handshake_hash: '00', send_nonce: 3 })).toEqual([expect.stringMatching(/^\/send_nonce: must be string/)]);
    expect(validatorFor('noise.state.result')({ complete: true })).toEqual(expect.arrayContaining([expect.stringMatching(/handshake_hash/)]));
    expect(validatorFor('session.state.result')({ ns: '1', nr: 0, pn: 0, epoch: 0, skipped: 0 })).toEqual([expect.stringMatching(/^\/ns: must be integer/)]);
    expect(validatorFor('identity.verify.result')({})).toEqual([expect.stringMatching(/valid/)]);
    expect(validatorFor('noise.set_nonce.params')({ id: 'noise-1', direction: 'send', n: '18446744073709551615' })).toEqual([]);
    expect(validatorFor('noise.set_nonce.params')({ id: 'noise-1', direction: 'both', n: '01' })).toHaveLength(2);
    expect(validatorFor('identity.verify.params')({ did: 'did:key:z6Mk', public: '00', message: '', signature: '' })).not.toEqual([]);
    expect(validatorFor('error')({ code: -32000, message: 'x', data: { kind: 'bad_kind' } })).not.toEqual([]);
    expect(validatorFor('error')({ code: -32000, message: 'x' })).not.toEqual([]);
    expect(validatorFor('error')({ code: -32601, message: 'method not found' })).toEqual([]);
    expect(validatorFor('hello.result')({ name: 'x', version: '1', protocol: 1, capabilities: { noise: { patterns: 'XX', dh: [], cipher: [], hash: [] } } })).toEqual([
      expect.stringMatching(/^\/capabilities\/noise\/patterns: must be array/),
    ]);
  });

  it('CONF-102: the harness reports an answer that breaks the schema as a bad_result fault, naming the field', () => {
    const fault = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(AdapterFault);
        return e as AdapterFault;
      }
      throw new Error('no fault');
    };
    // Shapes the older hand-written checks let through.
    expect(fault(() => validateResult('noise.state', { complete: true, handshake_hash: '00', send_nonce: 3 })).message).toMatch(/noise\.state: result does not match spec\/adapter-protocol\.schema\.json: \/send_nonce: must be string/);
    expect(fault(() => validateResult('session.state', { ns: '1', nr: 0, pn: 0, epoch: 0, skipped: 0 })).message).toMatch(/\/ns: must be integer/);
    expect(fault(() => validateResult('prim.hmac', { mac: 'ABCD' })).message).toMatch(/prim\.hmac: .*\/mac: must match pattern/);
    expect(fault(() => validateResult('session.bundle', { bundle: { k: 1 } })).message).toMatch(/\/bundle: must be string/);
    expect(fault(() => validateHello({ name: 'x', version: '1', protocol: 1, capabilities: { identity: { did: ['key'] } } })).message).toMatch(/hello: .*\/capabilities\/identity: must have required property 'sign'/);
    expect(fault(() => validateResult('noise.state', { complete: true })).message).toMatch(/handshake_hash/);
    // The hand-written messages stay as they were for the faults they name.
    expect(fault(() => validateResult('noise.read', { payload: 'abc' })).message).toMatch(/result field "payload" must be lowercase hex/);
    // Well-formed answers pass unchanged; methods outside the contract are not checked by it.
    expect(validateResult('prim.hmac', { mac: 'abcd', extra: 1 })).toEqual({ mac: 'abcd', extra: 1 });
    expect(validateResult('fixture.echo', 5)).toBe(5);
  });

  it('CONF-106: spec/adapter-protocol.md lists every method with the params and result fields of the schema, and its examples match the schema', () => {
    const doc = readFileSync(new URL('../../spec/adapter-protocol.md', import.meta.url), 'utf8');
    const defs = SCHEMA.$defs as Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    const fields = (list: string) =>
      list
        .split(/[,|]/)
        .map((f) => f.trim().replace(/:.*$/, ''))
        .filter((f) => f.length > 0);
    const documented = new Set<string>();
    for (const m of doc.matchAll(/`([a-z][a-z0-9_]*\.[a-z0-9_]+|free) \{([^{}]*)\}`\s*->\s*`\{([^{}]*)\}`/g)) {
      const [, method = '', params = '', result = ''] = m;
      documented.add(method);
      const p = defs[`${method}.params`];
      const r = defs[`${method}.result`];
      expect(p, method).toBeDefined();
      const given = fields(params);
      expect(given.map((f) => f.replace(/\?$/, '')).sort(), `${method} params`).toEqual(Object.keys(p?.properties ?? {}).sort());
      // `a | b`: exactly one of the two, so neither is required alone.
      const alternatives = params.split(',').filter((seg) => seg.includes('|')).flatMap((seg) => seg.split('|').map((t) => t.trim()));
      expect(given.filter((f) => !f.endsWith('?') && !alternatives.includes(f)).sort(), `${method} required params`).toEqual([...(p?.required ?? [])].sort());
      const out = fields(result).map((f) => f.replace(/\?$/, ''));
      for (const f of out) expect(Object.keys(r?.properties ?? {}), `${method} result field ${f}`).toContain(f);
      for (const f of r?.required ?? []) expect(out, `${method} result`).toContain(f);
    }
    // hello's params nest braces; it is documented in its own section.
    expect(doc).toContain('`hello {protocol: 1, services?: {kms?: {endpoint, region, key_id}}}`');
    expect([...documented, 'hello'].sort()).toEqual(schemaMethods());

    // Each example block: requests and the responses that follow them match the schema.
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((b) => b[1] ?? '');
    let checked = 0;
    for (const block of blocks) {
      const methods = new Map<unknown, string>();
      for (const line of block.split('\n').filter((l) => l.trim())) {
        const msg = JSON.parse(line) as { id?: unknown; method?: string; params?: unknown; result?: unknown };
        if (msg.method !== undefined) {
          methods.set(msg.id, msg.method);
          expect([...validatorFor('request')(msg), ...validatorFor(`${msg.method}.params`)(msg.params)], line).toEqual([]);
        } else {
          const method = methods.get(msg.id) ?? '?';
          expect(validatorFor('response')(msg), line).toEqual([]);
          expect(validatorFor(`${method}.result`)(msg.result), line).toEqual([]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('CONF-107: protocol/methods.ts is the render of the schema, and typed calls run through a checked adapter', async () => {
    expect(readFileSync(new URL('../../protocol/methods.ts', import.meta.url), 'utf8')).toBe(renderProtocolTypes(SCHEMA));
    expect([...METHODS]).toEqual(schemaMethods());
    const a = await startProcessAdapter({ command: [process.execPath, BIN, 'adapter'] });
    try {
      const protocol = 'Noise_NN_25519_AESGCM_SHA256';
      const i = await callMethod(a, 'noise.new', { protocol, initiator: true, prologue: '' });
      const r = await callMethod(a, 'noise.new', { protocol, initiator: false, prologue: '' });
      await callMethod(a, 'noise.read', { id: r.id, message: (await callMethod(a, 'noise.write', { id: i.id, payload: '' })).message });
      await callMethod(a, 'noise.read', { id: i.id, message: (await callMethod(a, 'noise.write', { id: r.id, payload: '' })).message });
      const [si, sr] = [await callMethod(a, 'noise.state', { id: i.id }), await callMethod(a, 'noise.state', { id: r.id })];
      expect(si.complete && si.handshake_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(si.handshake_hash).toBe(sr.handshake_hash);
      expect(await callMethod(a, 'free', { id: i.id })).toEqual({});
    } finally {
      await a.close();
    }
  });

  it('CONF-122: protocol/capabilities.ts is the render of $defs.capabilities and $defs.services, and follows a change of the schema', () => {
    expect(readFileSync(new URL('../../protocol/capabilities.ts', import.meta.url), 'utf8')).toBe(renderCapabilityTypes(SCHEMA));
    const changed = structuredClone(SCHEMA) as { $defs: { capabilities: { properties: { noise: { properties: Record<string, unknown> } } } } };
    changed.$defs.capabilities.properties.noise.properties.curve_magic = { type: 'boolean', description: 'a field that does not exist' };
    expect(renderCapabilityTypes(changed)).toMatch(/\/\*\* a field that does not exist \*\/\n {4}curve_magic\?: boolean;/);
    // The types hold the schema's names: a misspelt field or a missing required one does not compile.
    // @ts-expect-error -- `pattern` is not a field of capabilities.noise (it is `patterns`)
    const misspelt: Capabilities = { noise: { pattern: ['XX'], dh: ['25519'], cipher: ['ChaChaPoly'], hash: ['SHA256'] } };
    // @ts-expect-error -- identity_policy is 'pin' or 'surface'
    const badEnum: Capabilities = { session: { kinds: ['x3dh'], identity_policy: 'trust' } };
    expect([misspelt, badEnum]).toHaveLength(2);
  });

  it('CONF-106: docs/adapters.md (and so the README) names every capability family and field of the schema', () => {
    const doc = readFileSync(new URL('../../docs/adapters.md', import.meta.url), 'utf8');
    const caps = (SCHEMA.$defs.capabilities as { properties: Record<string, { properties?: Record<string, unknown> }> }).properties;
    for (const [family, def] of Object.entries(caps)) {
      const line = doc.split('\n').find((l) => l.includes(`\`${family}: `));
      expect(line, family).toBeDefined();
      const text = line?.slice(line.indexOf(`\`${family}: `)) ?? '';
      for (const field of Object.keys(def.properties ?? {})) expect(text, `${family}.${field}`).toMatch(new RegExp(`[{ ,]${field}[?:,}]`));
    }
    expect(doc).toContain('spec/adapter-protocol.md');
  });

  it('CONF-106: the Python skeleton shown in spec/adapter-protocol.md is the one in examples/adapters', () => {
    const doc = readFileSync(new URL('../../spec/adapter-protocol.md', import.meta.url), 'utf8');
    const shown = /```python\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    expect(shown).toContain('def answer(request):');
    expect(readFileSync(new URL('../../examples/adapters/python/adapter.py', import.meta.url), 'utf8')).toContain(shown);
  });

  it('CONF-103: the schema names exactly the methods the reference adapter serves', () => {
    const served = ['hello', 'free', ...REFERENCE_AREAS.flatMap((a) => Object.keys(a.methods))].sort();
    expect(schemaMethods()).toEqual(served);
    for (const m of served) expect(SCHEMA.$defs).toHaveProperty([`${m}.result`]);
    expect(served.length).toBe(42);
  });
});
