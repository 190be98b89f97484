/**
 * Session known answers through the adapter (SESS-031): the key-agreement tests of
 * vectors/session/agentsec-x3dh.json run on the implementation, with the vector's keys
 * (`session.agent` `keys`) and randomness (`fixed`). Both directions are compared byte for byte,
 * so an implementation that interoperates only with itself (e.g. one that leaves the PQ shared
 * secret out of its KDF on both sides) fails. Applies to implementations of the agentsec/1 profile
 * (the vectors' wire format) that claim `session.fixed_randomness`.
 */
import type { Method, MethodParams } from '../../protocol/methods.js';
import { callMethod } from '../conform/call.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../vectors/external.js';
import { check, CheckFailure, expectRefusal } from '../conform/assert.js';
import { AdapterCallError, type Adapter, type Capabilities, type TestCase } from '../conform/types.js';
import type { ErrorKind } from '../../protocol/types.js';

export const SESSION_VECTORS = join(REPO_ROOT, 'vectors/session/agentsec-x3dh.json');

interface RatchetMsg {
  plaintext: string;
  message: string;
}

interface KeyAgreement {
  tcId: number;
  comment: string;
  reqs: string[];
  result: 'valid' | 'invalid';
  type: 'key_agreement';
  protocol: 'x3dh' | 'pqxdh';
  aead: string;
  expected_error?: ErrorKind;
  [k: string]: unknown;
}

const s = (t: KeyAgreement, k: string): string => {
  const v = t[k];
  if (typeof v !== 'string') throw new CheckFailure(`vector ${t.tcId}: field ${k} missing`);
  return v;
};

function applies(kind: string, needsKeys: boolean) {
  return (caps: Capabilities): true | string => {
    const c = caps.session;
    if (!c?.kinds.includes(kind)) return `implementation does not claim session kind ${kind}`;
    if (c.profile !== 'agentsec/1') return 'the session vectors are in the agentsec/1 wire format (profile not claimed)';
    if (needsKeys && !c.fixed_randomness) return 'session.fixed_randomness not claimed (agents from given keys, fixed randomness per call)';
    return true;
  };
}

type Keys = NonNullable<MethodParams['session.agent']['keys']>;

/** The vector file's values as the contract types them (the request check holds them to the schema at run time). */
async function agent(iut: Adapter, name: string, t: KeyAgreement, role: 'a' | 'b'): Promise<string> {
  const keys: Keys = { identity_signing_seed: s(t, `ik_${role}_sig_seed`), identity_agreement_private: s(t, `ik_${role}_dh_private`), aead: t.aead as Keys['aead'] };
  if (role === 'b') {
    keys.signed_prekey = { id: t.spk_b_id as number, private: s(t, 'spk_b_private') };
    if (typeof t.opk_b_private === 'string') keys.one_time_prekey = { id: t.opk_b_id as number, private: t.opk_b_private };
    if (typeof t.pq_b_seed === 'string') keys.pq_prekey = { id: t.pq_b_id as number, kind: t.pq_b_kind as NonNullable<Keys['pq_prekey']>['kind'], seed: t.pq_b_seed };
  }
  const r = (await callMethod(iut, 'session.agent', { name, kind: t.protocol, one_time_prekeys: 0, keys })) as { agent: string };
  return r.agent;
}

async function call<M extends Method>(iut: Adapter, method: M, params: MethodParams[M], what: string): Promise<Record<string, string>> {
  try {
    return (await callMethod(iut, method, params)) as Record<string, string>;
  } catch (e) {
    if (e instanceof AdapterCallError) throw new CheckFailure(`${what}: refused with ${e.kind}${e.reason ? `/${e.reason}` : ''} (${e.message})`);
    throw e;
  }
}

function initiatorTest(t: KeyAgreement): TestCase {
  return {
    id: `session/known-answer/tc${t.tcId}/iut-initiator`,
    reqs: [...new Set([...t.reqs, 'SESS-031'])],
    applies: applies(t.protocol, true),
    async run(ctx) {
      const msgs = t.messages as RatchetMsg[];
      const a = await agent(ctx.iut, 'alice', t, 'a');
      const fixed: Record<string, string> = { ephemeral: s(t, 'ek_a_private'), ratchet: s(t, 'alice_ratchet_private') };
      if (typeof t.pq_encaps_randomness === 'string') fixed.kem_randomness = t.pq_encaps_randomness;
      const m0 = await call(ctx.iut, 'session.initiate', { agent: a, peer: 'bob', bundle: s(t, 'bundle'), plaintext: msgs[0]!.plaintext, fixed }, `tc${t.tcId} (${t.comment}): initiate with the vector's bundle and randomness`);
      check(m0.message === s(t, 'initial_message'), `tc${t.tcId} (${t.comment}): the initial message differs from the known answer (key agreement, KDF, AD or encoding differ)`);
      // Later messages are not compared: until the first reply, agentsec/1 sends each one inside an
      // initial message (prefix in the AD), which the vectors' bare ratchet messages do not model.
      for (const [i, m] of (t.replies as RatchetMsg[]).entries()) {
        const r = await call(ctx.iut, 'session.decrypt', { agent: a, peer: 'bob', message: m.message }, `tc${t.tcId}: Bob's known reply ${i}`);
        check(r.plaintext === m.plaintext, `tc${t.tcId}: Bob's known reply ${i} decrypted to other plaintext`);
      }
    },
  };
}

function responderTest(t: KeyAgreement): TestCase {
  return {
    id: `session/known-answer/tc${t.tcId}/iut-responder`,
    reqs: [...new Set([...t.reqs, 'SESS-031'])],
    applies: applies(t.protocol, true),
    async run(ctx) {
      const msgs = t.messages as RatchetMsg[];
      const b = await agent(ctx.iut, 'bob', t, 'b');
      const first = await call(ctx.iut, 'session.decrypt', { agent: b, peer: 'alice', message: s(t, 'initial_message'), fixed: { ratchet: s(t, 'bob_ratchet_private') } }, `tc${t.tcId} (${t.comment}): the known initial message`);
      check(first.plaintext === msgs[0]!.plaintext, `tc${t.tcId}: the known initial message decrypted to other plaintext`);
      for (const i of t.delivery as number[]) {
        if (i === 0) continue;
        const r = await call(ctx.iut, 'session.decrypt', { agent: b, peer: 'alice', message: msgs[i]!.message }, `tc${t.tcId}: known message ${i}`);
        check(r.plaintext === msgs[i]!.plaintext, `tc${t.tcId}: known message ${i} decrypted to other plaintext`);
      }
      for (const [i, m] of (t.replies as RatchetMsg[]).entries()) {
        const r = await call(ctx.iut, 'session.encrypt', { agent: b, peer: 'alice', plaintext: m.plaintext }, `tc${t.tcId}: reply ${i}`);
        check(r.message === m.message, `tc${t.tcId}: reply ${i} differs from the known answer (DH ratchet step, root chain or sending chain differ)`);
      }
    },
  };
}

function invalidTest(t: KeyAgreement): TestCase {
  const bundle = t.comment.startsWith('bundle');
  const kinds = t.expected_error ? [t.expected_error] : [];
  return {
    id: `session/known-answer/tc${t.tcId}/${bundle ? 'bad-bundle' : 'bad-initial-message'}`,
    reqs: [...new Set([...t.reqs, 'SESS-031'])],
    applies: applies(t.protocol, !bundle),
    async run(ctx) {
      if (bundle) {
        const r = (await callMethod(ctx.iut, 'session.agent', { name: 'alice', kind: t.protocol, one_time_prekeys: 0 })) as { agent: string };
        await expectRefusal(callMethod(ctx.iut, 'session.initiate', { agent: r.agent, peer: 'bob', bundle: s(t, 'bundle'), plaintext: '00' }), `tc${t.tcId} (${t.comment}): initiate`, kinds);
        return;
      }
      const b = await agent(ctx.iut, 'bob', t, 'b');
      const exportable = ctx.iut.hello.capabilities.session?.export === true;
      const state = async (): Promise<string> => (exportable ? JSON.stringify(((await callMethod(ctx.iut, 'session.export', { agent: b })) as { state: unknown }).state) : '');
      const before = await state();
      await expectRefusal(callMethod(ctx.iut, 'session.decrypt', { agent: b, peer: 'alice', message: s(t, 'initial_message') }), `tc${t.tcId} (${t.comment}): decrypt`, kinds);
      check(before === (await state()), `tc${t.tcId}: the refused initial message changed the responder's exported state`);
    },
  };
}

/** The known-answer tests of a session vector file (default: the committed one; `vectors verify` passes others). */
export function knownAnswerTests(path = SESSION_VECTORS): TestCase[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { tests: Array<KeyAgreement | { type: string }> };
  const out: TestCase[] = [];
  for (const t of file.tests) {
    if (t.type !== 'key_agreement') continue;
    const ka = t as KeyAgreement;
    if (ka.result === 'valid') out.push(initiatorTest(ka), responderTest(ka));
    else out.push(invalidTest(ka));
  }
  return out;
}
