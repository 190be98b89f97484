/**
 * Inputs and known answers the benchmarks check before timing. The known answers are the
 * published examples of the RFCs that define each primitive; ML-KEM's come from the Wycheproof
 * files vendored in vectors/third_party/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deterministicRandomForTestingOnly, fromHex } from '../reference/index.js';
import { sharedVectorsDir } from '../vectors/external.js';

/** Reproducible benchmark inputs: the same bytes in every run and for every implementation. */
export function benchBytes(label: string, n: number): Uint8Array {
  return deterministicRandomForTestingOnly(`bench:${label}`)(n);
}

export interface AeadKat {
  readonly source: string;
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ad: Uint8Array;
  readonly plaintext: Uint8Array;
  /** ciphertext || tag */
  readonly sealed: Uint8Array;
}

const hex = (s: string): Uint8Array => fromHex(s);

/** RFC 8439 section 2.8.2. */
export const CHACHA20_POLY1305_KAT: AeadKat = {
  source: 'RFC 8439 2.8.2',
  key: hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: hex('070000004041424344454647'),
  ad: hex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ),
  sealed: hex(
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
      '1ae10b594f09e26a7e902ecbd0600691',
  ),
};

/** The GCM specification's (McGrew-Viega) test case 16: AES-256 with associated data. */
export const AES_256_GCM_KAT: AeadKat = {
  source: 'GCM spec test case 16',
  key: hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'),
  nonce: hex('cafebabefacedbaddecaf888'),
  ad: hex('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
  plaintext: hex(
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ),
  sealed: hex(
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b',
  ),
};

/** RFC 7748 section 6.1. */
export const X25519_KAT = {
  source: 'RFC 7748 6.1',
  alicePrivate: hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
  alicePublic: hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
  bobPrivate: hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'),
  bobPublic: hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'),
  shared: hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'),
} as const;

/** RFC 8032 section 7.1, TEST 2 (one-byte message). */
export const ED25519_KAT = {
  source: 'RFC 8032 7.1 TEST 2',
  privateKey: hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'),
  publicKey: hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'),
  message: hex('72'),
  signature: hex(
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  ),
} as const;

/** RFC 5869 appendix A.1 (HKDF-SHA256, 42-byte output). */
export const HKDF_SHA256_KAT = {
  source: 'RFC 5869 A.1',
  ikm: hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
  salt: hex('000102030405060708090a0b0c'),
  info: hex('f0f1f2f3f4f5f6f7f8f9'),
  length: 42,
  okm: hex('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'),
} as const;

export interface MlKemKats {
  readonly source: string;
  /** FIPS 203 decapsulation: keygen(seed) then decaps(c) must give K. */
  readonly decaps: { seed: Uint8Array; c: Uint8Array; K: Uint8Array };
  /** FIPS 203 encapsulation: encaps(ek, m) must give (c, K). */
  readonly encaps: { ek: Uint8Array; m: Uint8Array; c: Uint8Array; K: Uint8Array };
}

interface WycheproofFile {
  testGroups: { tests: Record<string, unknown>[] }[];
}

function firstValid(file: string): Record<string, unknown> | undefined {
  const data = JSON.parse(readFileSync(file, 'utf8')) as WycheproofFile;
  for (const g of data.testGroups) for (const t of g.tests) if (t['result'] === 'valid') return t;
  return undefined;
}

const str = (t: Record<string, unknown>, k: string): Uint8Array => hex(String(t[k]));

let mlkemCache: MlKemKats | null | undefined;

/** ML-KEM-768 known answers from Wycheproof, or undefined when vectors/third_party is absent. */
export function mlkem768Kats(): MlKemKats | undefined {
  if (mlkemCache !== undefined) return mlkemCache ?? undefined;
  const dir = sharedVectorsDir();
  mlkemCache = null;
  if (!dir) return undefined;
  const dec = firstValid(join(dir, 'wycheproof', 'mlkem_768_test.json'));
  const enc = firstValid(join(dir, 'wycheproof', 'mlkem_768_encaps_test.json'));
  if (!dec || !enc) return undefined;
  mlkemCache = {
    source: `Wycheproof mlkem_768_test tcId ${String(dec['tcId'])}, mlkem_768_encaps_test tcId ${String(enc['tcId'])}`,
    decaps: { seed: str(dec, 'seed'), c: str(dec, 'c'), K: str(dec, 'K') },
    encaps: { ek: str(enc, 'ek'), m: str(enc, 'm'), c: str(enc, 'c'), K: str(enc, 'K') },
  };
  return mlkemCache;
}

/** One cacophony vector (Noise): `*_static`/`*_ephemeral` are private keys, `*_remote_static` public. */
export interface CacophonyVector {
  readonly protocol_name: string;
  readonly init_prologue: string;
  readonly init_static?: string;
  readonly init_ephemeral: string;
  readonly init_remote_static?: string;
  readonly resp_prologue: string;
  readonly resp_static?: string;
  readonly resp_ephemeral: string;
  readonly resp_remote_static?: string;
  readonly handshake_hash: string;
  readonly messages: { payload: string; ciphertext: string }[];
}

let cacophonyCache: Map<string, CacophonyVector> | null | undefined;

/** The cacophony vector for a protocol name, or undefined when vectors/third_party is absent. */
export function cacophonyVector(protocol: string): CacophonyVector | undefined {
  if (cacophonyCache === undefined) {
    const dir = sharedVectorsDir();
    cacophonyCache = null;
    if (dir) {
      const data = JSON.parse(readFileSync(join(dir, 'noise', 'cacophony.txt'), 'utf8')) as { vectors: CacophonyVector[] };
      cacophonyCache = new Map(data.vectors.map((v) => [v.protocol_name, v]));
    }
  }
  return cacophonyCache?.get(protocol);
}
