/**
 * The directory and mailbox on every store (SQLite through each driver the runtime has, and
 * PostgreSQL): the publication rules, each attack refused with its reason and nothing stored, the
 * mailbox. Loopback only; clocks are fake where time matters.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionAgent, toHex, utf8 } from '../../../reference/index.js';
import { agentSigner, DirectoryClient } from '../client.js';
import { startDirectory, type DirectoryOptions, type RunningDirectory } from '../server.js';
import { parseAllowList } from '../registration.js';
import { HEADER } from '../request-auth.js';
import { dropSchema, p, published, refusal, STORE_KINDS, testAgent } from './helpers.js';

const running: RunningDirectory[] = [];
const schemas: (string | undefined)[] = [];
afterAll(async () => {
  for (const d of running) await d.close().catch(() => undefined);
  for (const s of schemas) await dropSchema(s);
});

describe.each(STORE_KINDS)('directory on $name', (kind) => {
  async function directory(extra: Partial<DirectoryOptions> = {}): Promise<RunningDirectory> {
    const f = await kind.fresh();
    schemas.push(f.schema);
    const d = await startDirectory({ store: await f.open(), ...extra });
    running.push(d);
    return d;
  }

  it('DIR-003 DIR-005 DIR-009: hands each one-time bundle out once to signed fetches, then the reusable one; sessions work end to end', async () => {
    const d = await directory();
    const bob = await published(d.url, 'bob', 3);
    const alice = await published(d.url, 'alice');
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { bundle, oneTime, remaining } = await alice.client.fetchBundle('bob');
      expect(oneTime).toBe(true);
      expect(remaining).toBe(2 - i);
      seen.add(toHex(bundle));
      const a = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
      expect(new TextDecoder().decode(bob.agent.decrypt(`a${i}`, a.initiate('bob', bundle, utf8(`hello ${i}`))))).toBe(`hello ${i}`);
    }
    expect(seen.size).toBe(3);
    const fallback = await alice.client.fetchBundle('bob');
    expect(fallback.oneTime).toBe(false);
    expect((await alice.client.fetchBundle('bob')).bundle).toEqual(fallback.bundle);
    expect((await bob.client.info('bob')).single_use_remaining).toBe(0);
  });

  it('DIR-001: a batch with one corrupted bundle is refused whole and stores nothing', async () => {
    const d = await directory();
    const bob = testAgent(d.url, 'bob');
    const list = bob.agent.bundleBatch(2);
    const bad = list[1]!.slice();
    bad[bad.length - 3]! ^= 0x01;
    const e = await refusal(bob.client.publish('bob', [list[0]!, bad, list[2]!]));
    expect(e).toMatchObject({ kind: 'auth_failure', reason: 'BAD_SIGNATURE' });
    expect(e.message).toContain('bundles[1]');
    expect((await refusal(bob.client.info('bob'))).reason).toBe('UNKNOWN_AGENT');
  });

  it('DIR-009: an unsigned publication and a signed one with a swapped body are refused; nothing stored', async () => {
    const d = await directory();
    const bob = testAgent(d.url, 'bob');
    const body = JSON.stringify({ bundles: bob.agent.bundleBatch(1).map(toHex) });
    const res = await fetch(`${d.url}/v1/agents/bob/bundles`, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe('UNSIGNED');
    // A captured signed request with its body replaced.
    const captured = await capture(bob.client, () => bob.client.publish('bob', bob.agent.bundleBatch(1)));
    const other = JSON.stringify({ bundles: bob.agent.bundleBatch(1).map(toHex) });
    const swapped = await fetch(`${d.url}/v1/agents/bob/bundles`, { method: 'PUT', body: other, headers: captured.headers });
    expect(swapped.status).toBe(401);
    expect(((await swapped.json()) as { error: { reason: string } }).error.reason).toBe('BAD_REQUEST_SIGNATURE');
    // Only the captured (genuine) publication of one bundle is stored.
    expect((await bob.client.info('bob')).single_use_remaining).toBe(1);
  });

  it('DIR-011: a replayed signed request is refused; DIR-010: a stale timestamp is refused', async () => {
    let t = 1_000_000_000_000;
    const d = await directory({ now: () => t });
    const bob = testAgent(d.url, 'bob', 'x3dh', { clock: () => t });
    const sent = await capture(bob.client, () => bob.client.publish('bob', bob.agent.bundleBatch(2)));
    expect((await bob.client.info('bob')).single_use_remaining).toBe(2);
    const again = await fetch(`${d.url}/v1/agents/bob/bundles`, { method: 'PUT', body: sent.body, headers: sent.headers });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { reason: string } }).error.reason).toBe('REPLAYED');
    t += d.limits.skewMs + 1;
    const late = await fetch(`${d.url}/v1/agents/bob/bundles`, { method: 'PUT', body: sent.body, headers: sent.headers });
    expect(((await late.json()) as { error: { reason: string } }).error.reason).toBe('CLOCK_SKEW');
    expect((await bob.client.info('bob')).single_use_remaining).toBe(2);
  });

  it('DIR-002 DIR-010: a name is pinned at first publication: another key is refused, mixed or foreign bundles too; nothing stored', async () => {
    const d = await directory();
    const bob = await published(d.url, 'bob', 1);
    const mallory = testAgent(d.url, 'bob');
    expect((await refusal(mallory.client.publish('bob', mallory.agent.bundleBatch(1)))).reason).toBe('KEY_NOT_PINNED');
    // Mallory signs with her own key but uploads bundles of bob's identity (e.g. captured ones).
    expect((await refusal(mallory.client.as(agentSigner('carol', mallory.agent.identity)).publish('carol', bob.agent.bundleBatch(1)))).reason).toBe('KEY_MISMATCH');
    const carol = testAgent(d.url, 'carol');
    expect((await refusal(carol.client.publish('carol', [...carol.agent.bundleBatch(0), ...mallory.agent.bundleBatch(0)]))).reason).toBe('MIXED_IDENTITIES');
    expect((await bob.client.info('bob')).single_use_remaining).toBe(1);
    expect((await refusal(bob.client.info('carol'))).reason).toBe('UNKNOWN_AGENT');
  });

  it('DIR-002 DIR-017: two directories on one store: of concurrent first publications of one name by two identities exactly one wins', async () => {
    const f = await kind.fresh();
    schemas.push(f.schema);
    const a = await startDirectory({ store: await f.open() });
    const b = await startDirectory({ store: await f.open() });
    running.push(a, b);
    for (let round = 0; round < 5; round++) {
      const name = `name-${round}`;
      const x = testAgent(a.url, name), y = testAgent(b.url, name);
      const r = await Promise.allSettled([x.client.publish(name, x.agent.bundleBatch(2)), y.client.publish(name, y.agent.bundleBatch(2))]);
      expect(r.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      const lost = r.find((s) => s.status === 'rejected') as PromiseRejectedResult;
      expect(['KEY_NOT_PINNED', 'IDENTITY_CHANGED']).toContain((lost.reason as { reason: string }).reason);
      const winner = r[0]!.status === 'fulfilled' ? x : y;
      const info = await x.client.info(name);
      expect(info.identity_signing).toBe(toHex(winner.agent.identity.signingPublic));
      expect(info.single_use_remaining).toBe(2);
    }
  });

  it('DIR-013: a handed-out one-time bundle re-posted, the same batch again and a rolled-back signed prekey are refused; nothing stored', async () => {
    const d = await directory();
    const bob = testAgent(d.url, 'bob');
    const alice = await published(d.url, 'alice');
    const first = bob.agent.bundleBatch(2);
    const oldReusable = first[2]!;
    await bob.client.publish('bob', first);
    const out = await alice.client.fetchBundle('bob');
    expect((await refusal(bob.client.publish('bob', [out.bundle]))).reason).toBe('PREKEY_REUSED');
    expect((await refusal(bob.client.publish('bob', first))).reason).toBe('PREKEY_REUSED');
    expect((await refusal(bob.client.publish('bob', [first[1]!, first[1]!]))).reason).toBe('PREKEY_REUSED');
    expect((await bob.client.info('bob')).single_use_remaining).toBe(1);
    bob.agent.rotateSignedPrekey();
    await bob.client.publish('bob', bob.agent.bundleBatch(1));
    expect((await refusal(bob.client.publish('bob', [oldReusable]))).reason).toBe('SIGNED_PREKEY_ROLLBACK');
    // An old-signed-prekey bundle never published before is refused as well.
    expect((await bob.client.info('bob')).single_use_remaining).toBe(2);
    await alice.client.fetchBundle('bob');
    await alice.client.fetchBundle('bob');
    const fallback = await alice.client.fetchBundle('bob');
    expect(fallback.oneTime).toBe(false);
    expect(fallback.bundle).not.toEqual(oldReusable);
  });

  it('DIR-014: batch, stored-bundle and byte quotas refuse the whole batch', async () => {
    const d = await directory({ limits: { maxBatch: 4, maxStoredBundles: 5, maxStoredBytes: 4000 } });
    const bob = testAgent(d.url, 'bob');
    expect((await refusal(bob.client.publish('bob', bob.agent.bundleBatch(4)))).reason).toBe('QUOTA_BATCH');
    await bob.client.publish('bob', bob.agent.bundleBatch(3));
    expect((await refusal(bob.client.publish('bob', bob.agent.bundleBatch(3)))).reason).toBe('QUOTA_BUNDLES');
    expect((await bob.client.info('bob')).single_use_remaining).toBe(3);
    const big = testAgent(d.url, 'big', 'pqxdh');
    expect((await refusal(big.client.publish('big', big.agent.bundleBatch(2)))).reason).toBe('QUOTA_BYTES');
    expect((await refusal(bob.client.info('big'))).reason).toBe('UNKNOWN_AGENT');
  });

  it('DIR-012: registration by token and by allow-list', async () => {
    const token = 'registration-token-0123456789';
    const d = await directory({ registration: { mode: 'token', token } });
    const bob = testAgent(d.url, 'bob');
    expect((await refusal(bob.client.publish('bob', bob.agent.bundleBatch(1)))).reason).toBe('REGISTRATION_REQUIRED');
    const withToken = testAgent(d.url, 'bob', 'x3dh', { token });
    await withToken.client.publish('bob', withToken.agent.bundleBatch(1));
    const good = testAgent('', 'carol');
    const list = parseAllowList(`# agents\ncarol ${toHex(good.agent.identity.signingPublic)}\n`);
    const e = await directory({ registration: list });
    const carol = new DirectoryClient(e.url, { signer: agentSigner('carol', good.agent.identity) });
    await carol.publish('carol', good.agent.bundleBatch(1));
    const dave = testAgent(e.url, 'dave');
    expect((await refusal(dave.client.publish('dave', dave.agent.bundleBatch(1)))).reason).toBe('NOT_ALLOWED');
    const squat = testAgent(e.url, 'carol');
    expect((await refusal(squat.client.publish('carol', squat.agent.bundleBatch(1)))).reason).toBe('KEY_NOT_PINNED');
    expect((await refusal(carol.info('dave'))).reason).toBe('UNKNOWN_AGENT');
  });

  it('DIR-004 DIR-015: fetches over the per-target limit and requests over the per-client limit get 429', async () => {
    let t = 1_000_000_000_000;
    const d = await directory({ now: () => t, limits: { fetchesPerAgent: 2, fetchWindowMs: 1000, clientBurst: 6, clientPerSecond: 1 } });
    const bob = testAgent(d.url, 'bob', 'x3dh', { clock: () => t });
    await bob.client.publish('bob', bob.agent.bundleBatch(5));
    const alice = testAgent(d.url, 'alice', 'x3dh', { clock: () => t });
    await alice.client.publish('alice', alice.agent.bundleBatch(0));
    await alice.client.fetchBundle('bob');
    await alice.client.fetchBundle('bob');
    expect((await refusal(alice.client.fetchBundle('bob'))).reason).toBe('RATE_LIMITED');
    t += 1001;
    expect((await alice.client.fetchBundle('bob')).remaining).toBe(2);
    // alice's bucket (6, +1/s): 4 requests at t, +1.001 tokens, 1 fetch: 2.001 left, so the third read is refused.
    await alice.client.inbox();
    await alice.client.inbox();
    const res = await refusal(alice.client.inbox());
    expect(res.reason).toBe('RATE_LIMITED');
  });

  it('DIR-018 DIR-019 DIR-021: the mailbox: signed sends, arrival order, idempotent ids, only the recipient reads and acks, never delivered again after ack', async () => {
    const d = await directory();
    const bob = await published(d.url, 'bob');
    const alice = await published(d.url, 'alice');
    const carol = await published(d.url, 'carol');
    expect(await alice.client.send('bob', 'm1', utf8('one'))).toEqual({ seq: expect.any(Number), duplicate: false });
    await carol.client.send('bob', 'm1', utf8('two'));
    const first = await alice.client.send('bob', 'm2', utf8('three'));
    expect(await alice.client.send('bob', 'm2', utf8('three'))).toEqual({ seq: first.seq, duplicate: true });
    expect((await refusal(alice.client.send('bob', 'm2', utf8('other')))).reason).toBe('MESSAGE_ID_REUSED');
    expect((await refusal(carol.client.as(agentSigner('bob', carol.agent.identity)).inbox())).reason).toBe('KEY_NOT_PINNED');
    expect((await refusal(unsignedInbox(d.url, 'bob'))).reason).toBe('UNSIGNED');
    const inbox = await bob.client.inbox();
    expect(inbox.map((m) => [m.from, m.id, new TextDecoder().decode(m.message)])).toEqual([['alice', 'm1', 'one'], ['carol', 'm1', 'two'], ['alice', 'm2', 'three']]);
    expect((await refusal(wrongAgentAck(alice, 'bob', inbox[0]!.seq))).reason).toBe('WRONG_AGENT');
    expect(await alice.client.ack([inbox[0]!.seq])).toBe(0); // alice's own mailbox holds no such message
    expect(await bob.client.ack([inbox[0]!.seq, inbox[1]!.seq])).toBe(2);
    expect(await bob.client.ack([inbox[0]!.seq])).toBe(0);
    expect((await bob.client.inbox()).map((m) => m.id)).toEqual(['m2']);
    // A resend of a delivered message is recognised, not queued again.
    expect(await alice.client.send('bob', 'm1', utf8('one'))).toMatchObject({ duplicate: true });
    expect((await bob.client.inbox()).map((m) => m.id)).toEqual(['m2']);
  });

  it('DIR-018 DIR-020: unregistered senders, unknown recipients, oversized messages and full mailboxes are refused; messages expire', async () => {
    let t = 1_000_000_000_000;
    const d = await directory({ now: () => t, limits: { maxQueuedMessages: 2, maxMessageBytes: 100, messageTtlMs: 60_000 } });
    const clock = { clock: () => t };
    const bob = testAgent(d.url, 'bob', 'x3dh', clock);
    await bob.client.publish('bob', bob.agent.bundleBatch(0));
    const alice = testAgent(d.url, 'alice', 'x3dh', clock);
    expect((await refusal(alice.client.send('bob', 'x', utf8('hi')))).reason).toBe('UNKNOWN_SIGNER');
    await alice.client.publish('alice', alice.agent.bundleBatch(0));
    expect((await refusal(alice.client.send('nobody', 'x', utf8('hi')))).reason).toBe('UNKNOWN_AGENT');
    expect((await refusal(alice.client.send('bob', 'x', new Uint8Array(101)))).reason).toBe('QUOTA_MESSAGE');
    await alice.client.send('bob', 'a', utf8('1'));
    await alice.client.send('bob', 'b', utf8('2'));
    expect((await refusal(alice.client.send('bob', 'c', utf8('3')))).reason).toBe('QUOTA_MAILBOX');
    expect((await bob.client.inbox()).map((m) => m.id)).toEqual(['a', 'b']);
    t += 60_001;
    expect(await bob.client.inbox()).toEqual([]);
    await alice.client.send('bob', 'c', utf8('3'));
    expect((await bob.client.inbox()).map((m) => m.id)).toEqual(['c']);
  });
});

describe('directory errors', () => {
  it('DIR-006: refuses a non-loopback database and unknown store specs', async () => {
    const { openStore } = await import('../open-store.js');
    expect((await refusal(openStore('postgres://u:p@10.0.0.1:5432/x'))).reason).toBe('NOT_LOOPBACK');
    expect((await refusal(openStore('mysql://x'))).kind).toBe('decode_failure');
  });

  it('DIR-017: a corrupt SQLite file is refused and left untouched', async () => {
    const { openStore } = await import('../open-store.js');
    const { readFileSync } = await import('node:fs');
    const junk = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-')), 'junk.sqlite');
    writeFileSync(junk, 'not a database, not at all, definitely not a database file');
    expect((await refusal(openStore(`sqlite:${junk}`))).reason).toBe('STORE_CORRUPT');
    expect(readFileSync(junk, 'utf8')).toBe('not a database, not at all, definitely not a database file');
  });
});

/** Runs `fn` with the client's requests recorded; returns the last request's body and headers. */
async function capture(client: DirectoryClient, fn: () => Promise<unknown>): Promise<{ body: string; headers: Record<string, string> }> {
  const real = globalThis.fetch;
  let last: { body: string; headers: Record<string, string> } | undefined;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    last = { body: String(init.body), headers: { ...(init.headers as Record<string, string>) } };
    return real(url, init);
  }) as typeof fetch;
  try {
    await fn();
  } finally {
    globalThis.fetch = real;
  }
  void client;
  expect(last?.headers[HEADER.signature]).toMatch(/^[0-9a-f]{128}$/);
  return last!;
}

async function unsignedInbox(url: string, name: string): Promise<unknown> {
  return new DirectoryClient(url, { signer: { agent: name, signingPublic: new Uint8Array(32), sign: () => new Uint8Array(64) } })
    .inbox()
    .catch(async (e: unknown) => {
      const res = await fetch(`${url}/v1/agents/${name}/messages`);
      const j = (await res.json()) as { error: { kind: 'auth_failure'; reason: string; message: string } };
      void e;
      const { AgentsecError } = await import('../../../reference/index.js');
      throw new AgentsecError(j.error.kind, j.error.reason, j.error.message);
    });
}

/** Alice signs an acknowledgement for bob's mailbox path. */
async function wrongAgentAck(alice: { client: DirectoryClient; agent: SessionAgent }, victim: string, seq: number): Promise<unknown> {
  const c = alice.client.as({ agent: 'alice', signingPublic: alice.agent.identity.signingPublic, sign: (m) => alice.agent.identity.sign(m) });
  // The client acks the signer's own mailbox; aim it at the victim's path by signing as alice for /v1/agents/bob.
  return (c as unknown as { call: (m: string, p: string, b: unknown) => Promise<unknown> }).call('POST', `/v1/agents/${victim}/messages/ack`, { seqs: [seq] });
}
