import { openStore } from '../services/directory/open-store.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_LIMITS, type DirectoryLimits } from '../services/directory/limits.js';
import { loadRegistration } from '../services/directory/registration.js';
import { startDirectory } from '../services/directory/server.js';
import { parseFlags, UsageError, type Command } from './command.js';
import { openServerTelemetry } from './server-otlp.js';

export const directoryServeCommand: Command = {
  name: 'directory serve',
  summary: 'run a prekey directory and mailbox on 127.0.0.1',
  usage: `Usage: agentsec directory serve [--port N] [--store sqlite:PATH|postgres:URL] [--registration open|token:FILE|allow-list:FILE] [--limits FILE] [--log FILE|-] [--config FILE] [--otlp URL]

Serves a prekey directory and mailbox (spec/directory.md) over HTTP on 127.0.0.1 until SIGINT/SIGTERM
(in-flight requests get up to 10 s to finish).
  --port N        port to listen on (default: any free port, printed)
  --store SPEC    sqlite:PATH (a SQLite file in WAL mode, created when absent; several processes may
                  share it), sqlite: (in memory, the default) or postgres://user:pass@127.0.0.1:5432/db
  --registration  who may claim a new name: open (default), token:FILE (claimants present the token
                  held in FILE) or allow-list:FILE (lines "name ed25519-key-hex")
  --limits FILE   JSON object overriding named limits (spec/directory.md "Limits"), e.g. {"clientPerSecond": 500}
  --log FILE|-    one JSON line per request (scrubbed per the config) appended to FILE, or to stderr with -
  --config FILE   SecurityConfig JSON driving the log scrubbing and sampling (default: the secure defaults)
  --otlp URL      export one span per request (and the library's spans), scrubbed and sampled per the
                  config, to an OTLP/HTTP receiver on loopback (http://127.0.0.1:4318/v1/traces)
Routes: PUT /v1/agents/{name}/bundles, POST /v1/agents/{name}/bundle, GET /v1/agents/{name},
PUT /v1/agents/{name}/messages/{id}, GET /v1/agents/{name}/messages, POST /v1/agents/{name}/messages/ack`,
  async run(args) {
    const { flags } = parseFlags(args, { strings: ['port', 'store', 'registration', 'limits', 'log', 'config', 'otlp'] });
    const port = flags.port === undefined ? 0 : Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer 0..65535');
    let registration;
    try {
      registration = loadRegistration(flags.registration as string | undefined);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const limits = flags.limits === undefined ? {} : readLimits(flags.limits as string);
    const log = await openServerTelemetry(flags.log, flags.config, flags.otlp);
    const store = await openStore(flags.store as string | undefined);
    const dir = await startDirectory({ store, port, registration, limits, ...(log.logger ? { logger: log.logger } : {}) });
    process.stdout.write(`agentsec directory listening on ${dir.url} (store ${store.description}, registration ${registration.mode})\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // @req DIR-024
    await dir.close();
    await log.close();
    return 0;
  },
};

/** A JSON object of named limits; unknown names and non-positive values are usage errors. */
function readLimits(file: string): Partial<DirectoryLimits> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--limits ${file}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError('--limits must hold a JSON object of named limits');
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in DEFAULT_LIMITS)) throw new UsageError(`--limits: unknown limit "${k}" (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new UsageError(`--limits: "${k}" must be a positive number`);
  }
  return raw as Partial<DirectoryLimits>;
}
