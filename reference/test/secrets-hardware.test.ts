/**
 * Secret-leak audit of the hardware-backed key stores and KEKs (SoftHSM2 over PKCS#11, swtpm): the
 * PIN, the software-side key material (recorded deterministic draws), the DH outputs and the DEKs
 * must not appear in errors, inspect/JSON of the stores, identities and KEKs, or the console.
 * Keys generated inside the token or the TPM never leave it, so they cannot be searched for; the
 * audit covers what the reference itself holds.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { prepareSofthsm, SOFTHSM_INSTALL, softhsmAvailable } from '../../harness/services/softhsm.js';
import { startSwtpm, SWTPM_INSTALL, swtpmAvailable } from '../../harness/services/swtpm.js';
import { requireService } from '../../vectors/external.js';
import { createIdentity, createNobleProvider, createPkcs11Kek, createSecretBook, createTpmKek, deterministicRandomForTestingOnly, openIdentity, Pkcs11KeyStore, TpmKeyStore, utf8, type SecretBook } from '../index.js';

const hasHsm = requireService('SoftHSM2', softhsmAvailable(), SOFTHSM_INSTALL);
const hasSwtpm = requireService('swtpm', swtpmAvailable(), SWTPM_INSTALL);

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** One audit: a recorded provider, the collected texts and a runner for failure paths. */
function audit(seed: string): {
  provider: ReturnType<typeof createNobleProvider>;
  book: SecretBook;
  texts: { where: string; text: string }[];
  out(where: string, x: unknown): void;
  failing(where: string, f: () => unknown): Promise<void>;
  secret(label: string, b: Uint8Array): Uint8Array;
  finish(): string[];
} {
  const book = createSecretBook();
  const texts: { where: string; text: string }[] = [];
  const base = deterministicRandomForTestingOnly(seed);
  const drawn: Uint8Array[] = [];
  const provider = createNobleProvider((n) => {
    const b = base(n);
    if (n >= 32) drawn.push(b.slice());
    return b;
  }, `recorded-${seed}`);
  const console: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(globalThis.console, m).mockImplementation((...a: unknown[]) => void console.push(a.map((x) => (typeof x === 'string' ? x : inspect(x))).join(' '))));
  return {
    provider,
    book,
    texts,
    out(where, x) {
      texts.push({ where: `${where} (inspect)`, text: inspect(x, { depth: Infinity }) }, { where: `${where} (JSON)`, text: JSON.stringify(x) ?? 'undefined' });
    },
    async failing(where, f) {
      try {
        await f();
      } catch (e) {
        texts.push({ where: `${where} (message)`, text: String((e as Error).message) }, { where: `${where} (String)`, text: String(e) }, { where: `${where} (JSON)`, text: JSON.stringify(e) ?? '' }, { where: `${where} (inspect)`, text: inspect(e) });
        return;
      }
      throw new Error(`${where}: expected a failure`);
    },
    secret(label, b) {
      book.add(label, b);
      return b;
    },
    finish() {
      for (const s of spies) s.mockRestore();
      texts.push({ where: 'console', text: console.join('\n') });
      drawn.forEach((d, i) => book.add(`draw #${i}`, d));
      return texts.flatMap((t) => book.scan(t.text).map((l) => `${t.where}: ${l.secret} as ${l.form} near "${l.near}"`));
    },
  };
}

describe.skipIf(!hasHsm)('PKCS#11 (SoftHSM2)', () => {
  it('OBS-013 OBS-014: no PIN, DH output, DEK or software key in errors, inspect/JSON of the store, identity and KEK', async () => {
    const env = prepareSofthsm();
    cleanups.push(() => env.cleanup());
    const PIN = 'leak-audit-pin-7c1e9b';
    env.initToken('leak-audit', PIN);
    const a = audit('hsm-audit');
    a.book.addText('PKCS#11 user PIN', PIN);
    const store = await Pkcs11KeyStore.open({ library: env.library, tokenLabel: 'leak-audit', pin: PIN, provider: a.provider });
    cleanups.push(() => store.close());
    const id = await createIdentity(store, a.provider);
    await id.sign(utf8('audit'));
    const peer = a.provider.x25519.generateKeyPair();
    a.secret('DH output', await id.dh(peer.publicKey));
    a.out('Pkcs11KeyStore', store);
    a.out('StoredIdentity (pkcs11)', id);
    await a.failing('wrong PIN', () => Pkcs11KeyStore.open({ library: env.library, tokenLabel: 'leak-audit', pin: `${PIN}-wrong`, provider: a.provider }));
    await a.failing('unknown token', () => Pkcs11KeyStore.open({ library: env.library, tokenLabel: 'no-such-token', pin: PIN, provider: a.provider }));
    await a.failing('unknown handle', () => openIdentity(store, 'cd'.repeat(16), a.provider));
    await a.failing('low-order peer', () => id.dh(new Uint8Array(32)));
    const kek = await createPkcs11Kek({ library: env.library, tokenLabel: 'leak-audit', pin: PIN, label: 'audit-kek' });
    cleanups.push(() => kek.close());
    const dek = a.secret('DEK wrapped by the token', a.provider.randomBytes(32));
    const wrapped = await kek.wrapDek(dek);
    expect(await kek.unwrapDek(wrapped)).toEqual(dek);
    a.out('Pkcs11Kek', kek);
    await a.failing('tampered wrapped DEK', () => kek.unwrapDek(Uint8Array.from(wrapped, (b, k) => (k === 5 ? b ^ 1 : b))));
    expect(a.texts.length).toBeGreaterThan(20);
    expect(a.finish()).toEqual([]);
  });
});

describe.skipIf(!hasSwtpm)('TPM 2.0 (swtpm)', () => {
  it('OBS-013 OBS-014: no DH output, DEK or software key in errors, inspect/JSON of the TPM store, identity and KEK', async () => {
    const t = await startSwtpm();
    cleanups.push(() => t.stop());
    const dir = await mkdtemp(join(tmpdir(), 'agentsec-tpm-audit-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const a = audit('tpm-audit');
    const store = await TpmKeyStore.open({ address: { path: t.socketPath }, dir, provider: a.provider });
    cleanups.push(() => store.close());
    const id = await createIdentity(store, a.provider);
    await id.sign(utf8('audit'));
    const peer = a.provider.x25519.generateKeyPair();
    a.secret('DH output', await id.dh(peer.publicKey));
    a.out('TpmKeyStore', store);
    a.out('StoredIdentity (tpm)', id);
    await a.failing('unknown handle', () => openIdentity(store, 'ef'.repeat(16), a.provider));
    const [file] = (await readdir(dir)).filter((f) => !f.startsWith('.'));
    if (file) {
      const bytes = await readFile(join(dir, file));
      await writeFile(join(dir, file), Uint8Array.from(bytes, (b, k) => (k === bytes.length - 2 ? b ^ 1 : b)));
      const again = await TpmKeyStore.open({ address: { path: t.socketPath }, dir, provider: a.provider });
      cleanups.push(() => again.close());
      await a.failing('tampered sealed key file', async () => (await openIdentity(again, id.handle, a.provider)).sign(utf8('x')));
    }
    const kek = await createTpmKek({ address: { path: t.socketPath }, provider: a.provider });
    cleanups.push(() => kek.close());
    const dek = a.secret('DEK wrapped by the TPM', a.provider.randomBytes(32));
    const wrapped = await kek.wrap(dek);
    expect(await kek.unwrap(wrapped)).toEqual(dek);
    a.out('TpmKek', kek);
    await a.failing('tampered TPM-wrapped DEK', () => kek.unwrap(Uint8Array.from(wrapped, (b, k) => (k === wrapped.length - 1 ? b ^ 1 : b))));
    expect(a.texts.length).toBeGreaterThan(12);
    expect(a.finish()).toEqual([]);
  });
});
