/**
 * Who may claim a name (DIR-012). The first publication of a name pins it to the identity key that
 * signed the request and the bundles; the registration mode decides who may make that first one:
 *   open        anyone (the first claimant wins; a name is never re-pinned)
 *   token       a claimant presenting the registration token (header agentsec-registration-token)
 *   allow-list  only the names listed in a file, each with the Ed25519 key allowed to claim it
 * An allow-list file has one `name key-hex` pair a line; blank lines and `#` comments are ignored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AgentsecError } from '../../reference/errors.js';

export type Registration =
  | { readonly mode: 'open' }
  | { readonly mode: 'token'; readonly token: string }
  | { readonly mode: 'allow-list'; readonly keys: ReadonlyMap<string, string> };

const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function parseAllowList(text: string, source = 'allow-list'): Registration {
  const keys = new Map<string, string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, key, extra] = line.split(/\s+/);
    if (!name || !NAME.test(name) || !key || !/^[0-9a-f]{64}$/.test(key) || extra !== undefined) {
      throw new AgentsecError('decode_failure', 'BAD_ALLOW_LIST', `${source} line ${i + 1}: expected "name ed25519-public-key-hex"`);
    }
    keys.set(name, key);
  }
  return { mode: 'allow-list', keys };
}

/** `open`, `token:FILE` (the file holds the token) or `allow-list:FILE`. */
export function loadRegistration(spec: string | undefined): Registration {
  if (spec === undefined || spec === 'open') return { mode: 'open' };
  if (spec.startsWith('token:')) {
    const token = readFileSync(spec.slice('token:'.length), 'utf8').trim();
    if (token.length < 16) throw new AgentsecError('policy_reject', 'WEAK_TOKEN', 'the registration token must have at least 16 characters');
    return { mode: 'token', token };
  }
  if (spec.startsWith('allow-list:')) {
    const path = spec.slice('allow-list:'.length);
    return parseAllowList(readFileSync(path, 'utf8'), path);
  }
  throw new AgentsecError('decode_failure', 'BAD_REGISTRATION', `--registration must be open, token:FILE or allow-list:FILE, got "${spec}"`);
}

/** Throws policy_reject when `keyHex` may not claim the unpinned `name` under this mode. */
export function checkClaim(reg: Registration, name: string, keyHex: string, token: string | undefined): void {
  // @req DIR-012
  if (reg.mode === 'open') return;
  if (reg.mode === 'token') {
    const ok = token !== undefined && timingSafeEqual(createHash('sha256').update(token).digest(), createHash('sha256').update(reg.token).digest());
    if (!ok) throw new AgentsecError('policy_reject', 'REGISTRATION_REQUIRED', `"${name}" is not registered; its first publication needs the directory's registration token`);
    return;
  }
  if (reg.keys.get(name) !== keyHex) throw new AgentsecError('policy_reject', 'NOT_ALLOWED', `"${name}" may not be claimed by this key (directory allow-list)`);
}
