/**
 * Replays the trace corpus against the in-process reference and prints one line per divergence:
 *   node --import tsx harness/trace/main.ts [--model noise_handshake|double_ratchet|envelope_lifecycle] [--json]
 * Exit 1 when any trace diverges. The mutation check (harness/test/mutation.test.ts) replays the
 * corpus against each mutant of harness/test/mutants/.
 */
import { replayCorpus } from './corpus-replay.js';
import type { TraceModel } from './index.js';

const args = process.argv.slice(2);
const mi = args.indexOf('--model');
const s = await replayCorpus(mi >= 0 ? (args[mi + 1] as TraceModel) : undefined);
if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(s)}\n`);
} else {
  for (const f of s.findings) process.stdout.write(`FAIL ${f}\n`);
  for (const [m, c] of Object.entries(s.byModel)) process.stdout.write(`${m}: ${c.traces - c.failed}/${c.traces} traces conform\n`);
  process.stdout.write(`${s.traces - s.failed}/${s.traces} traces, ${s.steps} steps replayed\n`);
}
process.exitCode = s.failed === 0 ? 0 : 1;
