/**
 * Private keys as opaque handles (spec/crypto.md CRYPTO-017, CRYPTO-018). A provider wraps a private key
 * once -- the node provider as a node:crypto KeyObject, the noble provider as its bytes -- and its
 * DH and signing take the handle, so the hot paths do no per-call import and no private key sits in
 * a plain byte array the caller can reach.
 *
 * The material lives in a module-private WeakMap, not on the object: no property, JSON or inspect
 * output shows it. The one way out is `privateKeyBytesForPersistence`, for the record layer, which
 * must write keys to a store.
 */
import { AgentsecError } from '../errors.js';

export type KeyCurve = 'X25519' | 'Ed25519';

interface Material {
  /** The provider instance that made the handle (its own material is used as is). */
  readonly owner: object;
  readonly value: unknown;
  /** The 32 raw private key bytes, as a fresh copy. */
  readonly exportRaw: () => Uint8Array;
}

const MATERIAL = new WeakMap<PrivateKeyHandle, Material>();

export class PrivateKeyHandle {
  readonly curve: KeyCurve;
  /** The public key that belongs to the private key (public data). */
  readonly publicKey: Uint8Array;

  /** Providers make handles (wrapPrivateKey); a handle cannot be built from outside. */
  private constructor(curve: KeyCurve, publicKey: Uint8Array) {
    this.curve = curve;
    this.publicKey = publicKey;
    Object.freeze(this);
  }

  /** @internal */
  static wrap(curve: KeyCurve, publicKey: Uint8Array, material: Material): PrivateKeyHandle {
    const h = new PrivateKeyHandle(curve, publicKey);
    MATERIAL.set(h, material);
    return h;
  }

  toJSON(): { curve: KeyCurve; publicKey: string } {
    return { curve: this.curve, publicKey: Buffer.from(this.publicKey).toString('hex') };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PrivateKeyHandle(${this.curve}, public ${Buffer.from(this.publicKey).toString('hex')})`;
  }
}

/** Either a handle or (the compatibility path, imported per call) the 32 raw private key bytes. */
export type PrivateKeyInput = PrivateKeyHandle | Uint8Array;

/** For providers: a handle over `value`, the provider's own form of the key. */
export function wrapPrivateKey(curve: KeyCurve, publicKey: Uint8Array, owner: object, value: unknown, exportRaw: () => Uint8Array): PrivateKeyHandle {
  return PrivateKeyHandle.wrap(curve, publicKey, { owner, value, exportRaw });
}

export function isPrivateKeyHandle(x: unknown): x is PrivateKeyHandle {
  return x instanceof PrivateKeyHandle && MATERIAL.has(x);
}

function material(h: PrivateKeyHandle, curve: KeyCurve): Material {
  // @req CRYPTO-017
  const m = MATERIAL.get(h);
  if (!m) throw new AgentsecError('decode_failure', 'BAD_KEY_HANDLE', 'not a private key handle');
  if (h.curve !== curve) throw new AgentsecError('decode_failure', 'BAD_KEY_HANDLE', `a ${h.curve} key handle where ${curve} is expected`);
  return m;
}

/**
 * For providers: the provider's own material when `owner` made the handle, else undefined (a
 * handle of another provider instance is then used through its raw bytes).
 */
export function ownMaterial(h: PrivateKeyHandle, curve: KeyCurve, owner: object): unknown {
  const m = material(h, curve);
  return m.owner === owner ? m.value : undefined;
}

/** The raw bytes of a handle (a fresh copy the caller must wipe). For providers and persistence only. */
export function privateKeyBytesForPersistence(h: PrivateKeyHandle, curve: KeyCurve = h.curve): Uint8Array {
  // @req CRYPTO-018
  return material(h, curve).exportRaw();
}

/**
 * An ML-KEM decapsulation key as an opaque handle (CRYPTO-019): the node provider imports it into
 * a KeyObject once (the import is most of a native decapsulation's cost), noble keeps the bytes.
 */
export class KemSecretKeyHandle {
  readonly kem: string;

  private constructor(kem: string) {
    this.kem = kem;
    Object.freeze(this);
  }

  /** @internal */
  static wrap(kem: string, material: Material): KemSecretKeyHandle {
    const h = new KemSecretKeyHandle(kem);
    KEM_MATERIAL.set(h, material);
    return h;
  }

  toJSON(): { kem: string } {
    return { kem: this.kem };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `KemSecretKeyHandle(${this.kem})`;
  }
}

const KEM_MATERIAL = new WeakMap<KemSecretKeyHandle, Material>();

/** For providers: a handle over `value`, the provider's own form of the decapsulation key. */
export function wrapKemSecretKey(kem: string, owner: object, value: unknown, exportRaw: () => Uint8Array): KemSecretKeyHandle {
  return KemSecretKeyHandle.wrap(kem, { owner, value, exportRaw });
}

export function isKemSecretKeyHandle(x: unknown): x is KemSecretKeyHandle {
  return x instanceof KemSecretKeyHandle && KEM_MATERIAL.has(x);
}

/** For providers: the own material of a KEM handle, else undefined; refuses a handle of another KEM. */
export function ownKemMaterial(h: KemSecretKeyHandle, kem: string, owner: object): { own: unknown; raw: () => Uint8Array } {
  // @req CRYPTO-019
  const m = KEM_MATERIAL.get(h);
  if (!m) throw new AgentsecError('decode_failure', 'BAD_KEY_HANDLE', 'not a KEM secret key handle');
  if (h.kem !== kem) throw new AgentsecError('decode_failure', 'BAD_KEY_HANDLE', `a ${h.kem} key handle where ${kem} is expected`);
  return { own: m.owner === owner ? m.value : undefined, raw: m.exportRaw };
}
