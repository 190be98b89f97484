/**
 * kill -9 of `agentsec directory serve` at seeded random points of a stream of acknowledged
 * publications, bundle fetches, mailbox sends and mailbox reads, on each store: after every restart
 * no acknowledged write is lost, no one-time prekey is handed out twice, and no message is
 * delivered again after its acknowledgement was acknowledged.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBundle, utf8 } from '../../../reference/index.js';
import type { DirectoryClient } from '../client.js';
import { dropSchema, p, STORE_KINDS, testAgent, type TestAgent } from './helpers.js';
import { kill9, rng, serve, stopAll, type Served } from './processes.js';

const schemas: (string | undefined)[] = [];
afterAll(async () => {
  await stopAll();
  for (const s of schemas) await dropSchema(s);
});

const ROUNDS = 5;

interface Ledger {
  publishedAcked: Set<string>;
  publishedTried: Set<string>;
  handedOut: string[];
  lostFetches: number;
  sentAcked: Set<string>;
  delivered: Set<string>;
  ackAcked: Set<string>;
  redelivered: string[];
  ops: number;
}

const opkId = (bundle: Uint8Array): string | undefined => {
  const b = decodeBundle(p, bundle);
  return b.oneTimePrekey ? `ec:${b.oneTimePrekey.id}` : undefined;
};

describe.each(STORE_KINDS.filter((k) => k.name !== 'sqlite (node:sqlite)' || !STORE_KINDS.some((x) => x.name === 'sqlite (better-sqlite3)')))('kill -9 on $name', (kind) => {
  it(`DIR-003 DIR-017 DIR-019 DIR-021: ${ROUNDS} kills at random points of a stream: no acked write lost, no one-time prekey handed out twice, no message delivered after its ack`, async () => {
    const f = await kind.fresh();
    schemas.push(f.schema);
    const store = f.schema ? `${f.spec}?schema=${f.schema}` : f.spec;
    const L: Ledger = { publishedAcked: new Set(), publishedTried: new Set(), handedOut: [], lostFetches: 0, sentAcked: new Set(), delivered: new Set(), ackAcked: new Set(), redelivered: [], ops: 0 };
    let s: Served = await serve(store);
    const bob = testAgent(s.url, 'bob');
    const alice = testAgent(s.url, 'alice');
    await bob.client.publish('bob', bob.agent.bundleBatch(0));
    await alice.client.publish('alice', alice.agent.bundleBatch(0));
    let msg = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const seed = 1000 * (round + 1) + kind.name.length;
      const r = rng(seed);
      const killAt = 10 + Math.floor(r() * 40);
      const c = { bob: at(bob, s.url), alice: at(alice, s.url) };
      let acked = 0;
      let killed = false;
      const ack = () => {
        if (++acked === killAt) {
          killed = true;
          s.child.kill('SIGKILL');
        }
      };
      const worker = async (ops: ('publish' | 'fetch' | 'send')[]) => {
        while (!killed) {
          const op = ops[Math.floor(r() * ops.length)]!;
          if (op === 'publish') {
            const batch = bob.agent.bundleBatch(3);
            const ids = batch.map(opkId).filter((x): x is string => x !== undefined);
            for (const id of ids) L.publishedTried.add(id);
            if (!(await attempt(() => c.bob.publish('bob', batch)))) break;
            for (const id of ids) L.publishedAcked.add(id);
          } else if (op === 'fetch') {
            const got = await attempt(() => c.alice.fetchBundle('bob'));
            if (!got) {
              L.lostFetches++;
              break;
            }
            const id = opkId(got.bundle);
            if (id) L.handedOut.push(id);
          } else {
            const id = `m${msg++}`;
            if (!(await attempt(() => c.alice.send('bob', id, utf8(id))))) break;
            L.sentAcked.add(id);
          }
          L.ops++;
          ack();
        }
      };
      const reader = async () => {
        while (!killed) {
          const list = await attempt(() => c.bob.inbox());
          if (!list) break;
          for (const m of list) {
            if (L.ackAcked.has(m.id)) L.redelivered.push(m.id);
            L.delivered.add(m.id);
          }
          if (list.length > 0) {
            if (!(await attempt(() => c.bob.ack(list.map((m) => m.seq))))) break;
            for (const m of list) L.ackAcked.add(m.id);
          }
          L.ops++;
          ack();
        }
      };
      const attempt = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (e) {
          if (killed) return undefined;
          throw e;
        }
      };
      await Promise.all([worker(['publish', 'fetch', 'fetch', 'send']), worker(['fetch', 'send']), worker(['publish', 'send', 'fetch']), reader()]);
      await kill9(s);
      s = await serve(store);
    }
    // After the last restart: drain what is left and settle the ledger.
    const c = { bob: at(bob, s.url), alice: at(alice, s.url) };
    const remaining: string[] = [];
    for (;;) {
      const got = await c.alice.fetchBundle('bob');
      const id = opkId(got.bundle);
      if (!id) break;
      remaining.push(id);
    }
    const queued = await c.bob.inbox(1000);
    for (const m of queued) if (L.ackAcked.has(m.id)) L.redelivered.push(m.id);
    await kill9(s);

    const seen = [...L.handedOut, ...remaining];
    expect(new Set(seen).size, 'a one-time prekey was handed out twice').toBe(seen.length);
    expect(seen.every((id) => L.publishedTried.has(id))).toBe(true);
    const lost = [...L.publishedAcked].filter((id) => !seen.includes(id));
    // Only a fetch whose answer the kill cut off can take an acknowledged bundle out unseen.
    expect(lost.length, `acknowledged bundles missing: ${lost.join(', ')}`).toBeLessThanOrEqual(L.lostFetches);
    const queuedIds = new Set(queued.map((m) => m.id));
    const missing = [...L.sentAcked].filter((id) => !L.delivered.has(id) && !queuedIds.has(id));
    expect(missing, 'acknowledged messages lost').toEqual([]);
    expect(L.redelivered, 'messages delivered again after an acknowledged ack').toEqual([]);
    expect(L.ops).toBeGreaterThan(ROUNDS * 10);
    console.log(`[crash ${kind.name}] kills=${ROUNDS} acked ops=${L.ops} published=${L.publishedAcked.size} handed out=${L.handedOut.length} left=${remaining.length} lost fetch answers=${L.lostFetches} sent=${L.sentAcked.size} acked=${L.ackAcked.size} duplicates=0`);
  }, 900_000);
});

function at(a: TestAgent, url: string): DirectoryClient {
  return testAgent(url, a.name).client.as({ agent: a.name, signingPublic: a.agent.identity.signingPublic, sign: (m) => a.agent.identity.sign(m) });
}
