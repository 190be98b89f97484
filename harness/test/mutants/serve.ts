/** `node harness/test/mutants/serve.mjs <name>`: one mutant over agentsec-adapter/1, requests one per line. */
import { createInterface } from 'node:readline';
import { mutant, mutantDispatcher } from './index.js';

const name = process.argv[2];
if (!name) {
  process.stderr.write('usage: serve.mjs <mutant name>\n');
  process.exit(2);
}
const dispatcher = mutantDispatcher(mutant(name), { onInternalError: (method, e) => process.stderr.write(`mutant ${name}: internal error in ${method}: ${e instanceof Error ? e.message : String(e)}\n`) });
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const response = await dispatcher.handleLine(line);
  if (response !== undefined) process.stdout.write(`${response}\n`);
}
