/**
 * OpenTelemetry export of the reference's spans through the scrubbing processors: a full Noise,
 * session and envelope workload (local ring and AWS KMS over the project's endpoint) with every
 * random draw recorded, exported by the SDK's in-memory exporter and by the OTLP/HTTP exporter to a
 * loopback receiver that decodes what it gets. Nothing exported may hold a routing field, a
 * metadata field or any stretch of a recorded secret, plaintext or ciphertext.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer } from '../../harness/services/kms/index.js';
import {
  AwsKmsKek,
  createNobleProvider,
  createNoiseChannel,
  createSecretBook,
  defaultSecurityConfig,
  deterministicRandomForTestingOnly,
  LocalKekRing,
  openEnvelope,
  rewrapEnvelope,
  sealEnvelope,
  SessionAgent,
  toHex,
  utf8,
} from '../index.js';
import { HighFrequencySampler, ScrubbingLogRecordProcessor, ScrubbingSpanProcessor } from '../observability/otel.js';

const book = createSecretBook();
const draws: Uint8Array[] = [];
const p = createNobleProvider((() => {
  const base = deterministicRandomForTestingOnly('otel-audit');
  return (n: number) => {
    const b = base(n);
    if (n >= 32) draws.push(b.slice());
    return b;
  };
})(), 'otel-recorded');

/** Plaintexts and ciphertexts: neither may reach a span. */
function secret(label: string, b: Uint8Array): Uint8Array {
  book.add(label, b);
  return b;
}

async function workload(): Promise<void> {
  // Noise XX: handshake and transport both ways.
  const iS = p.x25519.generateKeyPair();
  const rS = p.x25519.generateKeyPair();
  const i = createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: true, provider: p, staticPrivateKey: iS.privateKey });
  const r = createNoiseChannel({ protocol: 'Noise_XX_25519_ChaChaPoly_SHA256', initiator: false, provider: p, staticPrivateKey: rS.privateKey });
  while (!i.isHandshakeComplete || !r.isHandshakeComplete) {
    const [w, rd] = i.isMyTurn ? [i, r] : [r, i];
    rd.readMessage(w.writeMessage(secret('noise handshake payload', p.randomBytes(32))));
  }
  for (let k = 0; k < 8; k++) r.readMessage(secret('noise transport ciphertext', i.writeMessage(secret('noise transport plaintext', p.randomBytes(40)))));
  // PQXDH session, then a ratchet conversation.
  const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 2 });
  const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 2 });
  bob.decrypt('alice', secret('initial message', alice.initiate('bob', bob.bundle(), secret('first plaintext', utf8('meet at the usual place at 9')))));
  for (let k = 0; k < 20; k++) {
    const [from, to, name] = k % 3 === 0 ? [bob, alice, 'bob'] : [alice, bob, 'alice'];
    to.decrypt(name, secret('ratchet ciphertext', from.encrypt(name === 'alice' ? 'bob' : 'alice', secret('ratchet plaintext', utf8(`secret message number ${k} of the audit`)))));
  }
  // Envelopes under a local ring, with rotation and rewrap, and under AWS KMS (the project's endpoint).
  const ring = LocalKekRing.open({ kekId: 'local:otel', crypto: p });
  const ctx = { tenant: 'acme-routing-secret', purpose: 'audit' };
  const env = secret('envelope', await sealEnvelope(ring, secret('envelope plaintext', p.randomBytes(64)), ctx, { crypto: p }));
  await ring.rotate();
  await openEnvelope(ring, secret('rewrapped envelope', await rewrapEnvelope(ring, env)), ctx, { crypto: p });
  await openEnvelope(ring, env, { tenant: 'other' }, { crypto: p }).then(
    () => {
      throw new Error('a wrong context must not open');
    },
    () => undefined,
  );
  const kms = await startKmsServer({ mode: 'aws' });
  try {
    const credentials = { accessKeyId: 'AKIDOTELAUDIT', secretAccessKey: Buffer.from(p.randomBytes(30)).toString('base64') };
    book.addText('AWS secret access key', credentials.secretAccessKey);
    const { KMSClient, CreateKeyCommand, CreateAliasCommand } = await import('@aws-sdk/client-kms');
    const client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const key = await client.send(new CreateKeyCommand({}));
    await client.send(new CreateAliasCommand({ AliasName: 'alias/otel-audit', TargetKeyId: key.KeyMetadata!.KeyId! }));
    const kek = await AwsKmsKek.connect({ keyId: 'alias/otel-audit', endpoint: kms.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const aws = secret('aws envelope', await sealEnvelope(kek, secret('aws plaintext', p.randomBytes(48)), ctx, { crypto: p }));
    await openEnvelope(kek, aws, ctx, { crypto: p });
  } finally {
    await kms.close();
  }
}

/** Everything a span can carry, as text. */
function spanText(s: ReadableSpan): string {
  return JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, links: s.links, status: s.status });
}

const ROUTING = /peer_id|message_type|routing_hint|encryption_context|acme-routing-secret|"alice"|"bob"/;

describe('OpenTelemetry export through the scrubbing processors', () => {
  const memory = new InMemorySpanExporter();
  const received: string[] = [];
  let receiver: Server;
  let otlp: OTLPTraceExporter;
  let provider: BasicTracerProvider;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    otlp = new OTLPTraceExporter({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces` });
    provider = new BasicTracerProvider({
      sampler: new HighFrequencySampler(defaultSecurityConfig),
      spanProcessors: [new ScrubbingSpanProcessor(new SimpleSpanProcessor(memory), defaultSecurityConfig), new ScrubbingSpanProcessor(new SimpleSpanProcessor(otlp), defaultSecurityConfig)],
    });
    trace.setGlobalTracerProvider(provider);
    await workload();
    for (const d of draws) book.add('recorded draw', d);
    await provider.forceFlush();
  });

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('OBS-022 OBS-025: the in-memory exporter gets every area\'s spans, with no routing field and no recorded secret', () => {
    const spans = memory.getFinishedSpans();
    const names = new Set(spans.map((s) => s.name));
    for (const n of ['agentsec.noise.handshake.write', 'agentsec.noise.handshake.read', 'agentsec.session.initiate', 'agentsec.session.accept', 'agentsec.envelope.seal', 'agentsec.envelope.open', 'agentsec.envelope.rewrap', 'agentsec.kms.Encrypt', 'agentsec.kms.Decrypt']) {
      expect(names.has(n), n).toBe(true);
    }
    // The refused open is recorded as an error with its kind, and nothing more.
    expect(spans.some((s) => s.name === 'agentsec.envelope.open' && s.attributes['agentsec.error.kind'] === 'auth_failure')).toBe(true);
    const texts = spans.map(spanText);
    expect(texts.filter((t) => ROUTING.test(t))).toEqual([]);
    expect(texts.flatMap((t) => book.scan(t))).toEqual([]);
    expect(book.size).toBeGreaterThan(100);
  });

  it('OBS-024: high-frequency spans (transport frames, ratchet messages) are kept at observability.sampleHighFrequency', () => {
    const rate = defaultSecurityConfig.observability.sampleHighFrequency;
    const spans = memory.getFinishedSpans();
    const count = (n: string) => spans.filter((s) => s.name === n).length;
    expect(count('agentsec.session.encrypt')).toBe(Math.floor(20 * rate));
    expect(count('agentsec.noise.transport.write')).toBe(Math.floor(8 * rate));
    // Not high-frequency: every handshake message is kept.
    expect(count('agentsec.noise.handshake.write')).toBe(3);
  });

  it('OBS-022: the OTLP/HTTP exporter delivers the same scrubbed spans to a loopback receiver', () => {
    expect(received.length).toBeGreaterThan(0);
    const decoded = received.map((b) => JSON.parse(b) as { resourceSpans: { scopeSpans: { spans: { name: string; attributes: { key: string }[] }[] }[] }[] });
    const spans = decoded.flatMap((d) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
    expect(spans.length).toBe(memory.getFinishedSpans().length);
    const keys = new Set(spans.flatMap((s) => s.attributes.map((a) => a.key)));
    expect([...keys].filter((k) => /peer_id|encryption_context|message_type|routing/.test(k))).toEqual([]);
    expect(keys.has('agentsec.protocol')).toBe(true);
    expect(received.filter((t) => ROUTING.test(t))).toEqual([]);
    expect(received.flatMap((t) => book.scan(t))).toEqual([]);
  });

  it('OBS-022: with stripRoutingHeaders and metadataScrubbing off, the same processor keeps those fields (redaction does not hide what is not secret)', async () => {
    const open = { ...defaultSecurityConfig, observability: { ...defaultSecurityConfig.observability, stripRoutingHeaders: false }, storage: { ...defaultSecurityConfig.storage, metadataScrubbing: false } };
    const kept = new InMemorySpanExporter();
    const local = new BasicTracerProvider({ spanProcessors: [new ScrubbingSpanProcessor(new SimpleSpanProcessor(kept), open)] });
    const span = local.getTracer('t').startSpan('x', { attributes: { 'agentsec.peer_id': 'bob', 'agentsec.encryption_context': 'purpose,tenant', 'agentsec.protocol': 'Noise_XX_25519_ChaChaPoly_SHA256', key: toHex(p.randomBytes(32)) } });
    span.end();
    const a = kept.getFinishedSpans()[0]!.attributes;
    expect(a['agentsec.peer_id']).toBe('bob');
    expect(a['agentsec.encryption_context']).toBe('purpose,tenant');
    expect(a['agentsec.protocol']).toBe('Noise_XX_25519_ChaChaPoly_SHA256');
    expect(a.key).toBe('[redacted hex 64 chars]');
    await local.shutdown();
  });
});

describe('OpenTelemetry logs through the scrubbing log-record processor', () => {
  it('OBS-023: routing fields are removed and key material redacted in attributes and body', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new ScrubbingLogRecordProcessor(new SimpleLogRecordProcessor({ exporter }), defaultSecurityConfig)] });
    const key = p.randomBytes(32);
    const b = createSecretBook();
    b.add('key', key);
    provider.getLogger('agentsec').emit({ body: `rotated with ${toHex(key)}`, attributes: { peer_id: 'did:key:z6Mk', 'agentsec.kek_version': 3, note: toHex(key) } });
    await provider.forceFlush();
    const [rec] = exporter.getFinishedLogRecords();
    expect(rec!.attributes).toEqual({ 'agentsec.kek_version': 3, note: '[redacted hex 64 chars]' });
    expect(String(rec!.body)).toBe('rotated with [redacted hex 64 chars]');
    expect(b.scan(JSON.stringify({ a: rec!.attributes, b: rec!.body }))).toEqual([]);
    expect(logs).toBeDefined();
    await provider.shutdown();
  });
});
