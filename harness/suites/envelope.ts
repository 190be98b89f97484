/**
 * The `envelope` suite (spec/envelope.md, spec/kms.md): seals, opens and rewraps through the
 * implementation's `envelope.*` methods against the KMS endpoint this suite starts for the run. The
 * suite owns the endpoint, so it rotates and disables the key, destroys old key material (a retired
 * KEK version) and injects faults directly, then checks what the implementation does.
 */
import { callMethod } from '../conform/call.js';
import { CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand, KMSClient, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { ErrorKind } from '../../protocol/types.js';
import { canonical } from '../../vectors/envelope/generate.js';
import { envelopeParts } from '../../vectors/envelope/layout.js';
import { twoKeyCiphertext } from '../../vectors/envelope/two-key.js';
import { cat, enc, u16, u32 } from '../../vectors/kit.js';
import { check, CheckFailure, expectRefusal, TestNotApplicable } from '../conform/assert.js';
import type { Adapter, Capabilities, Suite, SuiteOptions, SuiteServices, TestCase, TestContext } from '../conform/types.js';
import { Hold, startKmsServer, type KmsServer } from '../services/kms/index.js';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDAGENTSECHARNESS', secretAccessKey: 'agentsec-harness' };
/** Byte positions tampered in a --quick run (spread over the envelope, first and last included). */
export const QUICK_TAMPER_POSITIONS = 24;

interface Env {
  mode: 'aws' | 'localstack';
  server: KmsServer;
  client: KMSClient;
  keyId: string;
}

let env: Env | undefined;

/** Starts the KMS endpoint (strict aws mode) with one key; used by Suite.setup and by tests of this suite. */
export async function startEnvelopeServices(mode: 'aws' | 'localstack' = 'aws'): Promise<SuiteServices & { server: KmsServer; keyId: string }> {
  const server = await startKmsServer({ mode, onDemandRotationLimit: 10_000 });
  const client = new KMSClient({ endpoint: server.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  const keyId = (await client.send(new CreateKeyCommand({ Description: 'agentsec conformance envelope KEK' }))).KeyMetadata!.KeyId!;
  const previous = env;
  env = { mode, server, client, keyId };
  return {
    server,
    keyId,
    services: { kms: { endpoint: server.endpoint, region: REGION, key_id: keyId } },
    async teardown() {
      client.destroy();
      await server.close();
      if (env?.server === server) env = previous;
    },
  };
}

function need(): Env {
  if (!env) throw new CheckFailure('the envelope suite has no KMS endpoint: its setup() did not run');
  return env;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

function hexResult(method: string, r: unknown, field: string): string {
  const v = typeof r === 'object' && r !== null ? (r as Record<string, unknown>)[field] : undefined;
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(v)) throw new CheckFailure(`${method}: result field "${field}" must be lowercase hex, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

async function sealVia(iut: Adapter, plaintext: Uint8Array, context: Record<string, string>): Promise<string> {
  return hexResult('envelope.seal', await callMethod(iut, 'envelope.seal', { plaintext: hex(plaintext), context }), 'envelope');
}
async function openVia(iut: Adapter, envelope: string, context: Record<string, string>): Promise<string> {
  return hexResult('envelope.open', await callMethod(iut, 'envelope.open', { envelope, context }), 'plaintext');
}
async function rewrapVia(iut: Adapter, envelope: string): Promise<string> {
  return hexResult('envelope.rewrap', await callMethod(iut, 'envelope.rewrap', { envelope }), 'envelope');
}

const applies = (caps: Capabilities): true | string => (caps.envelope?.kms.includes('aws') ? true : 'the implementation does not claim envelope.kms "aws"');
// @req CONF-150
const appliesAdmin = (caps: Capabilities): true | string => (caps.envelope?.kek_admin === true ? true : 'the implementation does not claim envelope.kek_admin (KEK administration through the adapter)');
// @req CONF-151
const appliesCache = (caps: Capabilities): true | string => (caps.envelope?.kek_admin === true && caps.envelope.cache === true ? true : 'the implementation does not claim envelope.cache with kek_admin');

/** One KEK the implementation holds and the harness administers (envelope.kek_*). */
class AdminKek {
  private constructor(
    private readonly iut: Adapter,
    readonly id: string,
  ) {}

  static async make(iut: Adapter, cache?: { max_messages: number; max_age_ms: number; max_entries: number }): Promise<AdminKek> {
    const r = await callMethod(iut, 'envelope.kek_new', cache ? { cache } : {});
    const id = typeof r === 'object' && r !== null ? (r as Record<string, unknown>).kek : undefined;
    if (typeof id !== 'string' || id.length === 0) throw new CheckFailure(`envelope.kek_new: result field "kek" must be an id, got ${JSON.stringify(id)?.slice(0, 40)}`);
    return new AdminKek(iut, id);
  }

  seal(plaintext: Uint8Array, context: Record<string, string>): Promise<string> {
    return callMethod(this.iut, 'envelope.seal', { plaintext: hex(plaintext), context, kek: this.id }).then((r) => hexResult('envelope.seal', r, 'envelope'));
  }
  open(envelope: string, context: Record<string, string>): Promise<string> {
    return callMethod(this.iut, 'envelope.open', { envelope, context, kek: this.id }).then((r) => hexResult('envelope.open', r, 'plaintext'));
  }
  rewrap(envelope: string): Promise<string> {
    return callMethod(this.iut, 'envelope.rewrap', { envelope, kek: this.id }).then((r) => hexResult('envelope.rewrap', r, 'envelope'));
  }
  async rotate(): Promise<number> {
    const v = ((await callMethod(this.iut, 'envelope.kek_rotate', { kek: this.id })) as Record<string, unknown>).version;
    if (typeof v !== 'number') throw new CheckFailure(`envelope.kek_rotate: result field "version" must be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  retire(version: number): Promise<unknown> {
    return callMethod(this.iut, 'envelope.kek_retire', { kek: this.id, version });
  }
  async versions(): Promise<{ current: number; retired: number[]; all: number[] }> {
    const r = (await callMethod(this.iut, 'envelope.kek_versions', { kek: this.id })) as { current?: unknown; versions?: unknown };
    if (typeof r.current !== 'number' || !Array.isArray(r.versions)) throw new CheckFailure(`envelope.kek_versions: expected {current, versions}, got ${JSON.stringify(r).slice(0, 80)}`);
    const vs = r.versions as { version: number; retired: boolean }[];
    return { current: r.current, retired: vs.filter((v) => v.retired).map((v) => v.version), all: vs.map((v) => v.version) };
  }
  advance(ms: number): Promise<unknown> {
    return callMethod(this.iut, 'envelope.kek_advance', { kek: this.id, ms });
  }
}

/** The wrapped data key an envelope carries (agentsec/1 layout): equal wraps mean one data key served both. */
function wrappedOf(envelopeHex: string, what: string): string {
  const e = envelopeParts(unhex(envelopeHex));
  if (!e) throw new CheckFailure(`${what}: the envelope does not have the agentsec/1 layout, so data key reuse cannot be seen`);
  return hex(e.wrapped);
}
function versionIn(envelopeHex: string): number | undefined {
  return envelopeParts(unhex(envelopeHex))?.kekVersion;
}

/** The payload part of an agentsec/1 envelope, when the implementation uses that format. */
function payloadOf(envelopeHex: string): Uint8Array | undefined {
  const e = envelopeParts(unhex(envelopeHex));
  return e && Uint8Array.from([...e.salt, ...e.commitment, ...e.nonce, ...e.payload]);
}

async function rotateKey(): Promise<void> {
  const { client, keyId } = need();
  await client.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
}

/** Destroys every non-current key material: the KMS side of retiring the old KEK versions. */
function retireOldMaterial(): number {
  const { server, keyId } = need();
  const k = server.state.keys.get(keyId)!;
  let n = 0;
  for (const m of k.materials.slice(0, -1)) {
    if (!m.destroyed) {
      server.destroyKeyMaterial(keyId, m.id);
      n++;
    }
  }
  return n;
}

function kmsCalls(...ops: string[]): number {
  const c = need().server.counters.calls;
  return ops.reduce((s, op) => s + (c[op] ?? 0), 0);
}

/** Wraps a data key at the suite's KMS the way the agentsec/1 AWS KMS provider does (ENV-016). */
async function kmsWrap(dek: Uint8Array, digest: Uint8Array, kekVersion: number): Promise<Uint8Array> {
  const { client, keyId } = need();
  const out = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: dek, EncryptionContext: { 'agentsec:context': hex(digest), 'agentsec:kek-version': String(kekVersion) } }));
  return out.CiphertextBlob!;
}

function positions(len: number, quick: boolean, ctx: TestContext): number[] {
  if (!quick || len <= QUICK_TAMPER_POSITIONS) return Array.from({ length: len }, (_, i) => i);
  const set = new Set<number>([0, len - 1]);
  while (set.size < QUICK_TAMPER_POSITIONS) set.add(ctx.rng.int(len));
  return [...set].sort((a, b) => a - b);
}

function t(id: string, reqs: string[], run: (ctx: TestContext) => Promise<void>, timeoutMs?: number, when: TestCase['applies'] = applies): TestCase {
  return { id: `envelope/${id}`, reqs, applies: when, run, ...(timeoutMs ? { timeoutMs } : {}) };
}

function tests(opts: SuiteOptions): TestCase[] {
  const ctxA = { tenant: 'acme', object: 'reports/2026.pdf' };
  return [
    t('roundtrip', ['ENV-002'], async ({ iut, rng }) => {
      for (const size of [0, 1, 31, 4096, 70_000]) {
        const pt = rng.bytes(size);
        const e = await sealVia(iut, pt, ctxA);
        check((await openVia(iut, e, ctxA)) === hex(pt), `a ${size}-byte plaintext did not round-trip`);
      }
      const e = await sealVia(iut, rng.bytes(5), {});
      check((await openVia(iut, e, {})).length === 10, 'an empty context did not round-trip');
    }),

    t('fresh-data-key', ['ENV-004', 'ENV-016'], async ({ iut, rng }) => {
      const pt = rng.bytes(16);
      const before = kmsCalls('Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext');
      const a = await sealVia(iut, pt, ctxA);
      const b = await sealVia(iut, pt, ctxA);
      check(a !== b, 'two seals of the same plaintext and context gave the same envelope');
      const calls = kmsCalls('Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext') - before;
      check(calls >= 2, `two seals made ${calls} KMS wrap calls; a fresh data key per payload needs one each`);
    }),

    t('tamper/every-byte', ['ENV-009', 'ENV-013'], async (ctx) => {
      const pt = ctx.rng.bytes(8);
      const e = unhex(await sealVia(ctx.iut, pt, ctxA));
      const bad: number[] = [];
      for (const i of positions(e.length, opts.quick, ctx)) {
        const x = e.slice();
        x[i]! ^= 1 << ctx.rng.int(8);
        try {
          await openVia(ctx.iut, hex(x), ctxA);
          bad.push(i);
        } catch (err) {
          if (!(err instanceof Error && err.name === 'AdapterCallError')) throw err;
        }
      }
      check(bad.length === 0, `envelopes with a changed byte at ${bad.slice(0, 8).join(', ')} were opened (of ${e.length} bytes)`);
    }, 120_000),

    t('tamper/truncate-and-extend', ['ENV-009'], async ({ iut, rng }) => {
      const e = await sealVia(iut, rng.bytes(8), ctxA);
      const n = e.length / 2;
      for (const len of [0, 1, Math.floor(n / 2), n - 17, n - 1]) {
        await expectRefusal(openVia(iut, e.slice(0, len * 2), ctxA), `an envelope truncated to ${len} of ${n} bytes`);
      }
      await expectRefusal(openVia(iut, e + '00', ctxA), 'an envelope with one byte appended');
    }),

    t('context-mismatch', ['ENV-010', 'ENV-012', 'ENV-013'], async ({ iut, rng }) => {
      const e = await sealVia(iut, rng.bytes(8), ctxA);
      const wrong: Record<string, string>[] = [{}, { tenant: 'acme' }, { ...ctxA, extra: '' }, { tenant: 'Acme', object: ctxA.object }];
      for (const w of wrong) await expectRefusal(openVia(iut, e, w), `open with context ${JSON.stringify(w)}`, ['auth_failure']);
      // A length-prefixed encoding tells {a:"bc"} from {ab:"c"}.
      const e2 = await sealVia(iut, rng.bytes(8), { a: 'bc' });
      await expectRefusal(openVia(iut, e2, { ab: 'c' }), 'open of a {a:"bc"} envelope with {ab:"c"}', ['auth_failure']);
    }),

    t('rotation/old-envelopes-open', ['ENV-023', 'KMS-010'], async ({ iut, rng }) => {
      const pt = rng.bytes(24);
      const old = await sealVia(iut, pt, ctxA);
      await rotateKey();
      check((await openVia(iut, old, ctxA)) === hex(pt), 'an envelope sealed before a KEK rotation no longer opens');
      const fresh = rng.bytes(24);
      check((await openVia(iut, await sealVia(iut, fresh, ctxA), ctxA)) === hex(fresh), 'a seal after rotation does not open');
    }),

    t('rewrap/moves-to-current', ['ENV-020'], async ({ iut, rng, log }) => {
      const pt = rng.bytes(40);
      const old = await sealVia(iut, pt, ctxA);
      await rotateKey();
      const before = kmsCalls('ReEncrypt', 'Decrypt');
      const moved = await rewrapVia(iut, old);
      check(moved !== old, 'rewrap after a rotation returned the envelope unchanged');
      check(kmsCalls('ReEncrypt', 'Decrypt') > before, 'rewrap made no KMS call: the data key cannot have moved to the new KEK version');
      check((await openVia(iut, moved, ctxA)) === hex(pt), 'the rewrapped envelope does not open to the plaintext');
      const p0 = payloadOf(old);
      const p1 = payloadOf(moved);
      if (p0 && p1) check(Buffer.from(p0).equals(Buffer.from(p1)), 'rewrap re-encrypted the payload (its bytes changed)');
      else log('payload bytes not observable (not the agentsec/1 format): identity not checked');
      // Only the old material is destroyed now: the rewrapped envelope must not depend on it.
      retireOldMaterial();
      check((await openVia(iut, moved, ctxA)) === hex(pt), 'the rewrapped envelope still depends on the old KEK version');
    }),

    t('retire/stale-fails-rewrapped-opens', ['ENV-021', 'ENV-020'], async ({ iut, rng }) => {
      const a = rng.bytes(12);
      const b = rng.bytes(12);
      const stale = await sealVia(iut, a, ctxA);
      const kept = await sealVia(iut, b, ctxA);
      await rotateKey();
      const moved = await rewrapVia(iut, kept);
      check(retireOldMaterial() > 0, 'no old KEK version to retire');
      // LocalStack blobs name no key material: KMS tries the rest and answers InvalidCiphertext.
      const kinds: ErrorKind[] = need().mode === 'aws' ? ['state_failure'] : ['state_failure', 'auth_failure'];
      await expectRefusal(openVia(iut, stale, ctxA), 'open of an envelope under a retired KEK version', kinds);
      check((await openVia(iut, moved, ctxA)) === hex(b), 'a rewrapped envelope does not open after the old version was retired');
    }),

    t('kms-faults/throttling', ['ENV-018', 'KMS-030'], async ({ iut, rng }) => {
      const { server } = need();
      const pt = rng.bytes(8);
      const e = await sealVia(iut, pt, ctxA);
      try {
        server.faults.set('*', { throttle: 50 });
        await expectRefusal(sealVia(iut, pt, ctxA), 'seal while KMS throttles every call', ['internal']);
        await expectRefusal(openVia(iut, e, ctxA), 'open while KMS throttles every call', ['internal']);
      } finally {
        server.faults.clear();
      }
      check((await openVia(iut, e, ctxA)) === hex(pt), 'after throttling ended the envelope does not open');
    }, 60_000),

    t('kms-faults/internal-error', ['ENV-018', 'ENV-026', 'KMS-030'], async ({ iut, rng }) => {
      const { server } = need();
      const pt = rng.bytes(8);
      const e = await sealVia(iut, pt, ctxA);
      await rotateKey();
      try {
        server.faults.set('*', { internal: 50 });
        await expectRefusal(openVia(iut, e, ctxA), 'open while KMS fails internally', ['internal']);
        await expectRefusal(rewrapVia(iut, e), 'rewrap while KMS fails internally', ['internal']);
      } finally {
        server.faults.clear();
      }
      check((await openVia(iut, e, ctxA)) === hex(pt), 'a failed rewrap lost the envelope');
    }, 60_000),

    t('kms-faults/timeout', ['ENV-018', 'ENV-028', 'KMS-030', 'KMS-052'], async ({ iut, rng }) => {
      const { server } = need();
      const pt = rng.bytes(8);
      const e = await sealVia(iut, pt, ctxA);
      try {
        // KMS-052: Decrypt never answers until released, so only the implementation's own per-call
        // deadline can end the call; the runner's test timeout catches an implementation without one.
        server.faults.set('Decrypt', { hold: new Hold() });
        await expectRefusal(openVia(iut, e, ctxA), 'open while KMS does not answer', ['internal']);
      } finally {
        server.faults.clear();
      }
      check((await openVia(iut, e, ctxA)) === hex(pt), 'after the KMS recovered the envelope does not open');
    }, 60_000),

    t('kms-disabled-key', ['ENV-018', 'KMS-009'], async ({ iut, rng }) => {
      const { client, keyId } = need();
      const pt = rng.bytes(8);
      const e = await sealVia(iut, pt, ctxA);
      await client.send(new DisableKeyCommand({ KeyId: keyId }));
      try {
        await expectRefusal(sealVia(iut, pt, ctxA), 'seal under a disabled KMS key', ['state_failure']);
        await expectRefusal(openVia(iut, e, ctxA), 'open under a disabled KMS key', ['state_failure']);
      } finally {
        await client.send(new EnableKeyCommand({ KeyId: keyId }));
      }
      check((await openVia(iut, e, ctxA)) === hex(pt), 'after re-enabling the key the envelope does not open');
    }),

    t('kek-admin/rotate', ['ENV-023', 'CONF-150'], async ({ iut, rng }) => {
      const kek = await AdminKek.make(iut);
      const v0 = await kek.versions();
      check(v0.current === 1 && v0.all.join() === '1' && v0.retired.length === 0, `a new KEK is not at version 1 alone: ${JSON.stringify(v0)}`);
      const pt = rng.bytes(20);
      const old = await kek.seal(pt, ctxA);
      const v = await kek.rotate();
      check(v === 2, `the first rotation made version ${v}, expected 2`);
      const v1 = await kek.versions();
      check(v1.current === 2 && v1.all.join() === '1,2' && v1.retired.length === 0, `after a rotation the versions are ${JSON.stringify(v1)}`);
      check((await kek.open(old, ctxA)) === hex(pt), 'an envelope sealed before the rotation no longer opens');
      const fresh = await kek.seal(pt, ctxA);
      const fv = versionIn(fresh);
      if (fv !== undefined) check(fv === 2, `a seal after the rotation names KEK version ${fv}, not the current 2`);
      check((await kek.open(fresh, ctxA)) === hex(pt), 'a seal after the rotation does not open');
    }, undefined, appliesAdmin),

    t('kek-admin/rewrap', ['ENV-020', 'CONF-150'], async ({ iut, rng, log }) => {
      const kek = await AdminKek.make(iut);
      const pt = rng.bytes(33);
      const old = await kek.seal(pt, ctxA);
      check((await kek.rewrap(old)) === old, 'rewrap of an envelope already under the current version changed it');
      await kek.rotate();
      const moved = await kek.rewrap(old);
      check(moved !== old, 'rewrap after a rotation returned the envelope unchanged');
      const mv = versionIn(moved);
      if (mv !== undefined) check(mv === 2, `the rewrapped envelope names KEK version ${mv}, not the current 2`);
      const p0 = payloadOf(old);
      const p1 = payloadOf(moved);
      if (p0 && p1) check(Buffer.from(p0).equals(Buffer.from(p1)), 'rewrap re-encrypted the payload (its bytes changed)');
      else log('payload bytes not observable (not the agentsec/1 format): identity not checked');
      check((await kek.open(moved, ctxA)) === hex(pt), 'the rewrapped envelope does not open to the plaintext');
      // Only version 1 is retired: the rewrapped envelope must not depend on it.
      await kek.retire(1);
      check((await kek.open(moved, ctxA)) === hex(pt), 'the rewrapped envelope no longer opens after its old version was retired');
    }, undefined, appliesAdmin),

    t('kek-admin/retire', ['ENV-021', 'ENV-022', 'ENV-025', 'CONF-150'], async ({ iut, rng }) => {
      const kek = await AdminKek.make(iut);
      const pt = rng.bytes(12);
      const stale = await kek.seal(pt, ctxA);
      await expectRefusal(kek.retire(1), 'retiring the current (only) KEK version', ['policy_reject']);
      check((await kek.versions()).retired.length === 0, 'a refused retirement of the current version retired it anyway');
      await kek.rotate();
      await expectRefusal(kek.retire(7), 'retiring a version the KEK never had', ['state_failure']);
      await kek.retire(1);
      const vs = await kek.versions();
      check(vs.current === 2 && vs.retired.join() === '1' && vs.all.join() === '1,2', `after retiring version 1 the versions are ${JSON.stringify(vs)}`);
      await expectRefusal(kek.open(stale, ctxA), 'open of an envelope under a retired KEK version', ['state_failure']);
      await expectRefusal(kek.rewrap(stale), 'rewrap of an envelope under a retired KEK version', ['state_failure']);
      await kek.retire(1);
      await expectRefusal(kek.retire(2), 'retiring the current version after a rotation', ['policy_reject']);
      const fresh = await kek.seal(pt, ctxA);
      check((await kek.open(fresh, ctxA)) === hex(pt), 'a seal under the current version does not open after a retirement');
    }, undefined, appliesAdmin),

    t('kek-admin/other-kek', ['ENV-014', 'CONF-150'], async ({ iut, rng }) => {
      const a = await AdminKek.make(iut);
      const b = await AdminKek.make(iut);
      const e = await a.seal(rng.bytes(8), ctxA);
      await expectRefusal(b.open(e, ctxA), 'open of an envelope of one KEK with another KEK', ['state_failure', 'auth_failure']);
    }, undefined, appliesAdmin),

    t('cache/max-messages', ['ENV-041', 'ENV-043', 'CONF-151'], async ({ iut, rng }) => {
      const kek = await AdminKek.make(iut, { max_messages: 3, max_age_ms: 60_000, max_entries: 4 });
      const envs: string[] = [];
      for (let i = 0; i < 7; i++) envs.push(await kek.seal(rng.bytes(8), ctxA));
      const wraps = envs.map((e, i) => wrappedOf(e, `seal ${i}`));
      const uses = new Map<string, number>();
      for (const w of wraps) uses.set(w, (uses.get(w) ?? 0) + 1);
      check(Math.max(...uses.values()) <= 3, `one data key served ${Math.max(...uses.values())} seals with max_messages 3`);
      check(uses.size === 3, `7 seals with max_messages 3 used ${uses.size} data keys, expected 3 (the cache reuses a key until its limit)`);
      const salts = new Set(envs.map((e) => hex(envelopeParts(unhex(e))!.salt)));
      check(salts.size === 7, 'two payloads under one cached data key share a salt (so a payload key)');
    }, undefined, appliesCache),

    t('cache/max-age', ['ENV-041', 'CONF-151'], async ({ iut, rng }) => {
      const kek = await AdminKek.make(iut, { max_messages: 1000, max_age_ms: 5000, max_entries: 4 });
      const a = wrappedOf(await kek.seal(rng.bytes(8), ctxA), 'first seal');
      await kek.advance(4999);
      const b = wrappedOf(await kek.seal(rng.bytes(8), ctxA), 'seal after 4999 ms');
      check(a === b, 'a data key was not reused within max_age_ms (the cache is not on, or not on the KEK clock)');
      await kek.advance(1);
      const c = wrappedOf(await kek.seal(rng.bytes(8), ctxA), 'seal after 5000 ms');
      check(c !== b, 'a data key was used max_age_ms after it was made');
    }, undefined, appliesCache),

    t('cache/max-entries', ['ENV-042', 'ENV-050', 'CONF-151'], async ({ iut, rng }) => {
      const kek = await AdminKek.make(iut, { max_messages: 1000, max_age_ms: 60_000, max_entries: 2 });
      const ctxs = ['a', 'b', 'c'].map((x) => ({ tenant: x }));
      const first: string[] = [];
      for (let i = 0; i < 3; i++) first.push(wrappedOf(await kek.seal(rng.bytes(8), ctxs[i]!), `seal in context ${i}`));
      check(new Set(first).size === 3, 'one data key served two contexts');
      // In reverse order: a cache holding two keys has the last context's (so at least one reuse),
      // and cannot have all three.
      let reused = 0;
      for (const i of [2, 1, 0]) if (first[i] === wrappedOf(await kek.seal(rng.bytes(8), ctxs[i]!), `second seal in context ${i}`)) reused++;
      check(reused < 3, `all three contexts reused their data keys with max_entries 2: the cache holds more keys than its limit`);
      check(reused >= 1, 'no context reused its data key: the cache is not on');
    }, undefined, appliesCache),

    t('commitment/two-data-keys', ['ENV-006', 'ENV-070', 'CONF-152'], async ({ iut, rng }) => {
      // The format decides whether key commitment is claimed: agentsec/1 v1 suite 0x01 commits.
      const sample = envelopeParts(unhex(await sealVia(iut, rng.bytes(4), ctxA)));
      if (!sample) throw new TestNotApplicable('the implementation\'s envelopes are not agentsec/1 format v1 suite 0x01, the format whose key commitment this test checks');
      // Two data keys, one body (salt, commitment of the first key, nonce, payload) whose AES-GCM
      // payload authenticates under both payload keys; the second envelope carries the second key's wrap.
      const [dk1, dk2, salt, nonce] = [rng.bytes(32), rng.bytes(32), rng.bytes(32), rng.bytes(12)];
      const C = canonical(ctxA);
      const digest = sha256(cat(enc.encode('agentsec/envelope/v1 context'), C));
      const derive = (dk: Uint8Array, what: string) => hkdf(sha256, dk, salt, enc.encode(`agentsec/envelope/v1 ${what}`), 32);
      const commitment = derive(dk1, 'commitment');
      const aad = cat(enc.encode('agentsec/envelope/v1 payload'), new Uint8Array([1, 1]), digest, salt, commitment, nonce, C);
      const payload = twoKeyCiphertext(derive(dk1, 'payload-key'), derive(dk2, 'payload-key'), nonce, aad, rng.bytes(32));
      const envelopeWith = async (dk: Uint8Array) => {
        const wrapped = await kmsWrap(dk, digest, sample.kekVersion);
        return hex(cat(new Uint8Array([1, 1, sample.kekId.length]), sample.kekId, digest, u32(sample.kekVersion), u16(wrapped.length), wrapped, salt, commitment, nonce, payload));
      };
      const genuine = await envelopeWith(dk1);
      const opened = await openVia(iut, genuine, ctxA).catch((e: unknown) => {
        throw new CheckFailure(`a well-formed agentsec/1 envelope the harness sealed under the KMS key does not open: ${(e as Error).message}`);
      });
      check(opened.length === (payload.length - 16) * 2, 'the genuine envelope opened to a plaintext of another length');
      const other = await envelopeWith(dk2);
      await expectRefusal(openVia(iut, other, ctxA), 'the same envelope body with the wrapped key of a second data key (its payload authenticates under both; only the commitment refuses it)', ['auth_failure']);
    }),

    t('bad-params', ['CONV-004'], async ({ iut }) => {
      await expectRefusal(iut.call('envelope.seal', { plaintext: 'zz', context: {} }, { unchecked: 'a negative test: non-hex plaintext' }), 'seal with non-hex plaintext', ['decode_failure']);
      await expectRefusal(iut.call('envelope.seal', { plaintext: '00', context: { k: 1 } }, { unchecked: 'a negative test: a non-string context value' }), 'seal with a non-string context value', ['decode_failure']);
      await expectRefusal(callMethod(iut, 'envelope.open', { envelope: '', context: {} }), 'open of an empty envelope', ['decode_failure']);
    }),
  ];
}

export const envelopeSuite: Suite = {
  name: 'envelope',
  description: 'envelope encryption against the KMS endpoint: tampering, context binding, rotation, rewrap, retirement, KMS faults',
  setup: () => startEnvelopeServices(),
  tests,
};
