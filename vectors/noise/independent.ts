/**
 * A second, compact implementation of the Noise processing rules (rev 34 sections 4-5, 9; hfs
 * section 4), written straight from the spec on the @noble primitives. It does NOT import the
 * reference: the project's vectors are computed here, and the reference has to reproduce them.
 * It covers every pattern of patterns.ts, PSKs, hfs (ML-KEM-768), fallback, rekey, SetNonce.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b, blake2s } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { patternShape } from './patterns.js';

/** An error with one of the closed kinds, like the reference's. */
export class IndependentError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
  }
}

const HASHES = { SHA256: sha256, SHA512: sha512, BLAKE2s: blake2s, BLAKE2b: blake2b } as const;

const cat = (...xs: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(xs.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of xs) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};

export interface PartyConfig {
  protocol: string;
  initiator: boolean;
  prologue: Uint8Array;
  s?: Uint8Array;
  rs?: Uint8Array;
  psks?: Uint8Array[];
  /** The peer's ephemeral public key when it is a pre-message (fallback). */
  re?: Uint8Array;
  e: Uint8Array;
  /** hfs: keygen seed (sender of e1) or encapsulation message (sender of ekem1). */
  kemRandomness?: Uint8Array;
}

interface Cs {
  k: Uint8Array | null;
  n: bigint;
}

const MAX = (1n << 64n) - 1n;

/** One party; write/read handle both phases like the reference's channel. */
export class IndependentParty {
  private readonly hash: (d: Uint8Array) => Uint8Array;
  private readonly hashLen: number;
  private readonly chacha: boolean;
  private readonly msgs: string[][];
  private readonly psk: boolean;
  private readonly oneWay: boolean;
  private idx = 0;
  private ck: Uint8Array;
  private h: Uint8Array;
  private cs: Cs = { k: null, n: 0n };
  private eKey: Uint8Array | null = null;
  private re: Uint8Array | null = null;
  private rs: Uint8Array | null;
  private kemSecret: Uint8Array | null = null;
  private re1: Uint8Array | null = null;
  private pskIdx = 0;
  private send: Cs | null = null;
  private recv: Cs | null = null;
  private failed = false;
  handshakeHash: Uint8Array | null = null;

  constructor(private readonly c: PartyConfig) {
    const [, , , cipher = '', hashName = ''] = c.protocol.split('_');
    const shape = patternShape(c.protocol);
    this.hash = HASHES[hashName as keyof typeof HASHES];
    this.hashLen = hashName === 'SHA512' || hashName === 'BLAKE2b' ? 64 : 32;
    this.chacha = cipher === 'ChaChaPoly';
    this.msgs = shape.messages;
    this.psk = shape.hasPsk;
    this.oneWay = shape.oneWay;
    const name = new TextEncoder().encode(c.protocol);
    this.h = name.length <= this.hashLen ? cat(name, new Uint8Array(this.hashLen - name.length)) : this.hash(name);
    this.ck = this.h;
    this.rs = c.rs ?? null;
    this.mixHash(c.prologue);
    const pub = (sk: Uint8Array) => x25519.getPublicKey(sk);
    if (shape.initiatorPre.includes('s')) this.mixHash(c.initiator ? pub(c.s!) : c.rs!);
    if (shape.responderPre.includes('s')) this.mixHash(c.initiator ? c.rs! : pub(c.s!));
    if (shape.responderPre.includes('e')) {
      // The responder's ephemeral as a pre-message: hashed (and MixKey'ed with a psk) like a sent e (9.2).
      if (c.initiator) this.re = c.re!;
      else this.eKey = c.e;
      const k = c.initiator ? c.re! : pub(c.e);
      this.mixHash(k);
      if (this.psk) this.mixKey(k);
    }
  }

  private mixHash(d: Uint8Array): void {
    this.h = this.hash(cat(this.h, d));
  }

  private hkdf(ikm: Uint8Array, n: 2 | 3): Uint8Array[] {
    const H = this.hash as Parameters<typeof hmac>[0];
    const tk = hmac(H, this.ck, ikm);
    const o1 = hmac(H, tk, Uint8Array.of(1));
    const o2 = hmac(H, tk, cat(o1, Uint8Array.of(2)));
    return n === 2 ? [o1, o2] : [o1, o2, hmac(H, tk, cat(o2, Uint8Array.of(3)))];
  }

  private mixKey(ikm: Uint8Array): void {
    const [ck, k] = this.hkdf(ikm, 2);
    this.ck = ck!;
    this.cs = { k: k!.slice(0, 32), n: 0n };
  }

  private aead(k: Uint8Array, n: bigint, ad: Uint8Array) {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, n, this.chacha);
    return this.chacha ? chacha20poly1305(k, nonce, ad) : gcm(k, nonce, ad);
  }

  private enc(cs: Cs, ad: Uint8Array, pt: Uint8Array): Uint8Array {
    if (!cs.k) return pt;
    if (cs.n === MAX) throw new IndependentError('state_failure', 'nonce exhausted');
    const ct = this.aead(cs.k, cs.n, ad).encrypt(pt);
    cs.n++;
    return ct;
  }

  private dec(cs: Cs, ad: Uint8Array, ct: Uint8Array): Uint8Array {
    if (!cs.k) return ct;
    if (cs.n === MAX) throw new IndependentError('state_failure', 'nonce exhausted');
    let pt: Uint8Array;
    try {
      pt = this.aead(cs.k, cs.n, ad).decrypt(ct);
    } catch {
      throw new IndependentError('auth_failure', 'decrypt');
    }
    cs.n++;
    return pt;
  }

  private dh(sk: Uint8Array, pk: Uint8Array): Uint8Array {
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(sk, pk);
    } catch {
      out = new Uint8Array(32); // noble refuses an all-zero result itself
    }
    // The profile's choice (CRYPTO-003): an all-zero DH result is refused.
    if (out.every((b) => b === 0)) throw new IndependentError('policy_reject', 'low-order point');
    return out;
  }

  private dhToken(t: string): Uint8Array {
    const i = this.c.initiator;
    if (t === 'ee') return this.dh(this.eKey!, this.re!);
    if (t === 'ss') return this.dh(this.c.s!, this.rs!);
    const localE = (t === 'es') === i;
    return localE ? this.dh(this.eKey!, this.rs!) : this.dh(this.c.s!, this.re!);
  }

  private guard<T>(f: () => T): T {
    if (this.failed) throw new IndependentError('state_failure', 'handshake failed');
    try {
      return f();
    } catch (e) {
      if (!this.send && !(e instanceof IndependentError && e.kind === 'state_failure')) this.failed = true;
      throw e;
    }
  }

  write(payload: Uint8Array): Uint8Array {
    if (this.send || this.recv) {
      if (!this.send) throw new IndependentError('state_failure', 'one-way');
      if (payload.length > 65519) throw new IndependentError('policy_reject', 'too large');
      return this.enc(this.send, new Uint8Array(0), payload);
    }
    if (this.idx % 2 === 0 !== this.c.initiator) throw new IndependentError('state_failure', 'not your turn');
    return this.guard(() => {
      const out: Uint8Array[] = [];
      const eh = (d: Uint8Array) => {
        const ct = this.enc(this.cs, this.h, d);
        this.mixHash(ct);
        out.push(ct);
      };
      for (const t of this.msgs[this.idx]!) {
        if (t === 'e') {
          this.eKey = this.c.e;
          const pub = x25519.getPublicKey(this.c.e);
          out.push(pub);
          this.mixHash(pub);
          if (this.psk) this.mixKey(pub);
        } else if (t === 's') eh(x25519.getPublicKey(this.c.s!));
        else if (t === 'psk') this.mixKeyAndHash(this.c.psks![this.pskIdx++]!);
        else if (t === 'e1') {
          const kp = ml_kem768.keygen(this.c.kemRandomness!);
          this.kemSecret = kp.secretKey;
          eh(kp.publicKey);
        } else if (t === 'ekem1') {
          const r = ml_kem768.encapsulate(this.re1!, this.c.kemRandomness!);
          eh(r.cipherText);
          this.mixKey(r.sharedSecret);
        } else this.mixKey(this.dhToken(t));
      }
      eh(payload);
      const msg = cat(...out);
      if (msg.length > 65535) throw new IndependentError('policy_reject', 'too large');
      this.next();
      return msg;
    });
  }

  private mixKeyAndHash(psk: Uint8Array): void {
    const [ck, th, k] = this.hkdf(psk, 3);
    this.ck = ck!;
    this.mixHash(th!);
    this.cs = { k: k!.slice(0, 32), n: 0n };
  }

  read(msg: Uint8Array): Uint8Array {
    if (msg.length > 65535) throw new IndependentError('decode_failure', 'too large');
    if (this.send || this.recv) {
      if (!this.recv) throw new IndependentError('state_failure', 'one-way');
      return this.dec(this.recv, new Uint8Array(0), msg);
    }
    if (this.idx % 2 === 0 === this.c.initiator) throw new IndependentError('state_failure', 'not your turn');
    return this.guard(() => {
      let off = 0;
      const take = (n: number) => {
        if (off + n > msg.length) throw new IndependentError('decode_failure', 'short');
        off += n;
        return msg.subarray(off - n, off);
      };
      const dh = (n: number) => {
        const ct = take(n + (this.cs.k ? 16 : 0));
        const pt = this.dec(this.cs, this.h, ct);
        this.mixHash(ct);
        return pt;
      };
      for (const t of this.msgs[this.idx]!) {
        if (t === 'e') {
          this.re = take(32).slice();
          this.mixHash(this.re);
          if (this.psk) this.mixKey(this.re);
        } else if (t === 's') this.rs = dh(32).slice();
        else if (t === 'psk') this.mixKeyAndHash(this.c.psks![this.pskIdx++]!);
        else if (t === 'e1') this.re1 = dh(1184).slice();
        else if (t === 'ekem1') this.mixKey(ml_kem768.decapsulate(dh(1088), this.kemSecret!));
        else this.mixKey(this.dhToken(t));
      }
      const rest = msg.subarray(off);
      const pt = this.dec(this.cs, this.h, rest);
      this.mixHash(rest);
      this.next();
      return pt;
    });
  }

  private next(): void {
    this.idx++;
    if (this.idx < this.msgs.length) return;
    const [k1, k2] = this.hkdf(new Uint8Array(0), 2);
    const c1 = { k: k1!.slice(0, 32), n: 0n };
    const c2 = { k: k2!.slice(0, 32), n: 0n };
    const oneWay = this.oneWay;
    this.send = this.c.initiator ? c1 : oneWay ? null : c2;
    this.recv = this.c.initiator ? (oneWay ? null : c2) : c1;
    this.handshakeHash = this.h;
  }

  get complete(): boolean {
    return this.send !== null || this.recv !== null;
  }

  rekey(d: 'send' | 'recv'): void {
    const cs = this[d]!;
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, MAX, this.chacha);
    const k = (this.chacha ? chacha20poly1305(cs.k!, nonce, new Uint8Array(0)) : gcm(cs.k!, nonce, new Uint8Array(0))).encrypt(new Uint8Array(32));
    cs.k = k.slice(0, 32);
  }

  setNonce(d: 'send' | 'recv', n: bigint): void {
    this[d]!.n = n;
  }
}
