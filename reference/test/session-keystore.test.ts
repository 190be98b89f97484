import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { SoftwareKeyStore } from '../identity/index.js';
import { exportAgent, importAgent, keyStoreIdentity, SessionAgent } from '../session/index.js';
import { dec, enc, seededProvider } from './session-fixtures.js';

describe('sessions with an identity held in a key store', () => {
  it('SESS-001: a key-store identity publishes bundles, initiates and accepts sessions; its private keys never reach the session code', async () => {
    const p = seededProvider('keystore');
    const store = new SoftwareKeyStore({ dir: mkdtempSync(join(tmpdir(), 'agentsec-sess-ks-')), provider: p, key: p.randomBytes(32) });
    const created = await store.createIdentityKeys();
    for (const kind of ['x3dh', 'pqxdh'] as const) {
      const stored = SessionAgent.create(p, { kind, oneTimePrekeys: 2, keyStoreIdentity: await keyStoreIdentity(store, created.handle) });
      expect(toHex(stored.identity.signingPublic)).toBe(toHex(created.signingPublic));
      const soft = SessionAgent.create(p, { kind, oneTimePrekeys: 2 });
      // The stored agent as responder.
      const m1 = soft.initiate('stored', await stored.bundleAsync(), enc('to the store'));
      expect(dec(await stored.decryptAsync('soft', m1))).toBe('to the store');
      expect(dec(soft.decrypt('stored', stored.encrypt('soft', enc('from the store'))))).toBe('from the store');
      // The stored agent as initiator.
      const m2 = await stored.initiateAsync('soft2', soft.bundle(), enc('initiated by the store'));
      expect(dec(soft.decrypt('stored2', m2))).toBe('initiated by the store');
      // Without the async path the identity operation is refused, not silently wrong.
      expect(() => stored.bundle()).toThrow(expect.objectContaining({ reason: 'IDENTITY_NOT_PREPARED' }));
      // The record names the identity by its public keys; import needs the store again.
      const key = p.randomBytes(32);
      const rec = exportAgent(p, stored, key);
      expect(() => importAgent(p, rec, key)).toThrow(expect.objectContaining({ reason: 'IDENTITY_REQUIRED' }));
      const back = importAgent(p, rec, key, { keyStoreIdentity: await keyStoreIdentity(store, created.handle) });
      expect(dec(soft.decrypt('stored', back.encrypt('soft', enc('after restore'))))).toBe('after restore');
    }
    await store.close();
  });
});
