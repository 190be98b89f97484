/**
 * A KEK in a PKCS#11 token (SoftHSM2 or a real HSM): one non-extractable AES-256 token key per
 * version, labelled `<prefix>.v<N>`, made and used through the identity area's createPkcs11Kek
 * (CKM_AES_KEY_WRAP_PAD, RFC 5649). RFC 5649 has no associated data, so the binding (KEK id, version,
 * context digest) is authenticated by an HMAC keyed from the data key itself:
 *   wrapped = 01 || u16(len(w)) || w || HMAC-SHA-256(HKDF-SHA-256(dek, "", "agentsec/pkcs11-kek/v1 binding", 32), aad)
 * Only the holder of the data key -- someone who could unwrap it -- can make a valid tag.
 * Retiring a version destroys its token key (C_DestroyObject).
 */
import { abytes, concatBytes, equalBytes, u16be, utf8, wipe } from '../../bytes.js';
import { getProvider, type CryptoProvider } from '../../crypto/index.js';
import { AgentsecError } from '../../errors.js';
import { createPkcs11Kek, type Pkcs11Kek } from '../../device/pkcs11/kek.js';
import { findObjects, openTokenSession } from '../../device/pkcs11/token.js';
import type { TokenOptions } from '../../device/pkcs11/options.js';
import type { Clock } from '../kek.js';
import { SlotKekRing, type KekSlotBackend } from './slot-ring.js';

const FORMAT = 0x01;
const BINDING_INFO = utf8('agentsec/pkcs11-kek/v1 binding');

export interface Pkcs11KekRingOptions extends TokenOptions {
  /** Label prefix of the version keys (`<prefix>.v1`, `<prefix>.v2`, ...), at most 56 characters. */
  readonly labelPrefix: string;
  /** KEK id in envelopes; default `pkcs11:<tokenLabel>/<labelPrefix>`. */
  readonly kekId?: string;
  /** Metadata file (grace bookkeeping); without it versions are found by label on the token. */
  readonly path?: string;
  readonly graceMs?: number;
  readonly clock?: Clock;
  readonly crypto?: CryptoProvider;
}

function bindingTag(c: CryptoProvider, dek: Uint8Array, aad: Uint8Array): Uint8Array {
  const k = c.hkdf('SHA-256', dek, new Uint8Array(0), BINDING_INFO, 32);
  try {
    return c.hmac('SHA-256', k, aad);
  } finally {
    wipe(k);
  }
}

export function pkcs11Backend(o: Pkcs11KekRingOptions): KekSlotBackend<Pkcs11Kek> {
  if (typeof o.labelPrefix !== 'string' || o.labelPrefix.length === 0 || o.labelPrefix.length > 56 || !/^[\x21-\x7e]+$/.test(o.labelPrefix)) {
    throw new AgentsecError('decode_failure', 'PKCS11_LABEL', 'labelPrefix must be 1..56 printable ASCII characters without spaces');
  }
  const c = o.crypto ?? getProvider('noble');
  const token: TokenOptions = { tokenLabel: o.tokenLabel, pin: o.pin, ...(o.library ? { library: o.library } : {}) };
  const label = (v: number): string => `${o.labelPrefix}.v${v}`;
  const withSession = <T>(f: (t: ReturnType<typeof openTokenSession>) => T): T => {
    const t = openTokenSession(token);
    try {
      return f(t);
    } finally {
      t.close();
    }
  };
  return {
    kind: 'pkcs11',
    async create(version) {
      const exists = withSession((t) => findObjects(t, [{ type: t.mod.CKA_LABEL, value: label(version) }]).length > 0);
      if (exists) throw new AgentsecError('state_failure', 'PKCS11_KEK_EXISTS', `a token object labelled ${label(version)} already exists`);
      // @req ENV-019
      return { handle: await createPkcs11Kek({ ...token, label: label(version), create: true }) };
    },
    async load(version) {
      try {
        return await createPkcs11Kek({ ...token, label: label(version), create: false });
      } catch (e) {
        if (e instanceof AgentsecError && e.reason === 'PKCS11_KEK_NOT_FOUND') return undefined;
        throw e;
      }
    },
    async wrap(h, dek, aad) {
      const w = await h.wrapDek(dek);
      return concatBytes(new Uint8Array([FORMAT]), u16be(w.length), w, bindingTag(c, dek, aad));
    },
    async unwrap(h, wrapped, aad) {
      abytes(wrapped, 'wrapped');
      const len = wrapped.length >= 3 ? (wrapped[1]! << 8) | wrapped[2]! : -1;
      if (wrapped[0] !== FORMAT || len < 24 || wrapped.length !== 3 + len + 32) throw new AgentsecError('decode_failure', 'PKCS11_WRAPPED', 'wrapped key: unknown format or length');
      const dek = await h.unwrapDek(wrapped.subarray(3, 3 + len));
      const tag = bindingTag(c, dek, aad);
      if (dek.length !== 32 || !equalBytes(tag, wrapped.subarray(3 + len))) {
        wipe(dek);
        throw new AgentsecError('auth_failure', 'ENV_AUTH', 'envelope authentication failed');
      }
      return dek;
    },
    async destroy(version, h) {
      await h?.close();
      withSession((t) => {
        for (const obj of findObjects(t, [{ type: t.mod.CKA_LABEL, value: label(version) }])) t.p11.C_DestroyObject(t.session, obj);
      });
    },
    async discover() {
      return withSession((t) => {
        const out: number[] = [];
        const re = new RegExp(`^${o.labelPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.v([1-9][0-9]{0,8})$`);
        for (const obj of findObjects(t, [{ type: t.mod.CKA_CLASS, value: t.mod.CKO_SECRET_KEY }])) {
          const l = (t.p11.C_GetAttributeValue(t.session, obj, [{ type: t.mod.CKA_LABEL }])[0]?.value as Buffer | undefined)?.toString('utf8') ?? '';
          const m = re.exec(l);
          if (m) out.push(Number(m[1]));
        }
        return out;
      });
    },
    async release(h) {
      await h.close();
    },
  };
}

/** Opens (or creates, with version 1) the PKCS#11 KEK ring. */
export function openPkcs11KekRing(o: Pkcs11KekRingOptions): Promise<SlotKekRing<Pkcs11Kek>> {
  return SlotKekRing.open(pkcs11Backend(o), {
    kekId: o.kekId ?? `pkcs11:${o.tokenLabel}/${o.labelPrefix}`,
    ...(o.path ? { path: o.path } : {}),
    ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
  });
}
