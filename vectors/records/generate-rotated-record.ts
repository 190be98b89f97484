/**
 * Writes vectors/records/agent-v1-rotated.json: a golden version-1 agent record of a PQXDH agent
 * holding a replaced signed prekey and a replaced last-resort PQ prekey in their grace period
 * (prekeys fields 0x0a and 0x0b, spec/records.md), with an initial message queued for those keys. Deterministic; frozen once committed (REC-005).
 *   npx tsx vectors/records/generate-rotated-record.ts [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeProvider, deterministicRandomForTestingOnly, exportAgent, fromHex, SessionAgent, toHex, utf8 } from '../../reference/index.js';
import { REPO_ROOT } from '../external.js';

const p = createNodeProvider(deterministicRandomForTestingOnly('agentsec records v1 rotated'), 'node-seeded');
const storageKey = fromHex('202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f');
const rotatedAt = 1_800_000_000_000;
const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0, clock: () => rotatedAt });
const oldBundle = bob.bundle();
bob.rotateSignedPrekey(rotatedAt);
const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 0 });
const queued = alice.initiate('bob', oldBundle, utf8('sent before the rotation'));
const record = exportAgent(p, bob, storageKey);
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : join(REPO_ROOT, 'vectors/records/agent-v1-rotated.json');
const vector = {
  description: 'agentsec agent record, record version 1, type 0x01 (agent): a PQXDH responder whose signed prekey and last-resort PQ prekey were replaced at rotated_at (ms), with an initial message queued for the replaced keys',
  reqs: ['REC-005', 'X3DH-017'],
  record_version: 1,
  storage_key: toHex(storageKey),
  record: toHex(record),
  rotated_at: rotatedAt,
  peer: 'alice',
  queued_message: toHex(queued),
  queued_plaintext: 'sent before the rotation',
};
writeFileSync(out, JSON.stringify(vector, null, 2) + '\n');
console.log(`wrote ${out} (${record.length}-byte record)`);
