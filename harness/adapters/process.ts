/**
 * The child-process client of agentsec-adapter/1: JSON-RPC 2.0, one request per line on the
 * implementation's stdin, one response per line on its stdout, one request in flight.
 *
 * The implementation under test is not trusted. A crash, a hang (per-call timeout), a line that is
 * not a JSON-RPC response, an answer to the wrong id, an oversize line or a malformed result make
 * the adapter fail with an AdapterFault naming what happened; the process is killed and every later
 * call fails fast, so the runner starts a fresh process for the next test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AdapterFault, type Adapter, type CallOptions, type HelloResult, type Services } from '../conform/types.js';
import { checkRequest, errorFromRpc, snippet, validateHello, validateResult } from '../conform/validate.js';

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_STDERR_BYTES = 64 * 1024;

export interface ProcessAdapterOptions {
  /** A shell command line (run with `sh -c`) or an argv array (run directly). */
  command: string | readonly string[];
  services?: Services;
  /** Per-call timeout. */
  callTimeoutMs?: number;
  /** Time to start and answer `hello` (default: the larger of 30 s and the call timeout). */
  startTimeoutMs?: number;
  /** Longest response line accepted, in bytes. */
  maxLineBytes?: number;
  /** Stderr kept (the tail), in bytes. */
  maxStderrBytes?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Every live child, so none outlives the harness. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Keeps the tail of a text stream within a byte budget, marking what was dropped. */
class BoundedText {
  private text = '';
  private dropped = 0;
  constructor(private readonly max: number) {}
  push(s: string): void {
    this.text += s;
    if (this.text.length > this.max) {
      const cut = this.text.length - this.max;
      this.dropped += cut;
      this.text = this.text.slice(cut);
    }
  }
  take(): string {
    const out = this.dropped > 0 ? `[... ${this.dropped} earlier characters dropped]\n${this.text}` : this.text;
    return out;
  }
  clear(): void {
    this.text = '';
    this.dropped = 0;
  }
}

interface Pending {
  id: number;
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class ProcessAdapter implements Adapter {
  hello: HelloResult = { name: '', version: '', protocol: 1, capabilities: {} };
  private readonly child: ChildProcess;
  private readonly callTimeoutMs: number;
  private readonly maxLineBytes: number;
  private readonly allStderr: BoundedText;
  private readonly newStderr: BoundedText;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private nextId = 1;
  private pending: Pending | undefined;
  private fault: AdapterFault | undefined;
  private closing = false;
  private readonly closed: Promise<void>;

  constructor(readonly opts: ProcessAdapterOptions) {
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const maxStderr = opts.maxStderrBytes ?? DEFAULT_MAX_STDERR_BYTES;
    this.allStderr = new BoundedText(maxStderr);
    this.newStderr = new BoundedText(maxStderr);
    const spawnOpts = { stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'], detached: true, cwd: opts.cwd, env: opts.env ?? process.env };
    const cmd = opts.command;
    this.child = typeof cmd === 'string' ? spawn('sh', ['-c', cmd], spawnOpts) : spawn(cmd[0] ?? '', cmd.slice(1), spawnOpts);
    live.add(this.child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => {
        for (const c of live) killGroup(c);
      });
      // Children run in their own process group (so a hung one can be killed with everything it
      // started); an interrupted run must take them down too.
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => {
          for (const c of live) killGroup(c);
          // A caller that handles the signal itself (conform writes its partial report) keeps running.
          if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
        });
      }
    }
    this.closed = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        live.delete(this.child);
        if (!this.closing) {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          const during = this.pending ? ` while "${this.pending.method}" was in flight` : ' with no request in flight';
          const last = this.lastStderrLine();
          this.setFault(new AdapterFault('crash', `adapter process ${how}${during}${last ? ` (last stderr line: ${snippet(last)})` : ''}`));
        }
        resolve();
      });
    });
    this.child.on('error', (e) => {
      this.setFault(new AdapterFault('crash', `adapter process could not be started or written to: ${e.message}`));
    });
    this.child.stdin?.on('error', () => {
      // EPIPE after the child died: reported by the close handler.
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      this.allStderr.push(s);
      this.newStderr.push(s);
    });
  }

  get healthy(): boolean {
    return this.fault === undefined;
  }

  /** The fault that broke this adapter, if any. */
  get failure(): AdapterFault | undefined {
    return this.fault;
  }

  private lastStderrLine(): string {
    const lines = this.allStderr.take().trimEnd().split('\n');
    return lines[lines.length - 1] ?? '';
  }

  // @req CONF-006
  private setFault(f: AdapterFault): void {
    if (this.fault) return;
    this.fault = f;
    killGroup(this.child);
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(f);
    }
  }

  private onStdout(chunk: Buffer): void {
    if (this.fault) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (this.chunkBytes + part.length > this.maxLineBytes) return this.oversize();
      const line = Buffer.concat([...this.chunks, part]).toString('utf8');
      this.chunks = [];
      this.chunkBytes = 0;
      start = nl + 1;
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (this.fault) return;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      this.chunks.push(rest);
      this.chunkBytes += rest.length;
      if (this.chunkBytes > this.maxLineBytes) this.oversize();
    }
  }

  private oversize(): void {
    this.chunks = [];
    this.setFault(new AdapterFault('garbage', `adapter wrote a stdout line longer than ${this.maxLineBytes} bytes${this.pending ? ` answering "${this.pending.method}"` : ''}`));
  }

  private onLine(line: string): void {
    const p = this.pending;
    if (!p) {
      this.setFault(new AdapterFault('out_of_order', `adapter wrote a line with no request in flight: ${snippet(line)} (stdout is for responses only; log to stderr)`));
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.setFault(new AdapterFault('garbage', `adapter answered "${p.method}" with a line that is not JSON: ${snippet(line)} (stdout is for responses only; log to stderr)`));
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || (msg as Record<string, unknown>).jsonrpc !== '2.0') {
      this.setFault(new AdapterFault('garbage', `adapter answered "${p.method}" with something that is not a JSON-RPC 2.0 response: ${snippet(line)}`));
      return;
    }
    const m = msg as Record<string, unknown>;
    if (m.id !== p.id) {
      this.setFault(new AdapterFault('out_of_order', `adapter answered id ${(JSON.stringify(m.id) ?? 'undefined').slice(0, 40)} while request id ${p.id} ("${p.method}") was in flight`));
      return;
    }
    const hasResult = 'result' in m;
    const hasError = 'error' in m;
    if (hasResult === hasError) {
      this.setFault(new AdapterFault('garbage', `adapter's response to "${p.method}" must have exactly one of "result" and "error": ${snippet(line)}`));
      return;
    }
    this.pending = undefined;
    clearTimeout(p.timer);
    try {
      if (hasError) p.reject(errorFromRpc(p.method, m.error));
      else p.resolve(p.method === 'hello' ? validateHello(m.result) : validateResult(p.method, m.result));
    } catch (e) {
      // A malformed answer: the process is no longer trusted for this run.
      const f = e instanceof AdapterFault ? e : new AdapterFault('bad_result', String(e));
      this.setFault(f);
      p.reject(f);
    }
  }

  call(method: string, params: Record<string, unknown>, opts?: CallOptions): Promise<unknown> {
    return this.send(method, params, this.callTimeoutMs, opts);
  }

  /** Sends one request with its own timeout. */
  send(method: string, params: Record<string, unknown>, timeoutMs: number, opts?: CallOptions): Promise<unknown> {
    try {
      checkRequest(method, params, opts);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.fault) return Promise.reject(new AdapterFault(this.fault.fault, `adapter unusable after an earlier fault: ${this.fault.message}`));
    if (this.pending) return Promise.reject(new Error(`harness bug: "${method}" sent while "${this.pending.method}" is in flight`));
    const id = this.nextId++;
    const line = `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;
    return new Promise((resolve, reject) => {
      // @req CONF-005
      const timer = setTimeout(() => {
        this.setFault(new AdapterFault('timeout', `adapter did not answer "${method}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { id, method, resolve, reject, timer };
      this.child.stdin?.write(line);
    });
  }

  stderr(): string {
    return this.allStderr.take();
  }

  drainStderr(): string {
    const s = this.newStderr.take();
    this.newStderr.clear();
    return s;
  }

  /** Closes stdin and waits briefly for a clean exit, then kills the process group. */
  async close(): Promise<void> {
    // A call still in flight (an abandoned test) fails now rather than waiting for its timeout.
    if (this.pending) this.setFault(new AdapterFault('crash', `adapter closed while "${this.pending.method}" was in flight`));
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.closing = !this.fault;
      this.child.stdin?.end();
      const timer = setTimeout(() => killGroup(this.child), 1000);
      await this.closed;
      clearTimeout(timer);
    } else {
      await Promise.race([this.closed, new Promise((r) => setTimeout(r, 1000))]);
    }
    if (!this.fault) this.fault = new AdapterFault('crash', 'adapter closed');
  }
}

/** Starts the implementation and performs `hello`; throws AdapterFault when it does not answer properly. */
export async function startProcessAdapter(opts: ProcessAdapterOptions): Promise<ProcessAdapter> {
  const a = new ProcessAdapter(opts);
  const params: Record<string, unknown> = { protocol: 1 };
  if (opts.services && Object.keys(opts.services).length > 0) params.services = opts.services;
  try {
    // Starting a process (an interpreter, a JIT) can take far longer than answering a call.
    const startTimeout = opts.startTimeoutMs ?? Math.max(30_000, opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    a.hello = (await a.send('hello', params, startTimeout)) as HelloResult;
  } catch (e) {
    await a.close();
    throw e;
  }
  return a;
}
