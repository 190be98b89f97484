import { readFileSync } from 'node:fs';
import { AgentsecError } from '../errors.js';
import { parseSecurityConfig, type SecurityConfig } from './security-config.js';

/**
 * Reads a SecurityConfig from a JSON file (CONFIG-014). An unreadable file or invalid JSON is a
 * decode_failure naming the file; the content then goes through parseSecurityConfig, whose
 * messages are prefixed with the file name.
 */
// @req CONFIG-014
export function loadSecurityConfig(path: string): SecurityConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'read error';
    throw new AgentsecError('decode_failure', 'CONFIG_FILE', `${path}: cannot read the configuration file (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    // The parser's message gives the position; it quotes at most a token of a config file, which holds no secrets.
    throw new AgentsecError('decode_failure', 'CONFIG_JSON', `${path}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return parseSecurityConfig(json);
  } catch (e) {
    if (e instanceof AgentsecError) throw new AgentsecError(e.kind, e.reason, `${path}: ${e.message}`);
    throw e;
  }
}
