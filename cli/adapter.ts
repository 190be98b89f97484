/**
 * `agentsec adapter`: the reference served over agentsec-adapter/1 on stdin/stdout. Requests are
 * handled one at a time, in order. Stdout carries responses only: anything else the process would
 * print goes to stderr.
 */
import { createInterface } from 'node:readline';
import { ReferenceDispatcher } from '../adapter/index.js';
import { getProvider, type CryptoProvider } from '../reference/index.js';
import { EXIT_OK, parseFlags, providerFlag, UsageError, type Command } from './command.js';

export async function serveAdapter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, log: (line: string) => void, provider?: CryptoProvider): Promise<void> {
  const dispatcher = new ReferenceDispatcher({
    ...(provider ? { provider } : {}),
    onInternalError: (method, e) => log(`agentsec adapter: internal error in ${method}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const response = await dispatcher.handleLine(line);
    if (response !== undefined) output.write(`${response}\n`);
  }
}

export const adapterCommand: Command = {
  name: 'adapter',
  summary: 'serve the reference implementation over the adapter protocol',
  usage: `Usage: agentsec adapter [--provider noble|node]

Serves the reference over agentsec-adapter/1: JSON-RPC 2.0 requests one per line on stdin,
responses one per line on stdout, diagnostics on stderr. Exits when stdin closes.
Use it as the implementation under test: agentsec conform --impl "agentsec adapter"
  --provider NAME   crypto provider of the served reference: noble (default) or node`,
  async run(args) {
    const { flags, positionals } = parseFlags(args, { strings: ['provider'] });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
    const providerName = providerFlag(flags.provider);
    // Keep stdout for protocol lines only, whatever a dependency might print.
    const toStderr = (...xs: unknown[]): void => {
      process.stderr.write(`${xs.map(String).join(' ')}\n`);
    };
    console.log = toStderr;
    console.info = toStderr;
    console.debug = toStderr;
    await serveAdapter(process.stdin, process.stdout, (l) => process.stderr.write(`${l}\n`), providerName ? getProvider(providerName) : undefined);
    return EXIT_OK;
  },
};
