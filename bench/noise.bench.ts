/**
 * Noise (rev 34) on the reference: full IK and XX handshakes counting both parties, the hybrid
 * IKhfs handshake with ML-KEM-768, and transport encrypt+decrypt of 1 KiB, per provider and cipher.
 * Each case first reproduces the cacophony vector of its protocol (when vectors/third_party is
 * there), interoperates with the other provider, and round-trips transport messages.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { createNoiseChannel, fromHex, toHex, type CryptoProvider, type NoiseChannel } from '../reference/index.js';
import { withFixedNoiseKeysForTestingOnly } from '../reference/noise/fixed-keys.js';
import { benchBytes, cacophonyVector } from './_fixtures.js';
import { expectBytes, expectTrue, VerificationError, type BenchCase, type GroupInfo, type Suite, type Unavailable } from './case.js';
import { loadNoiseHandshake, type NoiseHandshakeLib, type NoiseHsState } from './peers.js';
import { availableProviders, type NamedProvider } from './providers.js';

const CIPHERS = ['ChaChaPoly', 'AESGCM'] as const;
/** The suites timed per pattern; ChaChaPoly_BLAKE2b is also what noise-handshake implements. */
const SUITES = ['ChaChaPoly_SHA256', 'AESGCM_SHA256', 'ChaChaPoly_BLAKE2b'] as const;
const PROLOGUE = new TextEncoder().encode('agentsec bench');
const TRANSPORT_SIZE = 1024;

interface Party {
  readonly provider: CryptoProvider;
  readonly staticPrivateKey: Uint8Array;
}

/** Needs of the benchmarked patterns: IK has the responder's static as a pre-message, XX none. */
function channels(protocol: string, i: Party, r: Party, rsPublic: Uint8Array): { i: NoiseChannel; r: NoiseChannel } {
  const ik = protocol.startsWith('Noise_IK');
  return {
    i: createNoiseChannel({ protocol, initiator: true, provider: i.provider, prologue: PROLOGUE, staticPrivateKey: i.staticPrivateKey, ...(ik ? { remoteStaticKey: rsPublic } : {}) }),
    r: createNoiseChannel({ protocol, initiator: false, provider: r.provider, prologue: PROLOGUE, staticPrivateKey: r.staticPrivateKey }),
  };
}

/** Runs a handshake to completion with empty payloads; returns the number of messages. */
function handshake(i: NoiseChannel, r: NoiseChannel): number {
  let n = 0;
  while (!i.isHandshakeComplete || !r.isHandshakeComplete) {
    const [w, rd] = i.isMyTurn ? [i, r] : [r, i];
    rd.readMessage(w.writeMessage());
    if (++n > 4) throw new VerificationError('handshake did not complete in 4 messages');
  }
  return n;
}

/** Replays the cacophony vector: fixed ephemerals, every handshake and transport ciphertext, h. */
function cacophonyCheck(protocol: string, provider: CryptoProvider): string[] {
  const v = cacophonyVector(protocol);
  if (!v) return [];
  const opt = (h: string | undefined): Uint8Array | undefined => (h ? fromHex(h) : undefined);
  const side = (initiator: boolean): NoiseChannel => {
    const p = initiator ? 'init' : 'resp';
    const s = opt(v[`${p}_static`]);
    const rs = opt(v[`${p}_remote_static`]);
    return createNoiseChannel(
      withFixedNoiseKeysForTestingOnly(
        {
          protocol,
          initiator,
          provider,
          prologue: fromHex(v[`${p}_prologue`]),
          ...(s ? { staticPrivateKey: s } : {}),
          ...(rs ? { remoteStaticKey: rs } : {}),
        },
        { ephemeral: fromHex(v[`${p}_ephemeral`]) },
      ),
    );
  };
  const i = side(true);
  const r = side(false);
  v.messages.forEach((m, idx) => {
    const [w, rd] = idx % 2 === 0 ? [i, r] : [r, i];
    const ct = w.writeMessage(fromHex(m.payload));
    expectBytes(ct, fromHex(m.ciphertext), `cacophony ${protocol} message ${idx}`);
    expectBytes(rd.readMessage(ct), fromHex(m.payload), `cacophony ${protocol} message ${idx} read back`);
  });
  expectTrue(toHex(i.handshakeHash()) === v.handshake_hash && toHex(r.handshakeHash()) === v.handshake_hash, `cacophony ${protocol} handshake hash`);
  return [`known-answer cacophony ${protocol}`];
}

function checkEstablished(i: NoiseChannel, r: NoiseChannel, iStaticPublic: Uint8Array): void {
  expectTrue(i.phase === 'transport' && r.phase === 'transport', 'both parties reach the transport phase');
  expectBytes(i.handshakeHash(), r.handshakeHash(), 'both parties hold the same handshake hash');
  const learned = r.remoteStaticKey();
  expectTrue(learned !== null, 'responder learned the initiator static key');
  expectBytes(learned!, iStaticPublic, "responder learned the initiator's static key");
  const pt = benchBytes('noise-check', 100);
  expectBytes(r.readMessage(i.writeMessage(pt)), pt, 'transport initiator -> responder');
  expectBytes(i.readMessage(r.writeMessage(pt)), pt, 'transport responder -> initiator');
}

function handshakeCases(group: string, protocols: string[], providers: NamedProvider[]): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const protocol of protocols) {
    for (const { name, provider } of providers) {
      const iS = provider.x25519.generateKeyPair();
      const rS = provider.x25519.generateKeyPair();
      const i: Party = { provider, staticPrivateKey: iS.privateKey };
      const r: Party = { provider, staticPrivateKey: rS.privateKey };
      cases.push({
        group,
        name: `provider:${name} ${protocol.replace(/^Noise_[A-Za-z]+_/, '')}`,
        kind: 'provider',
        verify() {
          const checks = cacophonyCheck(protocol, provider);
          const c = channels(protocol, i, r, rS.publicKey);
          handshake(c.i, c.r);
          checkEstablished(c.i, c.r, iS.publicKey);
          checks.push('handshake completes, same h, static learned, transport both ways');
          for (const other of providers.filter((o) => o.provider !== provider)) {
            // Initiator on this provider, responder on the other: the wire format is the same.
            const x = channels(protocol, i, { provider: other.provider, staticPrivateKey: rS.privateKey }, rS.publicKey);
            handshake(x.i, x.r);
            checkEstablished(x.i, x.r, iS.publicKey);
            checks.push(`interop with provider:${other.name}`);
          }
          return checks;
        },
        fn() {
          const c = channels(protocol, i, r, rS.publicKey);
          handshake(c.i, c.r);
          return c.r;
        },
      });
    }
  }
  return cases;
}

function transportCases(providers: NamedProvider[]): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const cipher of CIPHERS) {
    const protocol = `Noise_XX_25519_${cipher}_SHA256`;
    for (const { name, provider } of providers) {
      const iS = provider.x25519.generateKeyPair();
      const rS = provider.x25519.generateKeyPair();
      const c = channels(protocol, { provider, staticPrivateKey: iS.privateKey }, { provider, staticPrivateKey: rS.privateKey }, rS.publicKey);
      const pt = benchBytes('noise-transport', TRANSPORT_SIZE);
      cases.push({
        group: `noise-transport-1KiB`,
        name: `provider:${name} ${cipher}_SHA256`,
        kind: 'provider',
        bytes: TRANSPORT_SIZE,
        verify() {
          const checks = cacophonyCheck(protocol, provider);
          handshake(c.i, c.r);
          const ct = c.i.writeMessage(pt);
          expectTrue(ct.length === TRANSPORT_SIZE + 16, 'ciphertext is plaintext + 16-byte tag');
          const bad = ct.slice();
          bad[7]! ^= 1;
          let refused = false;
          try {
            c.r.readMessage(bad);
          } catch {
            refused = true;
          }
          expectTrue(refused, 'tampered transport message refused');
          // The refused message did not advance the receive nonce, so the genuine one still opens.
          expectBytes(c.r.readMessage(ct), pt, 'round trip after a refused message');
          return [...checks, 'round-trip', 'tamper-refused', 'nonce-kept-after-refusal'];
        },
        fn: () => c.r.readMessage(c.i.writeMessage(pt)),
      });
    }
  }
  return cases;
}


// ---- peer: noise-handshake (Noise_*_25519_ChaChaPoly_BLAKE2b over sodium-native) ------------------

const kp = (secretKey: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } => ({
  secretKey: Buffer.from(secretKey),
  publicKey: Buffer.from(x25519.getPublicKey(secretKey)),
});

/** Replays the cacophony vector through noise-handshake: handshake and transport ciphertexts, h. */
function peerCacophonyCheck(lib: NoiseHandshakeLib, pattern: 'IK' | 'XX'): string[] {
  const protocol = `Noise_${pattern}_25519_ChaChaPoly_BLAKE2b`;
  const v = cacophonyVector(protocol);
  if (!v) return [];
  const side = (initiator: boolean): NoiseHsState => {
    const p = initiator ? 'init' : 'resp';
    const st = new lib.Noise(pattern, initiator, kp(fromHex(v[`${p}_static`] ?? '')));
    const rs = v[`${p}_remote_static`];
    st.initialise(fromHex(v[`${p}_prologue`]), rs ? Buffer.from(fromHex(rs)) : undefined);
    st.e = kp(fromHex(v[`${p}_ephemeral`]));
    return st;
  };
  const i = side(true);
  const r = side(false);
  let ti: { tx: InstanceType<NoiseHandshakeLib['Cipher']>; rx: InstanceType<NoiseHandshakeLib['Cipher']> } | undefined;
  let tr: typeof ti;
  v.messages.forEach((m, idx) => {
    const iWrites = idx % 2 === 0;
    const pt = Buffer.from(fromHex(m.payload));
    // Compared before it is read: noise-handshake wipes the peer ephemeral inside the received buffer.
    let back: Uint8Array;
    if (!i.complete || !r.complete) {
      const [w, rd] = iWrites ? [i, r] : [r, i];
      const ct = w.send(pt);
      expectBytes(ct, fromHex(m.ciphertext), `cacophony ${protocol} message ${idx}`);
      back = rd.recv(ct);
    } else {
      ti ??= { tx: new lib.Cipher(i.tx!), rx: new lib.Cipher(i.rx!) };
      tr ??= { tx: new lib.Cipher(r.tx!), rx: new lib.Cipher(r.rx!) };
      const [w, rd] = iWrites ? [ti, tr] : [tr, ti];
      const ct = w.tx.encrypt(pt);
      expectBytes(ct, fromHex(m.ciphertext), `cacophony ${protocol} message ${idx}`);
      back = rd.rx.decrypt(ct);
    }
    expectBytes(back, pt, `cacophony ${protocol} message ${idx} read back`);
  });
  expectTrue(toHex(i.hash!) === v.handshake_hash, `cacophony ${protocol} handshake hash`);
  return [`known-answer cacophony ${protocol}`];
}

function peerHandshake(lib: NoiseHandshakeLib, pattern: 'IK' | 'XX', iS: Uint8Array, rS: Uint8Array, rsPublic: Uint8Array): { i: NoiseHsState; r: NoiseHsState } {
  const i = new lib.Noise(pattern, true, kp(iS));
  const r = new lib.Noise(pattern, false, kp(rS));
  i.initialise(PROLOGUE, pattern === 'IK' ? Buffer.from(rsPublic) : undefined);
  r.initialise(PROLOGUE);
  while (!i.complete || !r.complete) {
    r.recv(i.send());
    if (!r.complete || !i.complete) i.recv(r.send());
  }
  return { i, r };
}

function peerHandshakeCases(lib: NoiseHandshakeLib, providers: NamedProvider[]): BenchCase[] {
  const iS = benchBytes('noise-peer-i', 32);
  const rS = benchBytes('noise-peer-r', 32);
  const rsPublic = x25519.getPublicKey(rS);
  return (['IK', 'XX'] as const).map((pattern) => ({
    group: `noise-${pattern.toLowerCase()}-handshake`,
    name: `noise-handshake ${lib.version} 25519_ChaChaPoly_BLAKE2b`,
    kind: 'peer' as const,
    verify() {
      const checks = peerCacophonyCheck(lib, pattern);
      const own = peerHandshake(lib, pattern, iS, rS, rsPublic);
      expectBytes(own.i.hash!, own.r.hash!, 'both parties hold the same handshake hash');
      checks.push('handshake completes, same h');
      const protocol = `Noise_${pattern}_25519_ChaChaPoly_BLAKE2b`;
      for (const { name, provider } of providers) {
        // noise-handshake initiates, the reference responds; then transport messages both ways.
        const i = new lib.Noise(pattern, true, kp(iS));
        i.initialise(PROLOGUE, pattern === 'IK' ? Buffer.from(rsPublic) : undefined);
        const r = createNoiseChannel({ protocol, initiator: false, provider, prologue: PROLOGUE, staticPrivateKey: rS });
        while (!i.complete) {
          r.readMessage(i.send());
          if (!i.complete) i.recv(r.writeMessage());
        }
        expectBytes(r.handshakeHash(), i.hash!, `same handshake hash as provider:${name}`);
        const pt = benchBytes('noise-peer-interop', 100);
        expectBytes(r.readMessage(new lib.Cipher(i.tx!).encrypt(Buffer.from(pt))), pt, `transport to provider:${name}`);
        expectBytes(new lib.Cipher(i.rx!).decrypt(r.writeMessage(pt)), pt, `transport from provider:${name}`);
        checks.push(`interop with provider:${name}`);
      }
      return checks;
    },
    fn: () => peerHandshake(lib, pattern, iS, rS, rsPublic).r,
  }));
}

function peerTransportCase(lib: NoiseHandshakeLib): BenchCase {
  const iS = benchBytes('noise-peer-i', 32);
  const rS = benchBytes('noise-peer-r', 32);
  const pt = Buffer.from(benchBytes('noise-transport', TRANSPORT_SIZE));
  let pair: { tx: InstanceType<NoiseHandshakeLib['Cipher']>; rx: InstanceType<NoiseHandshakeLib['Cipher']> } | undefined;
  return {
    group: 'noise-transport-1KiB',
    name: `noise-handshake ${lib.version} Cipher ChaChaPoly`,
    kind: 'peer',
    bytes: TRANSPORT_SIZE,
    verify() {
      const { i, r } = peerHandshake(lib, 'XX', iS, rS, x25519.getPublicKey(rS));
      pair = { tx: new lib.Cipher(i.tx!), rx: new lib.Cipher(r.rx!) };
      const ct = pair.tx.encrypt(pt);
      expectTrue(ct.length === TRANSPORT_SIZE + 16, 'ciphertext is plaintext + 16-byte tag');
      expectBytes(pair.rx.decrypt(ct), pt, 'round trip');
      return ['round-trip'];
    },
    fn: () => pair!.rx.decrypt(pair!.tx.encrypt(pt)),
  };
}

export const NOISE_GROUPS: GroupInfo[] = [
  { id: 'noise-ik-handshake', title: 'Noise IK handshake, both parties (25519, empty payloads)', op: 'one complete handshake' },
  { id: 'noise-xx-handshake', title: 'Noise XX handshake, both parties (25519, empty payloads)', op: 'one complete handshake' },
  { id: 'noise-ikhfs-handshake', title: 'Noise IKhfs hybrid handshake, X25519 + ML-KEM-768, both parties', op: 'one complete handshake' },
  { id: 'noise-transport-1KiB', title: 'Noise transport, 1 KiB message (XX session)', op: 'one encrypt and one decrypt' },
];

export function noiseSuite(): Suite {
  const { providers, unavailable } = availableProviders(NOISE_GROUPS.map((g) => g.id));
  const extra: Unavailable[] = [];
  if (!cacophonyVector('Noise_IK_25519_ChaChaPoly_SHA256')) {
    extra.push({ implementation: 'cacophony known answers', groups: ['noise-'], reason: 'vectors/third_party not found; Noise cases are checked by round trip and interop only' });
  }
  const lib = loadNoiseHandshake();
  if ('reason' in lib) extra.push({ implementation: 'noise-handshake', groups: ['noise-'], reason: lib.reason });
  const cases = [
    ...handshakeCases('noise-ik-handshake', SUITES.map((c) => `Noise_IK_25519_${c}`), providers),
    ...handshakeCases('noise-xx-handshake', SUITES.map((c) => `Noise_XX_25519_${c}`), providers),
    ...handshakeCases('noise-ikhfs-handshake', ['Noise_IKhfs_25519+MLKEM768_ChaChaPoly_SHA256'], providers),
    ...transportCases(providers),
    ...('reason' in lib ? [] : [...peerHandshakeCases(lib, providers), peerTransportCase(lib)]),
  ];
  return { cases, groups: NOISE_GROUPS, unavailable: [...unavailable, ...extra] };
}
