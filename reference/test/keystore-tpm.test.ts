import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSwtpm, SWTPM_INSTALL, swtpmAvailable, type SwtpmInstance } from '../../harness/services/swtpm.js';
import { requireService } from '../../vectors/external.js';
import { toHex } from '../bytes.js';
import { createIdentity, createTpmKek, decodeRc, loadTpmKek, objectName, openIdentity, sealedTemplate, startSaltedSession, TpmClient, TpmKeyStore, unsealEncrypted } from '../identity/index.js';
import { expectRejects, identityStoreSuite, provider } from './identity-suite.js';

const hasSwtpm = requireService('swtpm', swtpmAvailable(), SWTPM_INSTALL);

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
async function tpm(): Promise<SwtpmInstance> {
  const t = await startSwtpm();
  cleanups.push(() => t.stop());
  return t;
}
/** A UNIX socket relay to `target` that reports when a client's bytes pass through it. */
async function relayTo(target: string, at?: string): Promise<{ path: string; nextClientBytes(): Promise<void>; close(): Promise<void> }> {
  const path = at ?? join(await tempDir(), 'relay.sock');
  let waiter: (() => void) | undefined;
  const open = new Set<{ destroy(): void }>();
  const server = createServer((client) => {
    const upstream = connect(target);
    open.add(client).add(upstream);
    client.on('data', (d) => {
      upstream.write(d);
      waiter?.();
      waiter = undefined;
    });
    upstream.on('data', (d) => client.write(d));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    path,
    nextClientBytes: () => new Promise<void>((r) => (waiter = r)),
    close: () => {
      for (const sock of open) sock.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'agentsec-tpmkeys-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}
const openStore = (t: SwtpmInstance, dir: string, pcrs?: number[]) => TpmKeyStore.open({ address: { path: t.socketPath }, dir, provider, ...(pcrs ? { pcrs } : {}) });

describe('TPM response codes', () => {
  it('KEY-023: format-1 and format-0 codes decode with their subject', () => {
    expect(decodeRc(0x9a2)).toMatchObject({ name: 'TPM_RC_BAD_AUTH', format: 1, subject: { kind: 'session', index: 1 } });
    expect(decodeRc(0x99d)).toMatchObject({ name: 'TPM_RC_POLICY_FAIL', subject: { kind: 'session', index: 1 } });
    expect(decodeRc(0x1df)).toMatchObject({ name: 'TPM_RC_INTEGRITY', subject: { kind: 'parameter', index: 1 } });
    expect(decodeRc(0x18b)).toMatchObject({ name: 'TPM_RC_HANDLE', subject: { kind: 'handle', index: 1 } });
    expect(decodeRc(0x2c4)).toMatchObject({ name: 'TPM_RC_VALUE', subject: { kind: 'parameter', index: 2 } });
    expect(decodeRc(0x100)).toMatchObject({ name: 'TPM_RC_INITIALIZE', format: 0, warning: false });
    expect(decodeRc(0x902)).toMatchObject({ name: 'TPM_RC_OBJECT_MEMORY', warning: true });
    expect(decodeRc(0x921)).toMatchObject({ name: 'TPM_RC_LOCKOUT', warning: true });
    expect(decodeRc(0x500)).toMatchObject({ vendor: true, name: 'TPM_RC_0x500' });
  });
});

describe.skipIf(!hasSwtpm)('TPM 2.0 key store (swtpm child process, UNIX socket)', () => {
  describe('ID-011 KEY-001 KEY-002: the shared identity suite', () => {
    identityStoreSuite('tpm', () => {
      let t: SwtpmInstance | undefined;
      let dir: string | undefined;
      return async () => openStore((t ??= await tpm()), (dir ??= await tempDir()));
    });
  });

  it('KEY-020 KEY-022: keys are sealed (no private bytes in the key file) and every transient handle is flushed', async () => {
    const t = await tpm();
    const dir = await tempDir();
    const store = await openStore(t, dir);
    const id = await createIdentity(store, provider);
    const peer = provider.x25519.generateKeyPair();
    await id.sign(new Uint8Array([1]));
    const shared = await id.dh(peer.publicKey);
    expect(await store.transientHandles()).toEqual([]);
    // The file holds public keys and TPM-encrypted blobs: not the seed, not the X25519 key. The
    // X25519 private key is unknown here, but the shared secret it yields must not appear either.
    const file = toHex(await readFile(join(dir, `${id.handle}.tpmkey`)));
    expect(file).toContain(toHex(id.signingPublic));
    expect(file).not.toContain(toHex(shared));
    await expectRejects(id.dh(new Uint8Array(32)), 'policy_reject', 'LOW_ORDER_POINT');
    expect(await store.transientHandles()).toEqual([]); // flushed on the error path too
    await store.close();
  });

  it('KEY-022: stores and KEKs on one TPM share its single connection; concurrent work never runs out of object slots', async () => {
    const t = await tpm();
    const [s1, s2] = [await openStore(t, await tempDir()), await openStore(t, await tempDir())];
    const kek = await createTpmKek({ address: { path: t.socketPath }, provider });
    const [a, b] = [await createIdentity(s1, provider), await createIdentity(s2, provider)];
    const msg = new Uint8Array([3]);
    const dek = provider.randomBytes(32);
    const results = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).sign(msg)),
      kek.wrap(dek).then((w) => kek.unwrap(w)),
      a.dh(b.agreementPublic),
      b.dh(a.agreementPublic),
    ]);
    expect(toHex(results[7]!)).toBe(toHex(results[8]!));
    expect(toHex(results[6]!)).toBe(toHex(dek));
    expect(await s1.transientHandles()).toEqual([]);
    await kek.close();
    await s1.close();
    // The other store still works after one user released the shared connection.
    expect(provider.ed25519.verify(b.signingPublic, msg, await b.sign(msg))).toBe(true);
    await s2.close();
  });

  it('KEY-013 KEY-020: a corrupted TPM key file gives a clear error and is left unchanged', async () => {
    const t = await tpm();
    const dir = await tempDir();
    const store = await openStore(t, dir);
    const id = await createIdentity(store, provider);
    await store.close();
    const path = join(dir, `${id.handle}.tpmkey`);
    const original = new Uint8Array(await readFile(path));
    // Flip a byte inside the TPM2B_PRIVATE blob: the TPM's integrity check catches it.
    const bad = new Uint8Array(original);
    bad[bad.length - 20]! ^= 1;
    await writeFile(path, bad, { mode: 0o600 });
    const s2 = await openStore(t, dir);
    await expectRejects((await openIdentity(s2, id.handle, provider)).sign(new Uint8Array([1])), 'auth_failure', 'TPM_RC_INTEGRITY');
    expect(toHex(new Uint8Array(await readFile(path)))).toBe(toHex(bad));
    expect(await s2.transientHandles()).toEqual([]);
    await s2.close();
    await writeFile(path, original.subarray(0, 40), { mode: 0o600 });
    const s3 = await openStore(t, dir);
    await expectRejects(s3.publicKeys(id.handle), 'decode_failure', 'KEYFILE_CORRUPT');
    await s3.close();
  });

  it('KEY-027: the unsealed bytes cross the socket encrypted, and a modified response is refused', async () => {
    const t = await tpm();
    const c = await TpmClient.connect({ path: t.socketPath });
    const secret = new TextEncoder().encode('sealed-secret-0123456789abcdef!!');
    const srk = await c.createPrimaryWithPublic();
    const blob = await c.create(srk.handle, sealedTemplate(), { data: secret });
    const seen: Uint8Array[] = [];
    let tamper = false;
    const real = c.command.bind(c);
    c.command = async (...args: Parameters<TpmClient['command']>) => {
      const res = await real(...args);
      if (args[0] === 0x15e) {
        seen.push(new Uint8Array(res.raw));
        if (tamper) res.params.b[res.params.b.length - 1]! ^= 1;
      }
      return res;
    };
    for (const tampered of [false, true]) {
      tamper = tampered;
      const obj = await c.load(srk.handle, blob.priv, blob.pub);
      const enc = await startSaltedSession(c, srk);
      const p = unsealEncrypted(c, obj, objectName(blob.pub), { password: new Uint8Array(0) }, enc);
      if (tampered) await expectRejects(p, 'auth_failure', 'TPM_RESPONSE_HMAC');
      else expect(new TextDecoder().decode(await p)).toBe('sealed-secret-0123456789abcdef!!');
      await c.flushQuietly(obj, enc.handle);
    }
    // What crossed the socket never held the secret in the clear.
    expect(seen).toHaveLength(2);
    for (const raw of seen) expect(Buffer.from(raw).includes(Buffer.from(secret))).toBe(false);
    // The plain Unseal, for contrast, does carry it in the clear.
    const obj = await c.load(srk.handle, blob.priv, blob.pub);
    await c.unseal(obj, { password: new Uint8Array(0) });
    expect(Buffer.from(seen[2]!).includes(Buffer.from(secret))).toBe(true);
    await c.flushQuietly(obj, srk.handle);
    expect(await c.transientHandles()).toEqual([]);
    c.close();
  });

  it('KEY-021 KEY-022: a sealed blob fails to load on another TPM, with a clear error', async () => {
    const [a, b] = [await tpm(), await tpm()];
    const [dirA, dirB] = [await tempDir(), await tempDir()];
    const sa = await openStore(a, dirA);
    const id = await createIdentity(sa, provider);
    await sa.close();
    await copyFile(join(dirA, `${id.handle}.tpmkey`), join(dirB, `${id.handle}.tpmkey`));
    const sb = await openStore(b, dirB);
    const moved = await openIdentity(sb, id.handle, provider); // public keys are readable anywhere
    const e = await expectRejects(moved.sign(new Uint8Array([1])), 'auth_failure', 'TPM_RC_INTEGRITY');
    expect(e.message).toMatch(/TPM2_Load failed with TPM_RC_INTEGRITY .*not made by this TPM/);
    expect(await sb.transientHandles()).toEqual([]);
    await sb.close();
  });

  it('KEY-024: swtpm killed mid-operation -> clear error; after restart the sealed keys load again', async () => {
    const t = await tpm();
    const dir = await tempDir();
    // Through a socket relay, so the test knows when the command has left the store.
    const relay = await relayTo(t.socketPath);
    const store = await TpmKeyStore.open({ address: { path: relay.path }, dir, provider });
    const id = await createIdentity(store, provider);
    t.pause(); // the next command hangs inside the TPM...
    const sent = relay.nextClientBytes();
    // The expectation is attached at once: the rejection may arrive before kill() returns.
    const pending = expectRejects(id.sign(new Uint8Array([7])), 'state_failure', 'TPM_CONNECTION_LOST');
    await sent;
    await t.kill(); // ...and the TPM dies before answering
    const e = await pending;
    expect(e.message).toMatch(/closed before the response to TPM2_\w+ arrived/);
    await relay.close(); // nothing listens now, as with the TPM gone
    await expectRejects(id.sign(new Uint8Array([7])), 'state_failure', 'TPM_UNREACHABLE');
    await t.restart();
    const again2 = await relayTo(t.socketPath, relay.path);
    cleanups.push(() => again2.close());
    // The same store reconnects; the storage key is re-derived from the persisted owner seed.
    const msg = new Uint8Array([8]);
    expect(provider.ed25519.verify(id.signingPublic, msg, await id.sign(msg))).toBe(true);
    await store.close();
    const again = await openIdentity(await openStore(t, dir), id.handle, provider);
    expect(provider.ed25519.verify(id.signingPublic, msg, await again.sign(msg))).toBe(true);
  });

  it('KEY-024 KEY-022: a TPM that stops answering times out with a clear error; the store recovers and flushes what the dead connection left loaded', async () => {
    const t = await tpm();
    const store = await TpmKeyStore.open({ address: { path: t.socketPath }, dir: await tempDir(), provider, timeoutMs: 3_000 });
    const id = await createIdentity(store, provider);
    t.pause();
    const e = await expectRejects(id.sign(new Uint8Array([1])), 'state_failure', 'TPM_TIMEOUT');
    expect(e.message).toMatch(/no response from the TPM within 3000 ms/);
    t.resume();
    const msg = new Uint8Array([2]);
    expect(provider.ed25519.verify(id.signingPublic, msg, await id.sign(msg))).toBe(true);
    expect(await store.transientHandles()).toEqual([]);
    await store.close();
  });

  it('KEY-025: keys sealed to PCR values refuse to unseal after the PCR changes', async () => {
    const t = await tpm();
    const dir = await tempDir();
    const store = await openStore(t, dir, [23]);
    const id = await createIdentity(store, provider);
    const msg = new Uint8Array([5]);
    expect(provider.ed25519.verify(id.signingPublic, msg, await id.sign(msg))).toBe(true);
    await store.close(); // swtpm serves one client at a time
    const c = await TpmClient.connect({ path: t.socketPath });
    await c.pcrExtend(23, provider.hash('SHA-256', msg));
    c.close();
    const s2 = await openStore(t, dir);
    const e = await expectRejects((await openIdentity(s2, id.handle, provider)).sign(msg), 'auth_failure', 'TPM_RC_POLICY_FAIL');
    expect(e.message).toMatch(/PCR values differ/);
    expect(await s2.transientHandles()).toEqual([]); // the failed policy session was flushed
    await s2.close();
    // A TPM reset (startup-clear) returns PCR 23 to its initial value: the key unseals again.
    await t.restart();
    const s3 = await openStore(t, dir);
    expect(provider.ed25519.verify(id.signingPublic, msg, await (await openIdentity(s3, id.handle, provider)).sign(msg))).toBe(true);
    await s3.close();
  });

  it('KEY-026 KEY-027: the TPM KEK wraps and unwraps a DEK (never in the clear on the wire), binds the aad, and only loads on its own TPM', async () => {
    const [a, b] = [await tpm(), await tpm()];
    const kek = await createTpmKek({ address: { path: a.socketPath }, provider });
    const dek = provider.randomBytes(32);
    const aad = new TextEncoder().encode('tenant=7');
    // Record what TPM2_EncryptDecrypt2 sends and receives (KEY-027: the DEK is never on the wire).
    const wire: Uint8Array[] = [];
    const real = TpmClient.prototype.command;
    TpmClient.prototype.command = async function (this: TpmClient, ...args: Parameters<TpmClient['command']>) {
      const res = await real.apply(this, args);
      if (args[0] === 0x193) wire.push(new Uint8Array(args[3]), new Uint8Array(res.raw));
      return res;
    };
    let wrapped: Uint8Array;
    try {
      wrapped = await kek.wrap(dek, aad);
      expect(toHex(await kek.unwrap(wrapped, aad))).toBe(toHex(dek));
    } finally {
      TpmClient.prototype.command = real;
    }
    expect(wire).toHaveLength(4);
    for (const w of wire) expect(toHex(w)).not.toContain(toHex(dek));
    expect(wrapped.length).toBe(1 + 16 + 32 + 32);
    expect(toHex(wrapped)).not.toContain(toHex(dek));
    await expectRejects(kek.unwrap(wrapped, new TextEncoder().encode('tenant=8')), 'auth_failure', 'TPM_KEK_TAG');
    for (const i of [0, 5, 20, 60, 80]) {
      const bad = new Uint8Array(wrapped);
      bad[i]! ^= 1;
      await expectRejects(kek.unwrap(bad, aad), i === 0 ? 'decode_failure' : 'auth_failure');
    }
    const blob = kek.blob;
    expect(JSON.stringify(kek)).not.toContain(toHex(blob).slice(0, 16));
    await kek.close();
    // After a restart of the TPM the stored blob loads and unwraps the old DEK.
    await a.restart();
    const again = await loadTpmKek({ address: { path: a.socketPath }, provider }, blob);
    expect(toHex(await again.unwrap(wrapped, aad))).toBe(toHex(dek));
    await again.close();
    await expectRejects(loadTpmKek({ address: { path: b.socketPath }, provider }, blob), 'auth_failure', 'TPM_RC_INTEGRITY');
  });
});
