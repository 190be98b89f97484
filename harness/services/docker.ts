/**
 * Docker through testcontainers (11.14.0: 12.x needs Node 22). No registry is reachable here, so
 * the swtpm image is built locally from the host's own swtpm binary and the libraries ldd lists
 * (FROM scratch, about 8 MB, under a second), and containers run with host networking. Ryuk (the
 * reaper) is an image from Docker Hub, so it is disabled; containers are stopped explicitly.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const DOCKER_INSTALL = 'apt-get install -y docker.io && dockerd --bridge=none --iptables=false &';

process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// dockerd runs without a bridge network here (--bridge=none): testcontainers would otherwise look
// up the bridge gateway to find the host and fail. Containers use the host network and 127.0.0.1.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

function dockerSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return undefined;
  const path = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
  return existsSync(path) ? path : undefined;
}

/** True when a Docker engine answers /_ping on its UNIX socket within a second. */
export async function dockerAvailable(): Promise<boolean> {
  const socketPath = dockerSocket();
  if (!socketPath) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The host binary and the shared libraries it loads, resolved through symlinks. */
function binaryClosure(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [binary, ...libs];
}

/**
 * Builds (or rebuilds, cheaply: identical layers are cached) `agentsec/swtpm-scratch:<digest>` from
 * the host's swtpm and returns its tag. AGENTSEC_SWTPM_IMAGE names a ready image instead (its
 * entrypoint must be swtpm, with /tpmstate writable).
 */
export async function buildSwtpmImage(): Promise<string> {
  // Where a registry is reachable, an image of its own can be named instead of building one.
  const given = process.env.AGENTSEC_SWTPM_IMAGE;
  if (given) return given;
  const { GenericContainer } = await import('testcontainers');
  const swtpm = realpathSync(execFileSync('sh', ['-c', 'command -v swtpm'], { encoding: 'utf8' }).trim());
  const files = binaryClosure(swtpm);
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(f));
  const tag = `agentsec/swtpm-scratch:${h.digest('hex').slice(0, 12)}`;
  const ctx = mkdtempSync(join(tmpdir(), 'agentsec-swtpm-image-'));
  try {
    for (const f of files) {
      // Copy under both the ldd path and the binary's usual path; copyFileSync follows symlinks.
      const dest = join(ctx, 'root', f);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(f, dest);
    }
    mkdirSync(join(ctx, 'root', 'usr', 'bin'), { recursive: true });
    if (swtpm !== '/usr/bin/swtpm') copyFileSync(swtpm, join(ctx, 'root', 'usr', 'bin', 'swtpm'));
    mkdirSync(join(ctx, 'root', 'tpmstate'), { recursive: true });
    writeFileSync(join(ctx, 'root', 'tpmstate', '.keep'), '');
    mkdirSync(join(ctx, 'root', 'tmp'), { recursive: true });
    writeFileSync(join(ctx, 'root', 'tmp', '.keep'), '');
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY root/ /\nENTRYPOINT ["/usr/bin/swtpm"]\n');
    await GenericContainer.fromDockerfile(ctx).build(tag, { deleteOnExit: false });
    return tag;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

export interface SwtpmContainer {
  readonly id: string;
  readonly image: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  stop(): Promise<void>;
}

async function waitForTcp(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`swtpm container did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts swtpm in a container on the host network, TCP server on 127.0.0.1:<free port>. */
export async function startSwtpmContainer(image: string, log: (line: string) => void = console.log): Promise<SwtpmContainer> {
  const { GenericContainer } = await import('testcontainers');
  const port = await freePort();
  let ctrl = await freePort();
  while (ctrl === port) ctrl = await freePort();
  const started = await new GenericContainer(image)
    .withNetworkMode('host')
    .withCommand(['socket', '--tpm2', '--server', `type=tcp,port=${port},bindaddr=127.0.0.1`, '--ctrl', `type=tcp,port=${ctrl},bindaddr=127.0.0.1`, '--tpmstate', 'dir=/tpmstate', '--flags', 'not-need-init,startup-clear'])
    .start();
  try {
    await waitForTcp(port, 10_000);
  } catch (e) {
    await started.stop();
    throw e;
  }
  log(`swtpm container ${started.getId().slice(0, 12)} started from image ${image} on 127.0.0.1:${port}`);
  return {
    id: started.getId(),
    image,
    host: '127.0.0.1',
    port,
    async stop() {
      await started.stop({ remove: true, timeout: 2_000 });
    },
  };
}
