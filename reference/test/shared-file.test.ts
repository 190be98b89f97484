import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { CreateKeyCommand, DescribeKeyCommand, KMSClient, ListKeyRotationsCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { startKmsServer } from '../../harness/services/kms/index.js';
import { withFileLock } from '../file-lock.js';
import { LocalKekRing, openPkcs11KekRing } from '../envelope/index.js';
import { prepareSofthsm, SOFTHSM_LIBRARY, softhsmAvailable } from '../../harness/services/softhsm.js';
import { open, seal } from '../envelope/envelope.js';
import { utf8 } from '../bytes.js';

const writer = fileURLToPath(new URL('./fixtures/shared-file-writer.mjs', import.meta.url));
const dir = (): string => mkdtempSync(join(tmpdir(), 'agentsec-shared-'));

/**
 * Runs the writer processes side by side, started together (each says ready, then all get "go"),
 * and returns the changes each acknowledged.
 */
async function writers(args: string[][]): Promise<Record<string, unknown>[][]> {
  const procs = args.map((a) => {
    const p = spawn(process.execPath, [writer, ...a], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: p.stdout! });
    const out: Record<string, unknown>[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      p.once('exit', (code) => reject(new Error(`writer ${a.join(' ')} exited (${code}) before it was ready`)));
      lines.on('line', (l) => {
        const o = JSON.parse(l) as Record<string, unknown>;
        if (o.ready) resolve();
        else out.push(o);
      });
    });
    const exited = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
    return { p, out, ready, exited };
  });
  await Promise.all(procs.map((x) => x.ready));
  for (const x of procs) x.p.stdin!.end('go\n');
  const codes = await Promise.all(procs.map((x) => x.exited));
  expect(codes).toEqual(args.map(() => 0));
  return procs.map(({ out }) => {
    expect(out.at(-1)).toEqual({ done: true });
    return out.slice(0, -1);
  });
}

const ROUNDS = 15;

describe('several processes on one file', () => {
  it('ENV-047: two processes rotating and retiring on one ring file lose no version either acknowledged', async () => {
    const path = join(dir(), 'ring.json');
    const first = LocalKekRing.open({ path });
    const old = await seal(first, utf8('before'), { k: 'v' });
    const [a, b] = await writers([
      ['ring', path, String(ROUNDS)],
      ['ring', path, String(ROUNDS)],
    ]);
    const rotated = [...a!, ...b!].flatMap((l) => (typeof l.rotated === 'number' ? [l.rotated] : []));
    const retired = [...a!, ...b!].flatMap((l) => (typeof l.retired === 'number' ? [l.retired] : []));
    // Every acknowledged rotation made its own version: none was handed out twice.
    expect(new Set(rotated).size).toBe(2 * ROUNDS);
    const ring = LocalKekRing.open({ path });
    const vs = await ring.versions();
    expect(vs.map((v) => v.version)).toEqual(Array.from({ length: 2 * ROUNDS + 1 }, (_, i) => i + 1));
    for (const v of rotated) expect(vs[v - 1]!.version).toBe(v);
    for (const v of retired) expect(vs[v - 1]!.state).toBe('retired');
    expect(vs.at(-1)!.state).toBe('current');
    // The first instance still sees the others' versions: an envelope sealed under the newest opens.
    const fresh = await seal(ring, utf8('after'), { k: 'v' });
    expect(await open(first, fresh, { k: 'v' })).toEqual(utf8('after'));
    await expect(open(ring, old, { k: 'v' })).resolves.toEqual(utf8('before'));
  });

  it.skipIf(!softhsmAvailable())('ENV-048: two processes rotating and retiring on one PKCS#11 (SoftHSM2) ring lose no version either acknowledged (skipped only without SoftHSM2: apt-get install -y softhsm2)', async () => {
    const hsm = prepareSofthsm();
    const token = hsm.initToken(`shared${process.pid}`, '1234');
    const path = join(dir(), 'slots.json');
    const opts = { library: SOFTHSM_LIBRARY, tokenLabel: token, pin: '1234', labelPrefix: 'shared', path };
    const first = await openPkcs11KekRing(opts);
    const old = await seal(first, utf8('before'), { k: 'v' });
    const rounds = 6;
    const [a, b] = await writers([
      ['pkcs11', path, String(rounds), token, 'shared'],
      ['pkcs11', path, String(rounds), token, 'shared'],
    ]);
    const rotated = [...a!, ...b!].flatMap((l) => (typeof l.rotated === 'number' ? [l.rotated] : []));
    const retired = [...a!, ...b!].flatMap((l) => (typeof l.retired === 'number' ? [l.retired] : []));
    expect(new Set(rotated).size).toBe(2 * rounds);
    const ring = await openPkcs11KekRing(opts);
    const vs = await ring.versions();
    expect(vs.map((v) => v.version)).toEqual(Array.from({ length: 2 * rounds + 1 }, (_, i) => i + 1));
    for (const v of retired) expect(vs[v - 1]!.state).toBe('retired');
    expect(vs.at(-1)!.state).toBe('current');
    // The first instance learns the newest version from the file and the token.
    const fresh = await seal(ring, utf8('after'), { k: 'v' });
    expect(await open(first, fresh, { k: 'v' })).toEqual(utf8('after'));
    await expect(open(ring, old, { k: 'v' })).resolves.toEqual(utf8('before'));
    await ring.close();
    await first.close();
  });

  it('KMS-053: two endpoint processes on one --state file lose no key or rotation either acknowledged', async () => {
    const path = join(dir(), 'state.json');
    const seed = await startKmsServer({ statePath: path });
    const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' };
    const shared = (await new KMSClient({ endpoint: seed.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 }).send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await seed.close();
    const [a, b] = await writers([
      ['kms', path, String(ROUNDS), shared],
      ['kms', path, String(ROUNDS), shared],
    ]);
    const created = [...a!, ...b!].flatMap((l) => (typeof l.created === 'string' ? [l.created] : []));
    expect(new Set(created).size).toBe(2 * ROUNDS);
    const after = await startKmsServer({ statePath: path, onDemandRotationLimit: 1000 });
    try {
      const c = new KMSClient({ endpoint: after.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
      for (const id of created) expect((await c.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.KeyId).toBe(id);
      const rots = await c.send(new ListKeyRotationsCommand({ KeyId: shared, Limit: 1000 }));
      expect(rots.Rotations?.length).toBe(2 * ROUNDS);
      expect(after.state.keys.size).toBe(2 * ROUNDS + 1);
    } finally {
      await after.close();
    }
  });

  it('ENV-047 KMS-053: a lock left by a dead process is broken; a live one is waited for', async () => {
    const path = join(dir(), 'f.json');
    // A pid that cannot be alive: beyond the kernel's pid range.
    writeFileSync(`${path}.lock`, '4194305\n');
    expect(await withFileLock(path, () => 'ran')).toBe('ran');
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Held by this (live) process: a second taker waits until the first lets go, then runs.
    const order: string[] = [];
    let release!: () => void;
    const held = withFileLock(path, () => new Promise<void>((r) => (release = r)).then(() => void order.push('first')));
    const waiting = withFileLock(path, () => void order.push('second'));
    await new Promise<void>((r) => setImmediate(r));
    expect(order).toEqual([]);
    release();
    await Promise.all([held, waiting]);
    expect(order).toEqual(['first', 'second']);
    // Waiting has a bound: a lock held past it is FILE_LOCKED.
    let let2!: () => void;
    const holding = withFileLock(path, () => new Promise<void>((r) => (let2 = r)));
    await expect(withFileLock(path, () => 'never', { waitMs: 0 })).rejects.toMatchObject({ kind: 'state_failure', reason: 'FILE_LOCKED' });
    let2();
    await holding;
  });
});
