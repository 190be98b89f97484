/**
 * Writes vectors/records/agent-v1.json: a golden agent record of record version 1 (spec/records.md
 * REC-005). Deterministic (seeded randomness, fixed storage key). The file is frozen once committed:
 * later releases must still import it; regenerate only for a new version file.
 *   npx tsx vectors/records/generate-records.ts [--out FILE]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeProvider, deterministicRandomForTestingOnly, exportAgent, fromHex, SessionAgent, toHex, utf8 } from '../../reference/index.js';
import { REPO_ROOT } from '../external.js';

const p = createNodeProvider(deterministicRandomForTestingOnly('agentsec records v1'), 'node-seeded');
const storageKey = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const alice = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 2, pqOneTimePrekeys: 2 });
const bob = SessionAgent.create(p, { kind: 'pqxdh', oneTimePrekeys: 2, pqOneTimePrekeys: 2 });
bob.decrypt('alice', alice.initiate('bob', bob.bundle(), utf8('hello')));
alice.decrypt('bob', bob.encrypt('alice', utf8('hi')));
const skipped = alice.encrypt('bob', utf8('skipped'));
bob.decrypt('alice', alice.encrypt('bob', utf8('after skip')));
const record = exportAgent(p, bob, storageKey);
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : join(REPO_ROOT, 'vectors/records/agent-v1.json');
const vector = {
  description: 'agentsec agent record, record version 1, type 0x01 (agent): a PQXDH responder with one session holding one skipped message key',
  reqs: ['REC-001', 'REC-005'],
  record_version: 1,
  storage_key: toHex(storageKey),
  record: toHex(record),
  peer: 'alice',
  queued_message: toHex(skipped),
  queued_plaintext: 'skipped',
};
writeFileSync(out, JSON.stringify(vector, null, 2) + '\n');
console.log(`wrote ${out} (${record.length}-byte record)`);
