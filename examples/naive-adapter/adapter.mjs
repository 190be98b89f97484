#!/usr/bin/env node
// agentsec-adapter/1 glue around naive-node.mjs: how a third party exposes its implementation to
// `agentsec conform --impl "node examples/naive-adapter/adapter.mjs"`. Requests arrive one JSON
// object per line on stdin; each gets one response line on stdout; logs go to stderr only.
import { createInterface } from 'node:readline';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { NaiveError, decryptPayload, deriveSessionKeys, encryptPayload, generateIdentity, unwrapFromCloudStorage, wrapForCloudStorage } from './naive-node.mjs';

const objects = new Map();
let nextId = 1;
const put = (kind, value) => {
  const id = `${kind}-${nextId++}`;
  objects.set(id, { kind, value });
  return id;
};
const get = (id, kind) => {
  const o = objects.get(id);
  if (!o || o.kind !== kind) throw new NaiveError('state_failure', `no ${kind} ${id}`);
  return o.value;
};
const hex = (p, name) => {
  const v = p[name];
  if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v)) throw new NaiveError('decode_failure', `param ${name} must be hex`);
  return hexToBytes(v);
};

let kms;

// ---- noise: claims IK and XX, but runs one DH through HKDF whatever the name says ----
// IK: the initiator uses DH(e, rs) at once and the responder DH(s, re) on reading message 1.
// XX: both send an ephemeral key in clear and use DH(e, re). Handshake payloads travel in clear.
function noiseNew(p) {
  const pattern = String(p.protocol ?? '').split('_')[1] ?? '';
  return {
    id: put('noise', {
      ik: pattern.startsWith('IK'),
      initiator: p.initiator === true,
      s: p.s ? hex(p, 's') : randomBytes(32),
      rs: p.rs ? hex(p, 'rs') : undefined,
      e: p.e ? hex(p, 'e') : randomBytes(32),
      re: undefined,
      keys: undefined,
      transcript: [],
    }),
  };
}

function noiseWrite(p) {
  const h = get(p.id, 'noise');
  const payload = hex(p, 'payload');
  if (h.keys) return { message: bytesToHex(encryptPayload(h.keys.sendKey, payload)) };
  const msg = concatBytes(x25519.getPublicKey(h.e), payload);
  h.transcript.push(msg);
  if (h.initiator && h.ik) {
    if (!h.rs) throw new NaiveError('state_failure', 'IK needs the responder static key');
    h.keys = deriveSessionKeys(h.e, h.rs, true);
  } else if (!h.initiator && h.re) {
    h.keys = deriveSessionKeys(h.e, h.re, false);
  }
  return { message: bytesToHex(msg) };
}

function noiseRead(p) {
  const h = get(p.id, 'noise');
  const msg = hex(p, 'message');
  if (h.keys) return { payload: bytesToHex(decryptPayload(h.keys.recvKey, msg)) };
  if (msg.length < 32) throw new NaiveError('decode_failure', 'message too short');
  h.re = msg.slice(0, 32);
  h.transcript.push(msg);
  if (!h.initiator && h.ik) h.keys = deriveSessionKeys(h.s, h.re, false);
  else if (h.initiator) h.keys = deriveSessionKeys(h.e, h.re, true);
  return { payload: bytesToHex(msg.subarray(32)) };
}

function noiseState(p) {
  const h = get(p.id, 'noise');
  if (!h.keys) return { complete: false };
  // Not Noise's h: a hash of the messages only (no protocol name, no prologue, no keys).
  return { complete: true, handshake_hash: bytesToHex(sha256(concatBytes(...h.transcript))) };
}

// ---- session: "x3dh" without prekeys, signatures or ratchet ----
function sessionAgent(p) {
  if (typeof p.name !== 'string') throw new NaiveError('decode_failure', 'name must be a string');
  return { agent: put('agent', { name: p.name, identity: generateIdentity(), sessions: new Map() }) };
}

function sessionBundle(p) {
  const a = get(p.agent, 'agent');
  // Flaw 1: the "signing key" travels as random bytes next to the exchange key; nothing is signed.
  return { bundle: bytesToHex(concatBytes(a.identity.publicKey, a.identity.signingKey)) };
}

function sessionInitiate(p) {
  const a = get(p.agent, 'agent');
  const bundle = hex(p, 'bundle');
  if (bundle.length !== 64) throw new NaiveError('decode_failure', 'bundle must be 64 bytes');
  const e = randomBytes(32);
  const keys = deriveSessionKeys(e, bundle.subarray(0, 32), true);
  a.sessions.set(p.peer, keys);
  const first = concatBytes(Uint8Array.of(1), x25519.getPublicKey(e), encryptPayload(keys.sendKey, hex(p, 'plaintext')));
  return { message: bytesToHex(first) };
}

function sessionEncrypt(p) {
  const a = get(p.agent, 'agent');
  const keys = a.sessions.get(p.peer);
  if (!keys) throw new NaiveError('state_failure', `no session with ${p.peer}`);
  return { message: bytesToHex(concatBytes(Uint8Array.of(2), encryptPayload(keys.sendKey, hex(p, 'plaintext')))) };
}

function sessionDecrypt(p) {
  const a = get(p.agent, 'agent');
  const m = hex(p, 'message');
  if (m[0] === 1 && m.length >= 33) {
    const keys = deriveSessionKeys(a.identity.exchangeKey, m.subarray(1, 33), false);
    const pt = decryptPayload(keys.recvKey, m.subarray(33));
    a.sessions.set(p.peer, keys);
    return { plaintext: bytesToHex(pt) };
  }
  const keys = a.sessions.get(p.peer);
  if (!keys) throw new NaiveError('state_failure', `no session with ${p.peer}`);
  if (m[0] !== 2) throw new NaiveError('decode_failure', 'unknown message type');
  // Flaw 4: the same key forever, no counter: replays and old messages decrypt.
  return { plaintext: bytesToHex(decryptPayload(keys.recvKey, m.subarray(1))) };
}

function sessionExport(p) {
  const a = get(p.agent, 'agent');
  // Flaw 5: identity only; the sessions ("ratchet state") are not serialized.
  return { state: bytesToHex(Buffer.from(JSON.stringify({ name: a.name, signingKey: bytesToHex(a.identity.signingKey), exchangeKey: bytesToHex(a.identity.exchangeKey) }))) };
}

function sessionImport(p) {
  const s = JSON.parse(Buffer.from(hex(p, "state")).toString("utf8"));
  const exchangeKey = hexToBytes(s.exchangeKey);
  return { agent: put('agent', { name: s.name, identity: { signingKey: hexToBytes(s.signingKey), exchangeKey, publicKey: x25519.getPublicKey(exchangeKey) }, sessions: new Map() }) };
}

// ---- envelope: the KMS from hello wraps the DEK; the payload nonce is lost ----
async function envelopeSeal(p) {
  const { encryptedPayload, wrappedKey } = await wrapForCloudStorage(hex(p, 'plaintext'), kms);
  const len = Uint8Array.of(wrappedKey.length >> 8, wrappedKey.length & 0xff);
  return { envelope: bytesToHex(concatBytes(len, wrappedKey, encryptedPayload)) };
}

function splitEnvelope(p) {
  const env = hex(p, 'envelope');
  const n = ((env[0] ?? 0) << 8) | (env[1] ?? 0);
  if (env.length < 2 + n + 16) throw new NaiveError('decode_failure', 'envelope too short');
  return { wrappedKey: env.subarray(2, 2 + n), encryptedPayload: env.subarray(2 + n) };
}

async function envelopeOpen(p) {
  return { plaintext: bytesToHex(await unwrapFromCloudStorage(splitEnvelope(p), kms)) };
}

async function envelopeRewrap(p) {
  const { wrappedKey, encryptedPayload } = splitEnvelope(p);
  const dek = await kms.decryptKey(wrappedKey);
  const rewrapped = await kms.encryptKey(dek);
  const len = Uint8Array.of(rewrapped.length >> 8, rewrapped.length & 0xff);
  return { envelope: bytesToHex(concatBytes(len, rewrapped, encryptedPayload)) };
}

function hello(p) {
  const k = p.services?.kms;
  if (k) {
    const client = new KMSClient({ endpoint: k.endpoint, region: k.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    kms = {
      encryptKey: async (dek) => new Uint8Array((await client.send(new EncryptCommand({ KeyId: k.key_id, Plaintext: dek }))).CiphertextBlob),
      decryptKey: async (blob) => {
        try {
          return new Uint8Array((await client.send(new DecryptCommand({ KeyId: k.key_id, CiphertextBlob: blob }))).Plaintext);
        } catch (e) {
          throw new NaiveError('auth_failure', `KMS refused: ${e.name}`);
        }
      },
    };
  }
  return {
    name: 'naive-agent-node',
    version: '0.0.1',
    protocol: 1,
    capabilities: {
      noise: { patterns: ['IK', 'XX'], dh: ['25519'], cipher: ['ChaChaPoly', 'AESGCM'], hash: ['SHA256'], fixed_ephemeral: true, rekey: false, set_nonce: false },
      session: { kinds: ['x3dh'], export: true },
      ...(kms ? { envelope: { kms: ['aws'] } } : {}),
    },
  };
}

const methods = {
  hello,
  free: (p) => (objects.delete(p.id) ? {} : Promise.reject(new NaiveError('state_failure', `no object ${p.id}`))),
  'noise.new': noiseNew,
  'noise.write': noiseWrite,
  'noise.read': noiseRead,
  'noise.state': noiseState,
  'session.agent': sessionAgent,
  'session.bundle': sessionBundle,
  'session.initiate': sessionInitiate,
  'session.encrypt': sessionEncrypt,
  'session.decrypt': sessionDecrypt,
  'session.export': sessionExport,
  'session.import': sessionImport,
  'envelope.seal': envelopeSeal,
  'envelope.open': envelopeOpen,
  'envelope.rewrap': envelopeRewrap,
};

async function handle(req) {
  const method = methods[req.method];
  if (!method) return { error: { code: -32601, message: `unknown method ${req.method}` } };
  try {
    return { result: await method(req.params ?? {}) };
  } catch (e) {
    const kind = e instanceof NaiveError ? e.kind : 'internal';
    if (!(e instanceof NaiveError)) process.stderr.write(`naive adapter: ${req.method}: ${e.stack ?? e}\n`);
    return { error: { code: -32000, message: e.message, data: { kind } } };
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })}\n`);
    continue;
  }
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: req.id ?? null, ...(await handle(req)) })}\n`);
}
