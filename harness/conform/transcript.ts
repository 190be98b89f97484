/**
 * A test's exchange with the implementation under test: every request and its answer, recorded by a
 * wrapper around the Adapter (so the child-process client and the in-process reference record the
 * same thing). Kept in the reports for failing and warning tests (CONF-060).
 *
 * Byte strings are shortened in the middle as they are recorded: a report must never hold a 16-byte
 * stretch of key material (OBS-016), and the head and tail are what a reader matches by eye.
 */
import { redactLine } from './redact.js';
import { AdapterCallError, AdapterFault, type Adapter } from './types.js';
import { dict } from '../../reference/dict.js';

export interface TranscriptEntry {
  method: string;
  params: unknown;
  result?: unknown;
  error?: { kind: string; reason?: string; message: string };
  fault?: { fault: AdapterFault['fault']; message: string };
}

export interface Transcript {
  entries: TranscriptEntry[];
  /** Calls left out in the middle of a long exchange. */
  omitted: number;
}

/** Hex runs longer than this many characters are shortened. */
const LONG_HEX = 24;
const HEAD = 12;
const TAIL = 8;
const MAX_STRING = 200;
/** Calls kept: the first and last halves of this many. */
export const MAX_ENTRIES = 120;

// @req CONF-060
/** `0011...(N bytes)...eeff`: at most 10 bytes of any byte string survive, never 16 in a row. */
export function shortenHex(s: string): string {
  return s.replace(/[0-9a-f]{25,}/g, (h) => (h.length <= LONG_HEX ? h : `${h.slice(0, HEAD)}...(${Math.floor(h.length / 2)} bytes)...${h.slice(-TAIL)}`));
}

/** A JSON value with every long hex string shortened and long text cut. */
export function shortenValue(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') {
    const s = shortenHex(v);
    return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}...(${s.length} chars)` : s;
  }
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.length > 40 ? [...v.slice(0, 40).map((x) => shortenValue(x, depth + 1)), `...(${v.length - 40} more)`] : v.map((x) => shortenValue(x, depth + 1));
  const out = dict<unknown>();
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = shortenValue(x, depth + 1);
  return out;
}

export class TranscriptRecorder {
  private head: TranscriptEntry[] = [];
  private tail: TranscriptEntry[] = [];
  private omitted = 0;

  add(e: TranscriptEntry): void {
    if (this.head.length < MAX_ENTRIES / 2) {
      this.head.push(e);
      return;
    }
    this.tail.push(e);
    if (this.tail.length > MAX_ENTRIES / 2) {
      this.tail.shift();
      this.omitted++;
    }
  }

  take(): Transcript {
    return { entries: [...this.head, ...this.tail], omitted: this.omitted };
  }

  get size(): number {
    return this.head.length + this.tail.length;
  }
}

/** Text the implementation wrote may carry its secrets: redacted like the rest of a report. */
function errorEntry(e: unknown): Pick<TranscriptEntry, 'error' | 'fault'> {
  if (e instanceof AdapterCallError) return { error: { kind: e.kind, ...(e.reason ? { reason: e.reason } : {}), message: shortenHex(redactLine(e.message)) } };
  if (e instanceof AdapterFault) return { fault: { fault: e.fault, message: shortenHex(redactLine(e.message)) } };
  return { error: { kind: 'harness', message: shortenHex(redactLine(e instanceof Error ? e.message : String(e))) } };
}

/** The adapter, with each call and its answer recorded into `rec`. */
export function recording(a: Adapter, rec: TranscriptRecorder): Adapter {
  return {
    get hello() {
      return a.hello;
    },
    get healthy() {
      return a.healthy;
    },
    get failure() {
      return a.failure;
    },
    async call(method, params, opts) {
      const entry: TranscriptEntry = { method, params: shortenValue(params) };
      try {
        const r = await a.call(method, params, opts);
        entry.result = shortenValue(r);
        return r;
      } catch (e) {
        Object.assign(entry, errorEntry(e));
        throw e;
      } finally {
        rec.add(entry);
      }
    },
    stderr: () => a.stderr(),
    ...(a.drainStderr ? { drainStderr: () => a.drainStderr!() } : {}),
    close: () => a.close(),
  };
}

/** The transcript as text: `-> method {params}` then `<- {result}` / `<- error kind/reason: message`. */
export function formatTranscript(t: Transcript): string {
  const lines: string[] = [];
  t.entries.forEach((e, i) => {
    if (t.omitted > 0 && i === MAX_ENTRIES / 2) lines.push(`... ${t.omitted} calls omitted ...`);
    lines.push(`-> ${e.method} ${JSON.stringify(e.params)}`);
    if (e.error) lines.push(`<- error ${e.error.kind}${e.error.reason ? `/${e.error.reason}` : ''}: ${e.error.message}`);
    else if (e.fault) lines.push(`<- adapter fault (${e.fault.fault}): ${e.fault.message}`);
    else lines.push(`<- ${JSON.stringify(e.result) ?? 'undefined'}`);
  });
  return lines.join('\n');
}
