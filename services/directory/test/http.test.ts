/**
 * HTTP hygiene of the directory (DIR-022..DIR-024) over raw sockets on loopback, and the bounds of
 * its in-memory tables (DIR-011, DIR-015). No assertion depends on timing: the servers' own
 * deadlines are short, and the tests wait for the events they produce.
 */
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentsecError } from '../../../reference/index.js';
import { openSqliteStore } from '../sqlite-store.js';
import { RateLimiter } from '../rate-limit.js';
import { ReplayCache } from '../request-auth.js';
import { startDirectory, type DirectoryLimits, type RunningDirectory } from '../server.js';

const running: RunningDirectory[] = [];
afterAll(async () => {
  for (const d of running) await d.close().catch(() => undefined);
});

async function directory(limits: Partial<DirectoryLimits> = {}): Promise<RunningDirectory> {
  const d = await startDirectory({ store: await openSqliteStore(undefined), limits });
  running.push(d);
  return d;
}

/** Sends raw bytes; resolves with everything the server wrote until it closed the connection. */
function rawSocket(url: string): { socket: Socket; reply: Promise<string> } {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  let got = '';
  socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
  const reply = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(got));
    socket.on('error', () => undefined);
  });
  return { socket, reply };
}

describe('directory HTTP hygiene', () => {
  it('DIR-022: a malformed percent-encoding is a 400 with a typed error, not a 500', async () => {
    const d = await directory();
    for (const path of ['/v1/agents/%ZZ', '/v1/agents/%ZZ/bundle', '/v1/agents/bob%E0%A4%A/messages']) {
      const res = await fetch(`${d.url}${path}`, { method: path.endsWith('bundle') ? 'POST' : 'GET' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { kind: 'decode_failure', reason: 'BAD_ENCODING' } });
    }
    const json = await fetch(`${d.url}/v1/agents/bob/bundles`, { method: 'PUT', body: '{', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: { reason: 'BAD_JSON' } });
    const name = await fetch(`${d.url}/v1/agents/bad%20name`);
    expect(await name.json()).toMatchObject({ error: { reason: 'BAD_NAME' } });
  });

  it('DIR-022: an oversized body gets its complete 413 answer, declared or streamed, before the connection closes', async () => {
    const d = await directory({ maxBodyBytes: 1000 });
    for (const declared of [true, false]) {
      const { port } = new URL(d.url);
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/v1/agents/bob/bundles', headers: { 'content-type': 'application/json', ...(declared ? { 'content-length': '100000' } : {}) } });
      req.on('error', () => undefined);
      const answered = once(req, 'response');
      // Streamed: more than the limit, and the body never ends.
      req.write('{"bundles": ["' + 'ab'.repeat(1000));
      const [res] = (await answered) as [IncomingMessage];
      let body = '';
      for await (const c of res) body += String(c);
      expect(res.statusCode).toBe(413);
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(body)).toMatchObject({ error: { kind: 'policy_reject', reason: 'BODY_TOO_LARGE' } });
      req.destroy();
    }
  });

  it('DIR-023: a body trickled slower than the request deadline gets 408 and the connection closed; so do headers that never end', async () => {
    const d = await directory({ headersTimeoutMs: 400, requestTimeoutMs: 800 });
    const body = rawSocket(d.url);
    body.socket.write('PUT /v1/agents/bob/bundles HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{');
    expect(await body.reply).toMatch(/^HTTP\/1\.1 408/);
    const headers = rawSocket(d.url);
    headers.socket.write('GET /v1/agents/bob HTTP/1.1\r\nHost: x\r\n');
    expect(await headers.reply).toMatch(/^HTTP\/1\.1 408/);
  });

  it('DIR-024: close() lets an in-flight request finish, then closes a request that never finishes once the drain bound passes', async () => {
    const d = await directory({ drainMs: 500, requestTimeoutMs: 60_000, headersTimeoutMs: 60_000 });
    // In flight: headers sent, body not yet.
    const arrived = (n: number) => new Promise<void>((resolve) => {
      let seen = 0;
      d.server.on('request', () => ++seen === n && resolve());
    });
    const both = arrived(2);
    const inflight = rawSocket(d.url);
    inflight.socket.write('PUT /v1/agents/bob/bundles HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n');
    // Stuck: a body that never completes.
    const stuck = rawSocket(d.url);
    stuck.socket.write('PUT /v1/agents/bob/bundles HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{');
    await both;
    const closed = d.close();
    inflight.socket.write('{}');
    const answer = await inflight.reply;
    // Served during the drain: the unsigned request gets its full answer.
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toContain('"UNSIGNED"');
    await closed;
    expect(await stuck.reply).not.toMatch(/^HTTP\/1\.1 200/);
    expect(stuck.socket.destroyed).toBe(true);
  });
});

describe('bounded tables', () => {
  it('DIR-015: the rate-limit table never holds more than its limit, however many clients appear', () => {
    const rl = new RateLimiter(2, 0, 1000);
    for (let i = 0; i < 50_000; i++) rl.take(`agent:${i}`, 0, 'x');
    expect(rl.size).toBe(1000);
    rl.take('agent:hot', 0, 'x');
    rl.take('agent:hot', 0, 'x');
    expect(() => rl.take('agent:hot', 0, 'x')).toThrow(expect.objectContaining({ reason: 'RATE_LIMITED' }) as AgentsecError);
  });

  it('DIR-011: the replay cache refuses a replay, forgets expired nonces, and refuses (never forgets a live nonce) when full', () => {
    const rc = new ReplayCache(3, 1000);
    rc.admit('a', 0);
    expect(() => rc.admit('a', 500)).toThrow(expect.objectContaining({ reason: 'REPLAYED' }) as AgentsecError);
    rc.admit('b', 10);
    rc.admit('c', 20);
    expect(() => rc.admit('d', 30)).toThrow(expect.objectContaining({ reason: 'REPLAY_CACHE_FULL' }) as AgentsecError);
    expect(() => rc.admit('a', 30)).toThrow(expect.objectContaining({ reason: 'REPLAYED' }) as AgentsecError);
    rc.admit('d', 1005); // 'a' expired and was dropped
    expect(rc.size).toBe(3);
  });
});
