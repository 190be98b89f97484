import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentsecError, getProvider, SessionAgent, utf8 } from '../../reference/index.js';
import { DirectoryClient } from '../../services/directory/client.js';
import { openStore } from '../../services/directory/open-store.js';
import { startDirectory, type RunningDirectory } from '../../services/directory/server.js';
import { requireService } from '../../vectors/external.js';

const p = getProvider('node');
const dirs: RunningDirectory[] = [];
afterAll(async () => {
  for (const d of dirs) await d.close().catch(() => undefined);
});

async function directory(store?: string, extra: Partial<Parameters<typeof startDirectory>[0]> = {}): Promise<{ d: RunningDirectory; c: DirectoryClient }> {
  const d = await startDirectory({ store: await openStore(store), provider: p, ...extra });
  dirs.push(d);
  return { d, c: new DirectoryClient(d.url) };
}

/** An agent's bundles: `n` carrying one-time prekeys, then the reusable fallback. */
function bundles(agent: SessionAgent, n: number): Uint8Array[] {
  return Array.from({ length: n + 1 }, () => agent.bundle());
}

async function refusal(pr: Promise<unknown>): Promise<AgentsecError> {
  const e = await pr.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(AgentsecError);
  return e as AgentsecError;
}

describe('prekey directory', () => {
  it('DIR-003 DIR-005: hands each one-time bundle out once, then the reusable one; sessions from fetched bundles work end to end', async () => {
    const { c } = await directory();
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 3 });
    const r = await c.publish('bob', bundles(bob, 3));
    expect(r).toEqual({ stored: 4, single_use: 3, reusable: true });
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { bundle, oneTime, remaining } = await c.fetchBundle('bob');
      expect(oneTime).toBe(true);
      expect(remaining).toBe(2 - i);
      seen.add(Buffer.from(bundle).toString('hex'));
      const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
      const m = alice.initiate('bob', bundle, utf8(`hello ${i}`));
      expect(new TextDecoder().decode(bob.decrypt(`alice${i}`, m))).toBe(`hello ${i}`);
    }
    expect(seen.size).toBe(3);
    const fallback = await c.fetchBundle('bob');
    expect(fallback.oneTime).toBe(false);
    expect((await c.fetchBundle('bob')).bundle).toEqual(fallback.bundle);
    expect((await c.info('bob')).single_use_remaining).toBe(0);
  });

  it('DIR-001: a batch with one corrupted bundle is refused whole and stores nothing', async () => {
    const { c } = await directory();
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 2 });
    const list = bundles(bob, 2);
    const bad = list[1]!.slice();
    bad[bad.length - 3]! ^= 0x01;
    const e = await refusal(c.publish('bob', [list[0]!, bad, list[2]!]));
    expect(e.kind).toBe('auth_failure');
    expect(e.message).toContain('bundles[1]');
    expect((await refusal(c.info('bob'))).kind).toBe('state_failure');
  });

  it('DIR-002: identity keys are pinned at first publication', async () => {
    const { c } = await directory();
    await c.publish('bob', bundles(SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 }), 1));
    const impostor = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 });
    const e = await refusal(c.publish('bob', bundles(impostor, 1)));
    expect(e.reason).toBe('IDENTITY_CHANGED');
    expect((await c.info('bob')).single_use_remaining).toBe(1);
    const mixed = await refusal(c.publish('carol', [...bundles(SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 1 }), 0), ...bundles(impostor, 0)]));
    expect(mixed.reason).toBe('MIXED_IDENTITIES');
  });

  it('DIR-004: fetches over the per-agent limit are refused with 429', async () => {
    let t = 1000;
    const { d, c } = await directory(undefined, { rateLimit: { fetches: 2, windowMs: 1000 }, now: () => t });
    await c.publish('bob', bundles(SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 5 }), 5));
    await c.fetchBundle('bob');
    await c.fetchBundle('bob');
    const res = await fetch(`${d.url}/v1/agents/bob/bundle`, { method: 'POST' });
    expect(res.status).toBe(429);
    t += 1001;
    expect((await c.fetchBundle('bob')).remaining).toBe(2);
  });

  it('DIR-003: a SQLite store keeps what was handed out across a restart; a corrupt file is refused and left untouched', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-')), 'dir.sqlite');
    const first = await directory(`sqlite:${path}`);
    const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 2 });
    await first.c.publish('bob', bundles(bob, 2));
    const one = await first.c.fetchBundle('bob');
    await first.d.close();
    dirs.splice(dirs.indexOf(first.d), 1);
    const second = await directory(`sqlite:${path}`);
    const two = await second.c.fetchBundle('bob');
    expect(two.oneTime).toBe(true);
    expect(two.remaining).toBe(0);
    expect(two.bundle).not.toEqual(one.bundle);
    const junk = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-')), 'junk.sqlite');
    writeFileSync(junk, 'not a database');
    const e = await refusal(openStore(`sqlite:${junk}`));
    expect(e.reason).toBe('STORE_CORRUPT');
    expect(readFileSync(junk, 'utf8')).toBe('not a database');
  });

  it('DIR-006: refuses a non-loopback database and malformed requests', async () => {
    expect((await refusal(openStore('postgres://u:p@10.0.0.1:5432/x'))).reason).toBe('NOT_LOOPBACK');
    expect((await refusal(openStore('mysql://x'))).kind).toBe('decode_failure');
    const { d } = await directory();
    expect((await fetch(`${d.url}/v1/agents/bad%20name`)).status).toBe(400);
    expect((await fetch(`${d.url}/v1/agents/bob/bundles`, { method: 'PUT', body: '{' })).status).toBe(400);
    expect(new URL(d.url).hostname).toBe('127.0.0.1');
  });

  const pgUrl = process.env.AGENTSEC_POSTGRES_URL;
  const havePg = requireService('PostgreSQL (AGENTSEC_POSTGRES_URL)', Boolean(pgUrl), 'apt-get install postgresql; .ci/run starts it and sets AGENTSEC_POSTGRES_URL');
  describe.skipIf(!havePg)('PostgreSQL store', () => {
    it('DIR-003: two directory processes sharing one database never hand out the same one-time bundle', async () => {
      const a = await directory(pgUrl);
      const b = await directory(pgUrl);
      const name = `bob-${Date.now()}`;
      await a.c.publish(name, bundles(SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 20 }), 20));
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a.c : b.c).fetchBundle(name)));
      expect(got.every((g) => g.oneTime)).toBe(true);
      expect(new Set(got.map((g) => Buffer.from(g.bundle).toString('hex'))).size).toBe(20);
      expect((await b.c.fetchBundle(name)).oneTime).toBe(false);
    });
  });
});
