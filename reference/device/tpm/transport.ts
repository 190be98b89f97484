/**
 * Raw TPM 2.0 command transport over swtpm's data socket (UNIX or TCP): one command in flight, the
 * response framed by the size field of its header; the caller owns (and may wipe) the response
 * bytes, and the transport zeroes its own intermediate buffers. A closed connection or a timeout fails the
 * pending command with state_failure and marks the transport dead; callers reconnect.
 */
import { connect, type Socket } from 'node:net';
import { AgentsecError } from '../../errors.js';

export type TpmAddress = { path: string } | { host: string; port: number };

export interface TpmTransport {
  send(command: Uint8Array, name: string): Promise<Uint8Array>;
  readonly alive: boolean;
  close(): void;
}

// Responses are at most MAX_RESPONSE_SIZE (4096 on libtpms); anything larger is a framing error.
const MAX_RESPONSE = 8192;

function describe(a: TpmAddress): string {
  return 'path' in a ? a.path : `${a.host}:${a.port}`;
}

export async function connectTpm(address: TpmAddress, timeoutMs = 30_000): Promise<TpmTransport> {
  if ('host' in address && address.host !== '127.0.0.1' && address.host !== '::1') {
    throw new AgentsecError('policy_reject', 'TPM_ADDRESS', 'a TPM over TCP must be on 127.0.0.1 or ::1');
  }
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = 'path' in address ? connect(address.path) : connect(address.port, address.host);
    const onErr = (e: Error) => {
      s.destroy();
      reject(new AgentsecError('state_failure', 'TPM_UNREACHABLE', `cannot connect to the TPM at ${describe(address)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    };
    s.once('error', onErr);
    s.once('connect', () => {
      s.off('error', onErr);
      resolve(s);
    });
  });
  sock.setNoDelay(true);

  let alive = true;
  let buf = new Uint8Array(0);
  let pending: { resolve(b: Uint8Array): void; reject(e: Error): void; name: string; timer: NodeJS.Timeout } | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const failPending = (reason: string, msg: (n: string) => string) => {
    alive = false;
    const p = pending;
    pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(new AgentsecError('state_failure', reason, msg(p.name)));
    }
  };
  sock.on('data', (chunk: Buffer) => {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    // Responses can carry unsealed secrets: no stale copy is left behind in the buffers we drop.
    buf.fill(0);
    chunk.fill(0);
    buf = next;
    if (buf.length < 10 || !pending) return;
    const size = new DataView(buf.buffer, buf.byteOffset + 2, 4).getUint32(0, false);
    if (size < 10 || size > MAX_RESPONSE) {
      sock.destroy();
      failPending('TPM_FRAMING', (n) => `${n}: TPM response has an impossible size ${size}`);
      return;
    }
    if (buf.length < size) return;
    const resp = buf.slice(0, size);
    const rest = buf.slice(size);
    buf.fill(0);
    buf = rest;
    const p = pending;
    pending = undefined;
    clearTimeout(p.timer);
    p.resolve(resp);
  });
  // @req KEY-024
  sock.on('close', () => failPending('TPM_CONNECTION_LOST', (n) => `the TPM connection (${describe(address)}) closed before the response to ${n} arrived`));
  sock.on('error', () => undefined); // 'close' follows and reports

  return {
    get alive() {
      return alive;
    },
    send(command: Uint8Array, name: string): Promise<Uint8Array> {
      const run = () =>
        new Promise<Uint8Array>((resolve, reject) => {
          if (!alive) {
            reject(new AgentsecError('state_failure', 'TPM_CONNECTION_LOST', `${name}: the TPM connection (${describe(address)}) is closed`));
            return;
          }
          const timer = setTimeout(() => {
            sock.destroy();
            failPending('TPM_TIMEOUT', (n) => `${n}: no response from the TPM within ${timeoutMs} ms`);
          }, timeoutMs);
          pending = { resolve, reject, name, timer };
          sock.write(command);
        });
      const p = queue.then(run, run);
      queue = p.catch(() => undefined);
      return p;
    },
    close() {
      alive = false;
      sock.destroy();
    },
  };
}
