import { openStore } from '../services/directory/open-store.js';
import { startDirectory } from '../services/directory/server.js';
import { parseFlags, UsageError, type Command } from './command.js';
import { openServerLog } from './server-log.js';

export const directoryServeCommand: Command = {
  name: 'directory serve',
  summary: 'run a prekey directory on 127.0.0.1',
  usage: `Usage: agentsec directory serve [--port N] [--store sqlite:PATH|postgres:URL] [--log FILE|-] [--config FILE]

Serves a prekey directory (spec/directory.md) over HTTP on 127.0.0.1 until SIGINT/SIGTERM.
  --port N        port to listen on (default: any free port, printed)
  --store SPEC    sqlite:PATH (a SQLite file, created when absent), sqlite: (in memory, the default)
                  or postgres://user:pass@127.0.0.1:5432/db
  --log FILE|-    one JSON line per request (scrubbed per the config) appended to FILE, or to stderr with -
  --config FILE   SecurityConfig JSON driving the log scrubbing and sampling (default: the secure defaults)
Routes: PUT /v1/agents/{name}/bundles, POST /v1/agents/{name}/bundle, GET /v1/agents/{name}`,
  async run(args) {
    const { flags } = parseFlags(args, { strings: ['port', 'store', 'log', 'config'] });
    const port = flags.port === undefined ? 0 : Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0..65535');
    const log = openServerLog(flags.log, flags.config);
    const store = await openStore(flags.store as string | undefined);
    const dir = await startDirectory({ store, port, ...(log.logger ? { logger: log.logger } : {}) });
    process.stdout.write(`agentsec directory listening on ${dir.url} (store ${store.description})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dir.close();
    log.close();
    return 0;
  },
};
