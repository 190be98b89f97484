/**
 * agentsec-adapter/1 `identity.*` methods of the reference (spec/identity.md ID-031):
 * - `identity.create {}` -> `{identity, signing_public, agreement_public, did}`
 * - `identity.public {identity}` -> `{signing_public, agreement_public, did}`
 * - `identity.sign {identity, message}` -> `{signature}` (Ed25519)
 * - `identity.verify {did | public, message, signature}` -> `{valid}`; a DID the decoder refuses
 *   (ID-002) is an error, a signature that does not verify is `valid: false`.
 * Identities are software identities held in the adapter instance.
 */
import { toHex } from '../reference/bytes.js';
import { AgentsecError } from '../reference/errors.js';
import { decodeDidKey, encodeDidKey } from '../reference/identity/did-key.js';
import { softwareIdentity, type SessionIdentity } from '../reference/session/identity.js';
import type { Area, AreaContext } from './area.js';
import { hexParam } from './params.js';

const KIND = 'identity';

function publicView(id: SessionIdentity): { signing_public: string; agreement_public: string; did: string } {
  return { signing_public: toHex(id.signingPublic), agreement_public: toHex(id.agreementPublic), did: encodeDidKey('Ed25519', id.signingPublic) };
}

function verifyingKey(p: Record<string, unknown>): Uint8Array {
  const hasDid = p.did !== undefined && p.did !== null;
  const hasPublic = p.public !== undefined && p.public !== null;
  if (hasDid === hasPublic) throw new AgentsecError('decode_failure', 'BAD_PARAM', 'give exactly one of "did" and "public"');
  if (hasDid) {
    const d = decodeDidKey(p.did);
    if (d.type !== 'Ed25519') throw new AgentsecError('policy_reject', 'DID_NOT_SIGNING', 'the DID names an X25519 key, which cannot verify signatures');
    return d.publicKey;
  }
  const pk = hexParam(p, 'public');
  if (pk.length !== 32) throw new AgentsecError('decode_failure', 'BAD_LENGTH', 'param "public" must be a 32-byte Ed25519 key');
  return pk;
}

export const identityArea: Area = {
  name: 'identity',
  capabilities: () => ({ identity: { sign: ['Ed25519'], did: ['key'] } }),
  methods: {
    // @req ID-031
    'identity.create': (_p, ctx: AreaContext) => {
      const id = softwareIdentity(ctx.provider);
      return { identity: ctx.objects.put(KIND, id), ...publicView(id) };
    },
    'identity.public': (p, ctx) => publicView(ctx.objects.get<SessionIdentity>(p.identity, KIND)),
    'identity.sign': (p, ctx) => {
      const id = ctx.objects.get<SessionIdentity>(p.identity, KIND);
      return { signature: toHex(id.sign(hexParam(p, 'message'))) };
    },
    'identity.verify': (p, ctx) => {
      const pk = verifyingKey(p);
      const message = hexParam(p, 'message');
      const signature = hexParam(p, 'signature');
      if (signature.length !== 64) return { valid: false };
      let valid: boolean;
      try {
        valid = ctx.provider.ed25519.verify(pk, message, signature);
      } catch {
        valid = false;
      }
      return { valid };
    },
  },
};
