import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareSofthsm, SOFTHSM_INSTALL, softhsmAvailable } from '../../harness/services/softhsm.js';
import { startSwtpm, SWTPM_INSTALL, swtpmAvailable, type SwtpmInstance } from '../../harness/services/swtpm.js';
import { requireService } from '../../vectors/external.js';
import { utf8 } from '../bytes.js';
import { decodeEnvelope, openPkcs11KekRing, openTpmKekRing } from '../envelope/index.js';
import { open, seal } from '../envelope/envelope.js';
import { createPkcs11Kek, findObjects, openTokenSession } from './envelope-devices-helpers.js';
import { kekProviderSuite } from './envelope-kek-suite.js';

const hasHsm = requireService('SoftHSM2', softhsmAvailable(), SOFTHSM_INSTALL);
const hasTpm = requireService('swtpm', swtpmAvailable(), SWTPM_INSTALL);
const PIN = '246810';
const TOKEN = 'agentsec-envelope';
// SoftHSM scans its token folder once, at module init: make the token before any session.
const hsm = hasHsm ? prepareSofthsm() : undefined;
if (hsm) hsm.initToken(TOKEN, PIN);

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  hsm?.cleanup();
});

let prefixes = 0;
const ctx = { object: 'o' };

describe.skipIf(!hasHsm)('PKCS#11 KEK (SoftHSM2)', () => {
  const make = async () => {
    const ring = await openPkcs11KekRing({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: `kek${++prefixes}` });
    cleanups.push(() => ring.close());
    return ring;
  };
  kekProviderSuite('pkcs11 (SoftHSM2) [ENV-002 ENV-007 ENV-019 ENV-020 ENV-021 ENV-023 ENV-025 ENV-026]', make);

  it('ENV-019: each version is a non-extractable, sensitive AES key in the token, found again by label after a reopen', async () => {
    const prefix = `kek${++prefixes}`;
    const ring = await openPkcs11KekRing({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: prefix });
    const env = await seal(ring, utf8('hsm'), ctx);
    expect(decodeEnvelope(env).kekId).toBe(`pkcs11:${TOKEN}/${prefix}`);
    await ring.rotate();
    for (const v of [1, 2]) {
      const k = await createPkcs11Kek({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, label: `${prefix}.v${v}`, create: false });
      expect(await k.attributes()).toEqual({ sensitive: true, extractable: false, neverExtractable: true, local: true });
      await k.close();
    }
    await ring.close();
    const again = await openPkcs11KekRing({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: prefix });
    cleanups.push(() => again.close());
    expect(await again.currentVersion()).toBe(2);
    expect(await open(again, env, ctx)).toEqual(utf8('hsm'));
  });

  it('ENV-022: retiring a version destroys its token key; a reopened ring still reports it retired', async () => {
    const prefix = `kek${++prefixes}`;
    const ring = await openPkcs11KekRing({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: prefix });
    const env = await seal(ring, utf8('gone'), ctx);
    await ring.rotate();
    await ring.retire(1);
    const t = openTokenSession({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN });
    try {
      expect(findObjects(t, [{ type: t.mod.CKA_LABEL, value: `${prefix}.v1` }])).toEqual([]);
      expect(findObjects(t, [{ type: t.mod.CKA_LABEL, value: `${prefix}.v2` }]).length).toBe(1);
    } finally {
      t.close();
    }
    await ring.close();
    const again = await openPkcs11KekRing({ library: hsm!.library, tokenLabel: TOKEN, pin: PIN, labelPrefix: prefix });
    cleanups.push(() => again.close());
    await expect(open(again, env, ctx)).rejects.toMatchObject({ reason: 'KEK_VERSION_RETIRED' });
  });
});

describe.skipIf(!hasTpm)('TPM KEK (swtpm)', () => {
  let tpm: SwtpmInstance | undefined;
  const instance = async (): Promise<SwtpmInstance> => {
    if (!tpm) {
      tpm = await startSwtpm();
      const t = tpm;
      cleanups.push(() => t.stop());
    }
    return tpm;
  };
  let n = 0;
  kekProviderSuite('tpm (swtpm) [ENV-002 ENV-007 ENV-029 ENV-020 ENV-021 ENV-023 ENV-025 ENV-026]', async () => {
    const ring = await openTpmKekRing({ address: { path: (await instance()).socketPath }, name: `t${++n}` });
    cleanups.push(() => ring.close());
    return ring;
  });

  it('ENV-030: the TPM ring persists its version blobs (mode 0600) and reopens on the same TPM', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agentsec-tpmkek-')), 'kek.json');
    const address = { path: (await instance()).socketPath };
    const ring = await openTpmKekRing({ address, name: 'persist', path });
    const env = await seal(ring, utf8('tpm'), ctx);
    await ring.rotate();
    await ring.close();
    const { statSync } = await import('node:fs');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await openTpmKekRing({ address, name: 'persist', path });
    cleanups.push(() => again.close());
    expect(await again.currentVersion()).toBe(2);
    expect(await open(again, env, ctx)).toEqual(utf8('tpm'));
  });
});
