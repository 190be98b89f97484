/**
 * Replays the trace corpus against the in-process reference (envelope traces against its API) and
 * prints one line per divergence:
 *   node --import tsx harness/test/trace-main.ts [--model noise_handshake|double_ratchet|envelope_lifecycle] [--json]
 * Exit 1 when any trace diverges. The mutation check (harness/test/mutation.test.ts) runs this in a
 * child process with a mutation switched on.
 */
import { startReferenceAdapter } from '../adapters/in-process.js';
import { replayCorpus } from '../trace/corpus-replay.js';
import type { TraceModel } from '../trace/index.js';
import { referenceEnvelopeSubject } from './reference-envelope-subject.js';

const args = process.argv.slice(2);
const mi = args.indexOf('--model');
const iut = await startReferenceAdapter();
const s = await replayCorpus(iut, { envelope: referenceEnvelopeSubject, ...(mi >= 0 ? { model: args[mi + 1] as TraceModel } : {}) }).finally(() => iut.close());
if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(s)}\n`);
} else {
  for (const f of s.findings) process.stdout.write(`FAIL ${f}\n`);
  for (const [m, c] of Object.entries(s.byModel)) process.stdout.write(`${m}: ${c.traces - c.failed}/${c.traces} traces conform\n`);
  process.stdout.write(`${s.traces - s.failed}/${s.traces} traces, ${s.steps} steps replayed\n`);
}
process.exitCode = s.failed === 0 ? 0 : 1;
