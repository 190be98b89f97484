/**
 * KEK rings are crash-safe (spec/envelope.md ENV-045, ENV-046): a fault injected at every step of
 * rotate and retire, on every device backend, either as an error the same ring object survives or
 * as a crash after which the ring is reopened from its file. Faults come from test code only: the
 * device driver is wrapped, and a failed metadata write is a real one (the file's path made a folder).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSofthsm, SOFTHSM_INSTALL, softhsmAvailable } from '../../harness/services/softhsm.js';
import { startSwtpm, SWTPM_INSTALL, swtpmAvailable, type SwtpmInstance } from '../../harness/services/swtpm.js';
import { requireService } from '../../vectors/external.js';
import { utf8 } from '../bytes.js';
import { open, seal } from '../envelope/envelope.js';
import { AwsKmsKek, LocalKekRing, pkcs11Backend, SlotKekRing, tpmBackend, type KekSlotBackend } from '../envelope/index.js';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { startKmsServer, type KmsServer } from '../../harness/services/kms/index.js';
import type { KekProvider } from '../envelope/kek.js';

const ctx = { t: 'crash' };
const FAULTS: Record<string, number> = {};
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  console.log(`[kek-crash-safety] injected faults per backend: ${JSON.stringify(FAULTS)}`);
});

/** The metadata file's path turned into a folder: the next atomic write fails, the old content kept aside. */
function breakDisk(path: string): () => void {
  const aside = `${path}.aside`;
  renameSync(path, aside);
  mkdirSync(path);
  writeFileSync(join(path, 'x'), 'x');
  return () => {
    rmSync(path, { recursive: true, force: true });
    renameSync(aside, path);
  };
}

type Op = 'create' | 'destroy';
/** The device driver with one armed fault: before `op` (throws), or after it succeeded (breaks the disk so the next write fails). */
function faulty<H>(b: KekSlotBackend<H>, path: string): { backend: KekSlotBackend<H>; arm: (op: Op, when: 'before' | 'after', nth?: number) => void; restore: () => void } {
  let armed: { op: Op; when: 'before' | 'after'; left: number } | undefined;
  let restoreDisk: (() => void) | undefined;
  const hit = (op: Op, when: 'before' | 'after'): boolean => {
    if (!armed || armed.op !== op || armed.when !== when) return false;
    if (--armed.left > 0) return false;
    armed = undefined;
    return true;
  };
  const backend: KekSlotBackend<H> = {
    kind: b.kind,
    create: async (v) => {
      if (hit('create', 'before')) throw new Error('injected device fault (create)');
      const r = await b.create(v);
      if (hit('create', 'after')) restoreDisk = breakDisk(path);
      return r;
    },
    load: (v, r) => b.load(v, r),
    wrap: (h, d, a) => b.wrap(h, d, a),
    unwrap: (h, w, a) => b.unwrap(h, w, a),
    destroy: async (v, h) => {
      if (hit('destroy', 'before')) throw new Error('injected device fault (destroy)');
      await b.destroy(v, h);
      if (hit('destroy', 'after')) restoreDisk = breakDisk(path);
    },
    ...(b.discover ? { discover: () => b.discover!() } : {}),
    ...(b.release ? { release: (h: H) => b.release!(h) } : {}),
  };
  return {
    backend,
    arm: (op, when, nth = 1) => {
      armed = { op, when, left: nth };
    },
    restore: () => {
      restoreDisk?.();
      restoreDisk = undefined;
    },
  };
}

interface Fixture {
  name: string;
  /** A fresh backend over the same device, and the metadata path. */
  open(path: string, backend?: KekSlotBackend<unknown>): Promise<KekProvider>;
  make(): KekSlotBackend<unknown>;
}

async function sealAll(kek: KekProvider): Promise<{ env: Uint8Array; text: string }[]> {
  return Promise.all([1, 2].map(async (i) => ({ env: await seal(kek, utf8(`m${i}`), ctx), text: `m${i}` })));
}

async function opensAll(kek: KekProvider, envs: { env: Uint8Array; text: string }[]): Promise<void> {
  for (const e of envs) expect(new TextDecoder().decode(await open(kek, e.env, ctx))).toBe(e.text);
}

/** Rotation steps: the write-ahead record, the leftover cleanup, the creation, the commit. */
const ROTATE_FAULTS: { label: string; arm?: [Op, 'before' | 'after', number?]; disk?: true }[] = [
  { label: 'the pending record cannot be written', disk: true },
  { label: 'the device fails the leftover cleanup', arm: ['destroy', 'before'] },
  { label: 'the device fails creating the key', arm: ['create', 'before'] },
  { label: 'the commit cannot be written after the key was made', arm: ['create', 'after'] },
];
const RETIRE_FAULTS: { label: string; arm?: [Op, 'before' | 'after', number?]; disk?: true; committed: boolean }[] = [
  { label: 'the tombstone cannot be written', disk: true, committed: false },
  { label: 'the device fails destroying the key after the tombstone', arm: ['destroy', 'before'], committed: true },
];

function slotSuite(f: Fixture): void {
  const count = () => (FAULTS[f.name] = (FAULTS[f.name] ?? 0) + 1);
  for (const crash of [false, true]) {
    for (const fault of ROTATE_FAULTS) {
      it(`ENV-045 ENV-046: ${f.name}: rotate when ${fault.label} (${crash ? 'crash, then reopen' : 'error, ring kept'})`, async () => {
        const path = join(mkdtempSync(join(tmpdir(), 'agentsec-crash-')), 'kek.json');
        const fx = faulty(f.make(), path);
        const ring = await f.open(path, fx.backend);
        const envs = await sealAll(ring);
        let restore = () => fx.restore();
        if (fault.disk) restore = breakDisk(path);
        else fx.arm(...fault.arm!);
        count();
        await expect(ring.rotate()).rejects.toThrow();
        restore();
        const after = crash ? await f.open(path) : ring;
        expect(await after.currentVersion()).toBe(1);
        expect((await after.versions()).map((v) => [v.version, v.state])).toEqual([[1, 'current']]);
        await opensAll(after, envs);
        // The next rotation works (no leftover device key blocks it) and survives a reopen.
        expect(await after.rotate()).toBe(2);
        const sealed2 = await sealAll(after);
        const again = await f.open(path);
        expect(await again.currentVersion()).toBe(2);
        await opensAll(again, [...envs, ...sealed2]);
      }, 900_000);
    }
    for (const fault of RETIRE_FAULTS) {
      it(`ENV-045 ENV-046: ${f.name}: retire when ${fault.label} (${crash ? 'crash, then reopen' : 'error, ring kept'})`, async () => {
        const path = join(mkdtempSync(join(tmpdir(), 'agentsec-crash-')), 'kek.json');
        const fx = faulty(f.make(), path);
        const ring = await f.open(path, fx.backend);
        const old = await sealAll(ring);
        await ring.rotate();
        const cur = await sealAll(ring);
        let restore = () => fx.restore();
        if (fault.disk) restore = breakDisk(path);
        else fx.arm(...fault.arm!);
        count();
        await expect(ring.retire(1)).rejects.toThrow();
        restore();
        const after = crash ? await f.open(path) : ring;
        expect(await after.currentVersion()).toBe(2);
        await opensAll(after, cur);
        const state = (await after.versions()).find((v) => v.version === 1)!.state;
        if (fault.committed) {
          // The tombstone was written: version 1 is retired for good (never resurrected, never missing).
          expect(state).toBe('retired');
          await expect(open(after, old[0]!.env, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
        } else {
          expect(state).toBe('previous');
          await opensAll(after, old);
        }
        // Retiring again completes it; a reopen agrees.
        await after.retire(1);
        const again = await f.open(path);
        expect((await again.versions()).map((v) => [v.version, v.state])).toEqual([[1, 'retired'], [2, 'current']]);
        await opensAll(again, cur);
      }, 900_000);
    }
  }
}

describe('local KEK ring: a failed or interrupted write changes nothing', () => {
  for (const crash of [false, true]) {
    for (const op of ['rotate', 'retire'] as const) {
      it(`ENV-045: local: ${op} when the ring file cannot be written (${crash ? 'crash, then reopen' : 'error, ring kept'})`, async () => {
        const path = join(mkdtempSync(join(tmpdir(), 'agentsec-crash-')), 'ring.json');
        const ring = LocalKekRing.open({ kekId: 'local:crash', path });
        const old = await sealAll(ring);
        if (op === 'retire') await ring.rotate();
        const restore = breakDisk(path);
        FAULTS.local = (FAULTS.local ?? 0) + 1;
        await expect(op === 'rotate' ? ring.rotate() : ring.retire(1)).rejects.toThrow();
        restore();
        const after = crash ? LocalKekRing.open({ kekId: 'local:crash', path }) : ring;
        expect(await after.currentVersion()).toBe(op === 'rotate' ? 1 : 2);
        await opensAll(after, old);
        if (op === 'rotate') expect(await after.rotate()).toBe(2);
        else await after.retire(1);
        const again = LocalKekRing.open({ kekId: 'local:crash', path });
        expect(await again.currentVersion()).toBe(2);
        if (op === 'rotate') await opensAll(again, old);
        else expect((await again.versions())[0]!.state).toBe('retired');
      });
    }
  }
});

const hasHsm = requireService('SoftHSM2', softhsmAvailable(), SOFTHSM_INSTALL);
const hasTpm = requireService('swtpm', swtpmAvailable(), SWTPM_INSTALL);
const PIN = '246810';
const TOKEN = 'agentsec-crash';
const hsm = hasHsm ? prepareSofthsm() : undefined;
if (hsm) hsm.initToken(TOKEN, PIN);
cleanups.push(() => hsm?.cleanup());

describe.skipIf(!hasHsm)('PKCS#11 KEK ring (SoftHSM2) under faults', () => {
  let n = 0;
  let prefix = '';
  slotSuite({
    name: 'pkcs11',
    make: () => {
      prefix = `crash${++n}`;
      return pkcs11Backend({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: prefix }) as KekSlotBackend<unknown>;
    },
    async open(path, backend) {
      const b = backend ?? (pkcs11Backend({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: prefix }) as KekSlotBackend<unknown>);
      const ring = await SlotKekRing.open(b, { kekId: `pkcs11:${TOKEN}/${prefix}`, path });
      cleanups.push(() => ring.close());
      return ring;
    },
  });
});

describe.skipIf(!hasTpm)('TPM KEK ring (swtpm) under faults', () => {
  let tpm: SwtpmInstance | undefined;
  const address = async () => {
    if (!tpm) {
      tpm = await startSwtpm();
      const t = tpm;
      cleanups.push(() => t.stop());
    }
    return { path: tpm.socketPath };
  };
  let addr: { path: string } | undefined;
  beforeAll(async () => {
    addr = await address();
  });
  slotSuite({
    name: 'tpm',
    make: () => tpmBackend({ address: addr!, name: 'crash' }) as KekSlotBackend<unknown>,
    async open(path, backend) {
      const ring = await SlotKekRing.open(backend ?? (tpmBackend({ address: addr!, name: 'crash' }) as KekSlotBackend<unknown>), { kekId: 'tpm:crash', path });
      return ring;
    },
  });
});

describe('AWS KMS KEK (loopback endpoint, real SDK) under faults', () => {
  const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
  let kms: KmsServer;
  let client: KMSClient;
  beforeAll(async () => {
    kms = await startKmsServer({ mode: 'aws', onDemandRotationLimit: 100 });
    client = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
    cleanups.push(() => kms.close());
  });
  // A clock that stands still: the object asks KMS for new materials only when the test makes it (rotate), never because time passed.
  const connect = (keyId: string, statePath: string) => AwsKmsKek.connect({ keyId, endpoint: kms.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1, statePath, clock: () => 1_000 });
  const fresh = async () => {
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-crash-')), 'aws-kek.json');
    return { keyId, path, kek: await connect(keyId, path) };
  };
  const count = () => (FAULTS.aws = (FAULTS.aws ?? 0) + 1);
  /** Rotation steps: the KMS rotation, reading the key's materials back, writing the state file. */
  const ROTATE: { label: string; arm: (path: string) => () => void; rotatedInKms: boolean }[] = [
    { label: 'KMS fails the rotation', arm: () => (kms.faults.set('RotateKeyOnDemand', { internal: 1 }), () => kms.faults.clear()), rotatedInKms: false },
    { label: 'KMS rotated but reading the materials back fails', arm: () => (kms.faults.set('ListKeyRotations', { internal: 1 }), () => kms.faults.clear()), rotatedInKms: true },
    { label: 'KMS rotated but the state file cannot be written', arm: (path) => breakDisk(path), rotatedInKms: true },
  ];
  for (const crash of [false, true]) {
    for (const fault of ROTATE) {
      it(`ENV-045 ENV-049: aws: rotate when ${fault.label} (${crash ? 'crash, then reopen' : 'error, object kept'})`, async () => {
        const { keyId, path, kek } = await fresh();
        const envs = await sealAll(kek);
        const restore = fault.arm(path);
        count();
        await expect(kek.rotate()).rejects.toThrow();
        restore();
        // The object, or a reopen from the state file, still opens everything and agrees with KMS once it asks again.
        const after = crash ? await connect(keyId, path) : kek;
        await opensAll(after, envs);
        const expected = crash && fault.rotatedInKms ? 2 : 1;
        expect(await after.currentVersion()).toBe(expected);
        // The next rotation works and survives a reopen with nothing lost.
        const next = await after.rotate();
        expect(next).toBe(fault.rotatedInKms ? 3 : 2);
        const sealed2 = await sealAll(after);
        const again = await connect(keyId, path);
        expect(await again.currentVersion()).toBe(next);
        await opensAll(again, [...envs, ...sealed2]);
      }, 900_000);
    }
    it(`ENV-045 ENV-049: aws: retire when the state file cannot be written (${crash ? 'crash, then reopen' : 'error, object kept'})`, async () => {
      const { keyId, path, kek } = await fresh();
      const old = await sealAll(kek);
      await kek.rotate();
      const cur = await sealAll(kek);
      const restore = breakDisk(path);
      count();
      await expect(kek.retire(1)).rejects.toThrow();
      restore();
      const after = crash ? await connect(keyId, path) : kek;
      expect((await after.versions()).map((v) => [v.version, v.state])).toEqual([[1, 'previous'], [2, 'current']]);
      await opensAll(after, [...old, ...cur]);
      await after.retire(1);
      // A retirement is on disk once retire returns: a crash right after it keeps it.
      const again = await connect(keyId, path);
      expect((await again.versions()).map((v) => [v.version, v.state])).toEqual([[1, 'retired'], [2, 'current']]);
      await expect(open(again, old[0]!.env, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
      await opensAll(again, cur);
    }, 900_000);
  }
});
