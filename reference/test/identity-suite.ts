/**
 * The identity test suite every key store runs (KEY-002): the same checks against the software
 * file store, the TPM store and the PKCS#11 store. Each store's test file calls
 * `identityStoreSuite(name, open)` inside its own describe (so its service checks apply).
 */
import { inspect } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { getProvider } from '../crypto/index.js';
import { AgentsecError } from '../errors.js';
import { buildDidDocument, createIdentity, DirectoryContentStore, openIdentity, publishDidDocument, publishIdentity, resolvePublishedDocument, type KeyStore } from '../identity/index.js';

export const provider = getProvider('noble');

export async function expectRejects(p: Promise<unknown> | (() => Promise<unknown>), kind: string, reason?: string): Promise<AgentsecError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (!(e instanceof AgentsecError)) throw e;
    expect(e.kind).toBe(kind);
    if (reason) expect(e.reason).toBe(reason);
    return e;
  }
  throw new Error(`expected an AgentsecError ${kind}${reason ? '/' + reason : ''}`);
}

/** Opens a store over the same backing state each time it is called (a restart). */
export type StoreOpener = () => Promise<KeyStore>;

// The eight small-order u-coordinates' canonical representative: 0 gives an all-zero shared secret.
const LOW_ORDER = new Uint8Array(32);

export function identityStoreSuite(name: string, open: () => StoreOpener): void {
  it(`ID-011 KEY-002 [${name}]: creates an identity whose signatures verify and whose DH agrees with a peer`, async () => {
    const store = await open()();
    try {
      const id = await createIdentity(store, provider);
      expect(id.signingPublic).toHaveLength(32);
      expect(id.agreementPublic).toHaveLength(32);
      expect(id.did.startsWith('did:key:z6Mk')).toBe(true);
      const msg = new TextEncoder().encode(`hello from ${name}`);
      const sig = await id.sign(msg);
      expect(provider.ed25519.verify(id.signingPublic, msg, sig)).toBe(true);
      expect(provider.ed25519.verify(id.signingPublic, new TextEncoder().encode('other'), sig)).toBe(false);
      const peer = provider.x25519.generateKeyPair();
      const mine = await id.dh(peer.publicKey);
      expect(toHex(mine)).toBe(toHex(provider.x25519.dh(peer.privateKey, id.agreementPublic)));
      // Two identities in one store are different keys.
      const id2 = await createIdentity(store, provider);
      expect(toHex(id2.signingPublic)).not.toBe(toHex(id.signingPublic));
      expect(toHex(id2.agreementPublic)).not.toBe(toHex(id.agreementPublic));
      expect((await store.list()).sort()).toEqual([id.handle, id2.handle].sort());
      // The published document carries public keys only and resolves to the same identity.
      const dir = await mkdtemp(join(tmpdir(), 'agentsec-cid-'));
      try {
        const cs = new DirectoryContentStore(dir, provider);
        const { cid } = await publishIdentity(id, cs, provider);
        const r = await resolvePublishedDocument(cid, cs, provider);
        expect(r.did).toBe(id.did);
        expect(r.proven).toBe(true);
        expect(toHex(r.agreementPublic)).toBe(toHex(id.agreementPublic));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await store.close();
    }
  });

  it(`KEY-001 KEY-002 [${name}]: the identity and store expose handles and public keys only`, async () => {
    const store = await open()();
    try {
      const id = await createIdentity(store, provider);
      const json = JSON.stringify(id);
      expect(Object.keys(JSON.parse(json)).sort()).toEqual(['agreementPublic', 'did', 'handle', 'signingPublic', 'store']);
      expect(inspect(id)).toBe(`StoredIdentity(${id.did}, ${store.kind})`);
      expect(inspect(store)).not.toMatch(/[0-9a-f]{64}/);
      // No method of the store hands out key material.
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter((m) => m !== 'constructor');
      for (const m of methods) expect(m).not.toMatch(/export|private|secret|seed|raw/i);
    } finally {
      await store.close();
    }
  });

  it(`KEY-002 [${name}]: keys survive a restart of the store, and delete destroys them`, async () => {
    const opener = open();
    const s1 = await opener();
    const id = await createIdentity(s1, provider);
    const doc = await buildDidDocument(id);
    await s1.close();
    const s2 = await opener();
    try {
      const again = await openIdentity(s2, id.handle, provider);
      expect(toHex(again.signingPublic)).toBe(toHex(id.signingPublic));
      expect(toHex(again.agreementPublic)).toBe(toHex(id.agreementPublic));
      const msg = new Uint8Array([1, 2, 3]);
      expect(provider.ed25519.verify(id.signingPublic, msg, await again.sign(msg))).toBe(true);
      // The document built before the restart still matches the reopened identity.
      const dir = await mkdtemp(join(tmpdir(), 'agentsec-cid-'));
      try {
        const cs = new DirectoryContentStore(dir, provider);
        const cid = await publishDidDocument(doc, cs, provider);
        const r = await resolvePublishedDocument(cid, cs, provider);
        expect(toHex(r.agreementPublic)).toBe(toHex(again.agreementPublic));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await s2.delete(id.handle);
      expect(await s2.list()).not.toContain(id.handle);
      await expectRejects(s2.sign(id.handle, msg), 'state_failure', 'KEY_NOT_FOUND');
      await expectRejects(s2.publicKeys(id.handle), 'state_failure', 'KEY_NOT_FOUND');
      await expectRejects(s2.delete(id.handle), 'state_failure', 'KEY_NOT_FOUND');
    } finally {
      await s2.close();
    }
  });

  it(`KEY-002 [${name}]: bad input is refused with typed errors`, async () => {
    const store = await open()();
    try {
      const id = await createIdentity(store, provider);
      await expectRejects(id.dh(LOW_ORDER), 'policy_reject', 'LOW_ORDER_POINT');
      await expectRejects(id.dh(new Uint8Array(31)), 'decode_failure', 'BAD_LENGTH');
      await expectRejects(store.sign('../../etc/passwd', new Uint8Array(1)), 'decode_failure', 'BAD_HANDLE');
      await expectRejects(openIdentity(store, '00'.repeat(16), provider), 'state_failure', 'KEY_NOT_FOUND');
      // The identity still works after the refusals.
      const m = new Uint8Array([9]);
      expect(provider.ed25519.verify(id.signingPublic, m, await id.sign(m))).toBe(true);
    } finally {
      await store.close();
    }
  });
}
