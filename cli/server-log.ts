/**
 * `--log FILE|-` and `--config FILE` for the servers: a scrubbing logger (reference/observability, pino lines)
 * driven by a SecurityConfig, writing JSON lines to a file or to stderr.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { AgentsecError, createScrubbingLogger, defaultSecurityConfig, loadSecurityConfig, type ScrubbingLogger, type SecurityConfig } from '../reference/index.js';

export const SERVER_LOG_USAGE = `  --log FILE|-        one JSON line per request (scrubbed per the config) appended to FILE, or to stderr with -
  --config FILE       SecurityConfig JSON driving the log scrubbing and sampling (default: the secure defaults)`;

export interface ServerLog {
  readonly logger?: ScrubbingLogger;
  close(): void;
}

// @req OBS-020
export function openServerLog(logFlag: unknown, configFlag: unknown): ServerLog {
  // The config is validated even without --log, so a bad file is refused before the server starts.
  const config: SecurityConfig = typeof configFlag === 'string' ? loadSecurityConfig(configFlag) : defaultSecurityConfig;
  if (typeof logFlag !== 'string') return { close: () => undefined };
  if (logFlag === '-') {
    return { logger: createScrubbingLogger(config, { write: (line: string) => void process.stderr.write(line) }), close: () => undefined };
  }
  // Synchronous appends: every line is on disk when the request is answered, even if the process is killed.
  let fd: number;
  try {
    fd = openSync(logFlag, 'a', 0o600);
  } catch (e) {
    throw new AgentsecError('decode_failure', 'LOG_FILE', `${logFlag}: cannot open the log file (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return {
    logger: createScrubbingLogger(config, { write: (line: string) => void writeSync(fd, line) }),
    close: () => closeSync(fd),
  };
}
