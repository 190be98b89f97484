/**
 * Two `agentsec directory serve` processes on one SQLite file and on one PostgreSQL database,
 * under concurrent clients talking to both: no one-time prekey handed out twice, none lost, one
 * winner per contested name, idempotent message ids across processes, nothing delivered after an
 * acknowledged ack.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBundle, toHex, utf8 } from '../../../reference/index.js';
import { agentSigner, DirectoryClient } from '../client.js';
import { dropSchema, p, STORE_KINDS, testAgent } from './helpers.js';
import { kill9, serve, stopAll } from './processes.js';

const schemas: (string | undefined)[] = [];
afterAll(async () => {
  await stopAll();
  for (const s of schemas) await dropSchema(s);
});

const BATCHES = 10;
const PER_BATCH = 10;
const MESSAGES = 40;

describe.each(STORE_KINDS.filter((k) => k.name !== 'sqlite (node:sqlite)' || !STORE_KINDS.some((x) => x.name === 'sqlite (better-sqlite3)')))('two directory processes on $name', (kind) => {
  it('DIR-003 DIR-017 DIR-002 DIR-019 DIR-021: concurrent clients on both processes: every one-time prekey handed out once, one winner per contested name, each message stored once and never delivered after its ack', async () => {
    const f = await kind.fresh();
    schemas.push(f.schema);
    const store = f.schema ? `${f.spec}?schema=${f.schema}` : f.spec;
    const [a, b] = await Promise.all([serve(store), serve(store)]);
    const urls = [a.url, b.url];
    const via = (who: { name: string; agent: { identity: { signingPublic: Uint8Array; sign(m: Uint8Array): Uint8Array } } }, i: number) =>
      new DirectoryClient(urls[i % 2]!, { signer: agentSigner(who.name, who.agent.identity) });
    const bob = testAgent(a.url, 'bob');
    const fetchers = ['alice', 'carol', 'dave'].map((n) => testAgent(urls[n.length % 2]!, n));
    await bob.client.publish('bob', bob.agent.bundleBatch(0));
    await Promise.all(fetchers.map((x) => x.client.publish(x.name, x.agent.bundleBatch(0))));

    // Publications through both processes, fetches through both, and contested first publications, all at once.
    const batches = Array.from({ length: BATCHES }, () => bob.agent.bundleBatch(PER_BATCH));
    const published = new Set(batches.flat().map((x) => decodeBundle(p, x).oneTimePrekey?.id).filter((x) => x !== undefined));
    const handed: number[] = [];
    const fetchLoop = async (who: (typeof fetchers)[number], k: number) => {
      for (let i = 0; i < 40; i++) {
        const r = await via(who, i + k).fetchBundle('bob');
        const id = decodeBundle(p, r.bundle).oneTimePrekey?.id;
        if (id !== undefined) handed.push(id);
      }
    };
    const contested = Array.from({ length: 6 }, (_, i) => `contested-${i}`);
    const claims = contested.flatMap((name) => [0, 1].map((i) => testAgent(urls[i]!, name)));
    const claimResults = Promise.allSettled(claims.map((c) => c.client.publish(c.name, c.agent.bundleBatch(1))));
    await Promise.all([...batches.map((batch, i) => via(bob, i).publish('bob', batch)), ...fetchers.map((x, k) => fetchLoop(x, k))]);
    // Drain the rest through both processes.
    for (let i = 0; ; i++) {
      const r = await via(fetchers[0]!, i).fetchBundle('bob');
      const id = decodeBundle(p, r.bundle).oneTimePrekey?.id;
      if (id === undefined) break;
      handed.push(id);
    }
    expect(new Set(handed).size, 'a one-time prekey was handed out twice').toBe(handed.length);
    expect(new Set(handed)).toEqual(published);

    const settled = await claimResults;
    for (let i = 0; i < contested.length; i++) {
      const pair = settled.slice(2 * i, 2 * i + 2);
      expect(pair.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      const winner = claims[2 * i + pair.findIndex((s) => s.status === 'fulfilled')]!;
      expect((await bob.client.info(contested[i]!)).identity_signing).toBe(toHex(winner.agent.identity.signingPublic));
    }

    // Mailbox: every message sent twice, once through each process, concurrently.
    const sends = fetchers.flatMap((x) => Array.from({ length: MESSAGES }, (_, i) => [0, 1].map((k) => via(x, k).send('bob', `${x.name}-${i}`, utf8(`${x.name} ${i}`)))).flat());
    const sent = await Promise.all(sends);
    expect(sent.filter((s) => !s.duplicate)).toHaveLength(fetchers.length * MESSAGES);
    const acked = new Set<string>();
    const delivered: string[] = [];
    const seqs: number[] = [];
    for (let i = 0; ; i++) {
      const list = await via(bob, i).inbox(17);
      if (list.length === 0) break;
      for (const m of list) {
        expect(acked.has(`${m.from}/${m.id}`), `${m.from}/${m.id} delivered after its ack`).toBe(false);
        delivered.push(`${m.from}/${m.id}`);
        seqs.push(m.seq);
      }
      expect(await via(bob, i + 1).ack(list.map((m) => m.seq))).toBe(list.length);
      for (const m of list) acked.add(`${m.from}/${m.id}`);
    }
    expect(delivered).toHaveLength(fetchers.length * MESSAGES);
    expect(new Set(delivered).size).toBe(delivered.length);
    // In arrival order: the store's sequence numbers only grow from one read to the next.
    expect(seqs).toEqual([...seqs].sort((u, v) => u - v));
    await Promise.all([kill9(a), kill9(b)]);
    console.log(`[two-process ${kind.name}] bundles=${published.size} handed out=${handed.length} duplicates=0 contested names=${contested.length} one winner each; messages=${delivered.length} (sent twice each) delivered once, 0 after ack`);
  }, 900_000);
});
