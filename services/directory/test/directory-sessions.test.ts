/** Agents reaching each other through the prekey directory: publication, offline restore, rotation; and the directory CLI across restarts. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentsecError, decodeBundle, exportAgent, getProvider, importAgent, SessionAgent, SIGNED_PREKEY_GRACE_MS, utf8 } from '../../../reference/index.js';
import { agentSigner, DirectoryClient } from '../client.js';
import { openStore } from '../open-store.js';
import { PUBLISH_CHUNK, publishToDirectory } from '../publish.js';
import { startDirectory, type RunningDirectory } from '../server.js';
import { serve, stopAll } from './processes.js';

const p = getProvider('node');
/** A client signing as `name` with `agent`'s identity. */
const as = (url: string, name: string, agent: SessionAgent): DirectoryClient => new DirectoryClient(url, { signer: agentSigner(name, agent.identity) });
/** A registered agent that only fetches. */
async function fetcher(url: string, name: string): Promise<DirectoryClient> {
  const a = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
  const c = as(url, name, a);
  await c.publish(name, a.bundleBatch(0));
  return c;
}
const KEY = p.randomBytes(32);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const dirs: RunningDirectory[] = [];
afterAll(async () => {
  for (const d of dirs) await d.close().catch(() => undefined);
  await stopAll();
});

describe('sessions through the directory', () => {
  it('DIR-007 SESS-008 X3DH-019 X3DH-018: bob publishes and goes offline, alice sends 3 messages, bob restores and decrypts them in reverse order; retired-SPK bundles are refused after the grace period', async () => {
    const d = await startDirectory({ store: await openStore('sqlite:'), provider: p });
    dirs.push(d);
    const client = await fetcher(d.url, 'initiators');
    const time = { now: 1_800_000_000_000 };
    const clock = (): number => time.now;

    let saved: Uint8Array | undefined;
    {
      // Bob exists only in this block: afterwards he is offline and only his saved record remains.
      const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0, clock });
      const r = await publishToDirectory(bob, as(d.url, 'bob', bob), 'bob', 3, { persist: (a) => void (saved = exportAgent(p, a, KEY)) });
      expect(r).toEqual({ stored: 4, single_use: 3, reusable: true });
      expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 0, oneTimeHeld: 3, pqOneTimeHeld: 3 });
    }

    const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    const fetched = await client.fetchBundle('bob');
    expect(fetched).toMatchObject({ oneTime: true, remaining: 2 });
    const sent = [alice.initiate('bob', fetched.bundle, utf8('one')), alice.encrypt('bob', utf8('two')), alice.encrypt('bob', utf8('three'))];

    const restored = importAgent(p, saved!, KEY, { clock });
    expect(restored.prekeyStatus().oneTimeHeld).toBe(3);
    expect([...sent].reverse().map((m) => text(restored.decrypt('alice', m)))).toEqual(['three', 'two', 'one']);
    expect(restored.prekeyStatus()).toMatchObject({ oneTimeHeld: 2, pqOneTimeHeld: 2 });
    expect(text(alice.decrypt('bob', restored.encrypt('alice', utf8('got all three'))))).toBe('got all three');

    // Rotation: new bundles go to the directory behind the two old ones still queued there.
    const oldSpk = restored.prekeyStatus().signedPrekeyId;
    restored.rotateSignedPrekey();
    await publishToDirectory(restored, as(d.url, 'bob', restored), 'bob', 2);
    time.now += SIGNED_PREKEY_GRACE_MS;
    restored.prune();
    expect(restored.prekeyStatus().previousSignedPrekeys).toEqual([]);

    const carol = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    const stale = await client.fetchBundle('bob');
    expect(decodeBundle(p, stale.bundle).signedPrekey.id).toBe(oldSpk);
    const refused = (() => {
      try {
        restored.decrypt('carol', carol.initiate('bob', stale.bundle, utf8('stale bundle')));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(AgentsecError);
    expect(refused).toMatchObject({ kind: 'state_failure', reason: 'SIGNED_PREKEY_RETIRED' });
    expect((refused as AgentsecError).message).toMatch(/grace period is over.*fetch a fresh bundle/);

    // The other old one is stale too; the next is on the new signed prekey and works.
    await client.fetchBundle('bob');
    const fresh = await client.fetchBundle('bob');
    expect(decodeBundle(p, fresh.bundle).signedPrekey.id).toBe(restored.prekeyStatus().signedPrekeyId);
    const dave = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
    expect(text(restored.decrypt('dave', dave.initiate('bob', fresh.bundle, utf8('fresh bundle'))))).toBe('fresh bundle');
  });
});

describe('publishToDirectory', () => {
  it('DIR-007: a batch larger than one request is sent in chunks; the directory receives every bundle once', async () => {
    const d = await startDirectory({ store: await openStore('sqlite:'), provider: p });
    dirs.push(d);
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    const client = as(d.url, 'bob', bob);
    expect(await publishToDirectory(bob, client, 'bob', PUBLISH_CHUNK + 10)).toEqual({ stored: PUBLISH_CHUNK + 11, single_use: PUBLISH_CHUNK + 10, reusable: true });
    expect(await client.info('bob')).toMatchObject({ single_use_remaining: PUBLISH_CHUNK + 10, has_reusable: true });
    expect(bob.prekeyStatus()).toMatchObject({ oneTimeAvailable: 0, oneTimeHeld: PUBLISH_CHUNK + 10 });
  });
});

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('agentsec directory serve', () => {
  it('DIR-008 DIR-003: the CLI prints its URL, stops on SIGTERM, and a restart on the same SQLite file keeps the remaining bundles', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agentsec-dir-cli-')), 'directory.sqlite');
    const bob = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });

    const first = await serve(`sqlite:${file}`, {});
    const c1 = as(first.url, 'bob', bob);
    expect(await publishToDirectory(bob, c1, 'bob', 3)).toEqual({ stored: 4, single_use: 3, reusable: true });
    const b1 = await (await fetcher(first.url, 'initiators')).fetchBundle('bob');
    expect(b1).toMatchObject({ oneTime: true, remaining: 2 });
    expect(await stop(first.child)).toBe(0);

    const second = await serve(`sqlite:${file}`, {});
    const c2 = as(second.url, 'bob', bob);
    expect(await c2.info('bob')).toMatchObject({ single_use_remaining: 2, has_reusable: true });
    const b2 = await c2.fetchBundle('bob');
    expect(b2).toMatchObject({ oneTime: true, remaining: 1 });
    // Not the bundle handed out before the restart.
    expect(decodeBundle(p, b2.bundle).oneTimePrekey!.id).not.toBe(decodeBundle(p, b1.bundle).oneTimePrekey!.id);
    const alice = SessionAgent.create(p, { kind: 'x3dh', oneTimePrekeys: 0 });
    expect(text(bob.decrypt('alice', alice.initiate('bob', b2.bundle, utf8('via restarted directory'))))).toBe('via restarted directory');
    expect(await stop(second.child)).toBe(0);
  }, 900_000);
});
