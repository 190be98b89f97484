import { openStore } from '../services/directory/open-store.js';
import { startDirectory } from '../services/directory/server.js';
import { parseFlags, UsageError, type Command } from './command.js';

export const directoryServeCommand: Command = {
  name: 'directory serve',
  summary: 'run a prekey directory on 127.0.0.1',
  usage: `Usage: agentsec directory serve [--port N] [--store sqlite:PATH|postgres:URL]

Serves a prekey directory (spec/directory.md) over HTTP on 127.0.0.1 until SIGINT/SIGTERM.
  --port N        port to listen on (default: any free port, printed)
  --store SPEC    sqlite:PATH (a SQLite file, created when absent), sqlite: (in memory, the default)
                  or postgres://user:pass@127.0.0.1:5432/db
Routes: PUT /v1/agents/{name}/bundles, POST /v1/agents/{name}/bundle, GET /v1/agents/{name}`,
  async run(args) {
    const { flags } = parseFlags(args, { strings: ['port', 'store'] });
    const port = flags.port === undefined ? 0 : Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0..65535');
    const store = await openStore(flags.store as string | undefined);
    const dir = await startDirectory({ store, port });
    process.stdout.write(`agentsec directory listening on ${dir.url} (store ${store.description})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dir.close();
    return 0;
  },
};
