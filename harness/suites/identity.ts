/**
 * The `identity` suite (spec/identity.md): identities through the adapter's `identity.*` methods
 * (ID-031). Signatures cross both ways with the reference, the DID is checked against an encoding
 * computed here (ID-001), and the DID decoder must refuse what ID-002 lists, an Ed25519 key that is
 * not a curve point included. Applies when `identity` is claimed.
 */
import type { MethodParams } from '../../protocol/methods.js';
import { callMethod } from '../conform/call.js';
import { base58 } from '@scure/base';
import { check, expectRefusal } from '../conform/assert.js';
import type { Adapter, Capabilities, Suite, TestCase } from '../conform/types.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** did:key of an Ed25519 public key: `did:key:z` + base58btc(0xed 0x01 || key) (ID-001). */
export function didKeyEd25519(pk: Uint8Array): string {
  return `did:key:z${base58.encode(new Uint8Array([0xed, 0x01, ...pk]))}`;
}

/** 32 bytes that are not an Ed25519 point encoding (no x for this y): valid base58, right codec, wrong key. */
const OFF_CURVE = '0100000000000000000000000000000000000000000000000000000000000011';

interface Created {
  identity: string;
  signing_public: string;
  agreement_public: string;
  did: string;
}

const claimed = (caps: Capabilities): true | string => (caps.identity?.sign.includes('Ed25519') ? true : 'identity methods (identity.sign Ed25519) not claimed');

async function create(a: Adapter): Promise<Created> {
  return (await callMethod(a, 'identity.create', {})) as Created;
}

async function valid(a: Adapter, params: MethodParams['identity.verify']): Promise<boolean> {
  return ((await callMethod(a, 'identity.verify', params)) as { valid: boolean }).valid === true;
}

function tests(): TestCase[] {
  return [
    {
      id: 'identity/sign-verify/cross',
      reqs: ['ID-031', 'ID-001'],
      applies: claimed,
      async run(ctx) {
        const mine = await create(ctx.iut);
        check(/^[0-9a-f]{64}$/.test(mine.signing_public) && /^[0-9a-f]{64}$/.test(mine.agreement_public), 'identity.create: public keys must be 32 bytes of hex');
        check(mine.did === didKeyEd25519(unhex(mine.signing_public)), `identity.create: did ${mine.did} is not the did:key of the signing key (ID-001)`);
        const again = (await callMethod(ctx.iut, 'identity.public', { identity: mine.identity })) as Omit<Created, 'identity'>;
        check(again.did === mine.did && again.signing_public === mine.signing_public && again.agreement_public === mine.agreement_public, 'identity.public differs from what identity.create returned');
        const other = await create(ctx.iut);
        check(other.signing_public !== mine.signing_public, 'two identity.create calls gave the same key');
        const theirs = await create(ctx.reference);
        for (let k = 0; k < 4; k++) {
          const msg = ctx.rng.bytes(ctx.rng.int(200));
          // The implementation signs, the reference verifies (by DID and by key), and the reverse.
          const sig = ((await callMethod(ctx.iut, 'identity.sign', { identity: mine.identity, message: hex(msg) })) as { signature: string }).signature;
          check(await valid(ctx.reference, { did: mine.did, message: hex(msg), signature: sig }), 'the reference does not verify the implementation\'s signature under its DID');
          check(await valid(ctx.reference, { public: mine.signing_public, message: hex(msg), signature: sig }), 'the reference does not verify the implementation\'s signature under its key');
          const rsig = ((await callMethod(ctx.reference, 'identity.sign', { identity: theirs.identity, message: hex(msg) })) as { signature: string }).signature;
          check(await valid(ctx.iut, { did: theirs.did, message: hex(msg), signature: rsig }), 'the implementation does not verify a reference signature under its DID');
          // Wrong message, flipped signature bit, wrong signer: not valid.
          const bad = msg.length > 0 ? msg.slice() : new Uint8Array(1);
          bad[0] = bad[0]! ^ 0x01;
          check(!(await valid(ctx.iut, { did: theirs.did, message: hex(bad), signature: rsig })), 'a signature verified over another message');
          const flipped = unhex(rsig);
          flipped[ctx.rng.int(64)]! ^= 1 << ctx.rng.int(8);
          check(!(await valid(ctx.iut, { did: theirs.did, message: hex(msg), signature: hex(flipped) })), 'a signature with a flipped bit verified');
          check(!(await valid(ctx.iut, { did: mine.did, message: hex(msg), signature: rsig })), 'a signature verified under another signer\'s DID');
        }
      },
    },
    {
      id: 'identity/did-key/decode-refusals',
      reqs: ['ID-002', 'ID-031'],
      applies: (caps) => (claimed(caps) !== true ? claimed(caps) : caps.identity?.did?.includes('key') ? true : 'did:key not claimed'),
      async run(ctx) {
        const id = await create(ctx.reference);
        const msg = '616263';
        const sig = ((await callMethod(ctx.reference, 'identity.sign', { identity: id.identity, message: msg })) as { signature: string }).signature;
        check(await valid(ctx.iut, { did: id.did, message: msg, signature: sig }), 'a genuine did:key signature did not verify');
        const cases: Array<[string, string, string[]]> = [
          [didKeyEd25519(unhex(OFF_CURVE)), 'an Ed25519 key that is not a curve point', ['decode_failure']],
          [`did:web:example.com`, 'a method other than key', ['unsupported']],
          [`${id.did}#frag`, 'a fragment', ['decode_failure']],
          [`did:key:m${id.did.slice('did:key:z'.length)}`, 'a multibase other than z', ['decode_failure', 'unsupported']],
          [`${id.did.slice(0, -1)}0`, 'a character outside the base58btc alphabet', ['decode_failure']],
          [`did:key:z${base58.encode(new Uint8Array([0xed, 0x01, ...unhex(id.signing_public).slice(0, 31)]))}`, 'a 31-byte key', ['decode_failure']],
          [`did:key:z${base58.encode(new Uint8Array([0xe7, 0x01, ...unhex(id.signing_public)]))}`, 'multicodec secp256k1-pub', ['unsupported']],
        ];
        for (const [did, what, kinds] of cases) {
          await expectRefusal(callMethod(ctx.iut, 'identity.verify', { did, message: msg, signature: sig }), `identity.verify with a DID holding ${what}`, kinds as never[]);
        }
      },
    },
  ];
}

export const identitySuite: Suite = {
  name: 'identity',
  description: 'identities: create, public keys and did:key, Ed25519 signatures across implementations, DID decoding refusals',
  tests,
};
