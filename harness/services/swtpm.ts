/**
 * swtpm (libtpms) as a child process per test: a private state folder and UNIX sockets in a temp
 * folder, no Docker and no ports. `restart()` starts a new process on the same state folder (the
 * TPM's seeds persist there), `kill()` simulates a crash, `pause()` freezes it mid-command.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SWTPM_INSTALL = 'apt-get install -y swtpm swtpm-tools';

export function swtpmAvailable(): boolean {
  return spawnSync('swtpm', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface SwtpmInstance {
  readonly socketPath: string;
  readonly ctrlPath: string;
  readonly stateDir: string;
  readonly pid: number | undefined;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGSTOP: the TPM stops answering; `resume()` sends SIGCONT. */
  pause(): void;
  resume(): void;
  /** A new swtpm process on the same state folder and socket paths. */
  restart(): Promise<void>;
  /** Stops the process and removes the temp folder (unless the state folder was given). */
  stop(): Promise<void>;
}

async function waitForSocket(path: string, child: ChildProcess, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`swtpm exited with code ${child.exitCode} before listening`);
    if (existsSync(path)) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(path);
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
    }
    if (Date.now() > deadline) throw new Error(`swtpm did not listen on ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export async function startSwtpm(opts: { stateDir?: string } = {}): Promise<SwtpmInstance> {
  const base = await mkdtemp(join(tmpdir(), 'agentsec-swtpm-'));
  const stateDir = opts.stateDir ?? join(base, 'state');
  const socketPath = join(base, 'tpm.sock');
  const ctrlPath = join(base, 'ctrl.sock');
  let child: ChildProcess;
  const launch = async () => {
    await rm(socketPath, { force: true });
    await rm(ctrlPath, { force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    child = spawn(
      'swtpm',
      ['socket', '--tpm2', '--server', `type=unixio,path=${socketPath}`, '--ctrl', `type=unixio,path=${ctrlPath}`, '--tpmstate', `dir=${stateDir}`, '--flags', 'not-need-init,startup-clear'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitForSocket(socketPath, child);
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`${(e as Error).message}${stderr ? `; stderr: ${stderr.trim()}` : ''}`, { cause: e });
    }
  };
  await launch();
  return {
    socketPath,
    ctrlPath,
    stateDir,
    get pid() {
      return child.pid;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        await exited(child);
      }
      await launch();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        await exited(child);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}
