import { afterAll, describe, expect, it } from 'vitest';
import { prepareSofthsm, SOFTHSM_INSTALL, softhsmAvailable } from '../../harness/services/softhsm.js';
import { requireService } from '../../vectors/external.js';
import { toHex } from '../bytes.js';
import { createIdentity, createPkcs11Kek, openIdentity, Pkcs11KeyStore } from '../identity/index.js';
import { expectRejects, identityStoreSuite, provider } from './identity-suite.js';

const hasHsm = requireService('SoftHSM2', softhsmAvailable(), SOFTHSM_INSTALL);
const PIN = '123456';

// Every token this file uses is made before the first session: SoftHSM scans its folder at init.
const env = hasHsm ? prepareSofthsm() : undefined;
const TOKENS = { suite: 'agentsec-suite', checks: 'agentsec-checks', pin: 'agentsec-pin', kek: 'agentsec-kek' };
if (env) for (const label of Object.values(TOKENS)) env.initToken(label, PIN);
afterAll(() => env?.cleanup());

const open = (tokenLabel: string, pin = PIN) => Pkcs11KeyStore.open({ library: env!.library, tokenLabel, pin, provider });

describe.skipIf(!hasHsm)('PKCS#11 key store (SoftHSM2)', () => {
  describe('ID-011 KEY-001 KEY-002: the shared identity suite', () => {
    identityStoreSuite('pkcs11', () => async () => open(TOKENS.suite));
  });

  it('KEY-030 KEY-032: the Ed25519 key is made in the token, non-extractable, and the token refuses every export', async () => {
    const store = await open(TOKENS.checks);
    const id = await createIdentity(store, provider);
    const audit = await store.auditNonExtractable(id.handle);
    expect(audit.attributes).toEqual({ sensitive: true, extractable: false, alwaysSensitive: true, neverExtractable: true, local: true });
    expect(audit.refusals.map((e) => [e.kind, e.reason])).toEqual([
      ['policy_reject', 'KEY_NOT_EXTRACTABLE'],
      ['policy_reject', 'KEY_NOT_EXTRACTABLE'],
      ['policy_reject', 'KEY_NOT_EXTRACTABLE'],
    ]);
    expect(audit.refusals[0]!.message).toMatch(/CKA_VALUE.*CKR_ATTRIBUTE_SENSITIVE/);
    expect(audit.refusals[1]!.message).toMatch(/C_WrapKey.*CKR_KEY_UNEXTRACTABLE/);
    // Signatures come from the token (CKM_EDDSA) and verify with the noble provider.
    const msg = new TextEncoder().encode('signed inside the token');
    expect(provider.ed25519.verify(id.signingPublic, msg, await id.sign(msg))).toBe(true);
    await store.close();
  });

  it('KEY-031: the X25519 key is sealed by a token AES key; a different identity\'s key does not open it', async () => {
    const store = await open(TOKENS.checks);
    const a = await createIdentity(store, provider);
    const b = await createIdentity(store, provider);
    const peer = provider.x25519.generateKeyPair();
    expect(toHex(await a.dh(peer.publicKey))).toBe(toHex(provider.x25519.dh(peer.privateKey, a.agreementPublic)));
    expect(toHex(await b.dh(peer.publicKey))).not.toBe(toHex(await a.dh(peer.publicKey)));
    await store.close();
  });

  it('KEY-033: a wrong PIN and a missing token give clear errors', async () => {
    const e1 = await expectRejects(open(TOKENS.pin, '000000'), 'auth_failure', 'PKCS11_PIN_INCORRECT');
    expect(e1.message).toMatch(/C_Login failed with CKR_PIN_INCORRECT/);
    const e2 = await expectRejects(open('no-such-token'), 'state_failure', 'PKCS11_TOKEN_NOT_FOUND');
    expect(e2.message).toMatch(/softhsm2-util --init-token/);
    // While another store is logged in (C_Login is per application), a wrong PIN is still refused.
    const ok = await open(TOKENS.pin);
    await expectRejects(open(TOKENS.pin, '999999'), 'auth_failure', 'PKCS11_PIN_INCORRECT');
    const id = await createIdentity(ok, provider);
    await ok.close();
    const again = await open(TOKENS.pin);
    expect(toHex((await openIdentity(again, id.handle, provider)).signingPublic)).toBe(toHex(id.signingPublic));
    await again.close();
  });

  it('KEY-034: the token KEK is non-extractable and wraps a 32-byte DEK with AES key wrap with padding', async () => {
    const kek = await createPkcs11Kek({ library: env!.library, tokenLabel: TOKENS.kek, pin: PIN, label: 'kek-v1' });
    expect(await kek.attributes()).toEqual({ sensitive: true, extractable: false, neverExtractable: true, local: true });
    const dek = provider.randomBytes(32);
    const wrapped = await kek.wrapDek(dek);
    expect(wrapped.length).toBe(40);
    expect(toHex(await kek.unwrapDek(wrapped))).toBe(toHex(dek));
    const bad = new Uint8Array(wrapped);
    bad[5]! ^= 1;
    await expectRejects(kek.unwrapDek(bad), 'auth_failure');
    await expectRejects(kek.unwrapDek(wrapped.subarray(0, 20)), 'decode_failure', 'BAD_LENGTH');
    await kek.close();
    // Found again by label in a new session; a second KEK with another label cannot unwrap.
    const same = await createPkcs11Kek({ library: env!.library, tokenLabel: TOKENS.kek, pin: PIN, label: 'kek-v1', create: false });
    expect(toHex(await same.unwrapDek(wrapped))).toBe(toHex(dek));
    const other = await createPkcs11Kek({ library: env!.library, tokenLabel: TOKENS.kek, pin: PIN, label: 'kek-v2' });
    await expectRejects(other.unwrapDek(wrapped), 'auth_failure');
    await other.close();
    await same.close();
    await expectRejects(createPkcs11Kek({ library: env!.library, tokenLabel: TOKENS.kek, pin: PIN, label: 'kek-none', create: false }), 'state_failure', 'PKCS11_KEK_NOT_FOUND');
  });
});
