/**
 * SoftHSM2 tokens in a temp folder. SoftHSM reads SOFTHSM2_CONF when the module initializes, so a
 * test process points it at its own folder once (`prepareSofthsm`) and creates every token it needs
 * there before the first session is opened.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';
export const SOFTHSM_INSTALL = 'apt-get install -y softhsm2';

export function softhsmAvailable(): boolean {
  return existsSync(SOFTHSM_LIBRARY) && spawnSync('softhsm2-util', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface SofthsmEnv {
  readonly dir: string;
  readonly conf: string;
  readonly library: string;
  /** Creates and initializes a token; returns its label. */
  initToken(label: string, pin: string, soPin?: string): string;
  cleanup(): void;
}

let current: SofthsmEnv | undefined;

export function prepareSofthsm(): SofthsmEnv {
  if (current) return current;
  const dir = mkdtempSync(join(tmpdir(), 'agentsec-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`, { mode: 0o600 });
  process.env.SOFTHSM2_CONF = conf;
  const env: SofthsmEnv = {
    dir,
    conf,
    library: SOFTHSM_LIBRARY,
    initToken(label, pin, soPin = '5678') {
      const r = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env: { ...process.env, SOFTHSM2_CONF: conf }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`softhsm2-util --init-token failed: ${r.stderr || r.stdout}`);
      return label;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      current = undefined;
    },
  };
  current = env;
  return env;
}
