/**
 * Rollback detection for senders (spec/session.md SESS-010..012). A restored old snapshot of a
 * session must never send under a message key it already used; the session record alone cannot
 * tell, so a small monotonic watermark per session is kept OUTSIDE the record: the sending chain
 * (epoch and ratchet public key) and the next unused message number. It is advanced before a
 * ciphertext leaves the agent (write-ahead), so a crash between send and persist is covered.
 */
import { readFileSync } from 'node:fs';
import { AgentsecError } from '../errors.js';
import { writeFileAtomicSync } from '../atomic-file.js';

export interface Watermark {
  /** The session's count of sending chains when the chain was current. */
  readonly epoch: number;
  /** Hex of the sending chain's ratchet public key. */
  readonly chain: string;
  /** The lowest message number never used on that chain. */
  readonly next: number;
}

export interface WatermarkStore {
  get(sessionId: string): Watermark | undefined;
  /** Durably records `w`; a watermark never moves backwards (older values are ignored). */
  advance(sessionId: string, w: Watermark): void;
}

function newer(a: Watermark, b: Watermark | undefined): boolean {
  return !b || a.epoch > b.epoch || (a.epoch === b.epoch && a.next > b.next);
}

export class MemoryWatermarkStore implements WatermarkStore {
  protected readonly marks = new Map<string, Watermark>();
  get(id: string): Watermark | undefined {
    return this.marks.get(id);
  }
  advance(id: string, w: Watermark): void {
    if (newer(w, this.marks.get(id))) this.marks.set(id, { ...w });
  }
}

/** Watermarks in one small JSON file, rewritten atomically (temp file, fsync, rename) on every advance. */
export class FileWatermarkStore extends MemoryWatermarkStore {
  constructor(private readonly path: string) {
    super();
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new AgentsecError('decode_failure', 'WATERMARK_FILE', `watermark file ${path} is not valid JSON`);
      }
      if (typeof parsed !== 'object' || parsed === null) throw new AgentsecError('decode_failure', 'WATERMARK_FILE', `watermark file ${path} is malformed`);
      for (const [id, v] of Object.entries(parsed)) {
        const w = v as Partial<Watermark>;
        if (typeof w.epoch !== 'number' || typeof w.chain !== 'string' || typeof w.next !== 'number') throw new AgentsecError('decode_failure', 'WATERMARK_FILE', `watermark file ${path}: entry ${id} is malformed`);
        this.marks.set(id, { epoch: w.epoch, chain: w.chain, next: w.next });
      }
    }
  }
  override advance(id: string, w: Watermark): void {
    if (!newer(w, this.marks.get(id))) return;
    this.marks.set(id, { ...w });
    writeFileAtomicSync(this.path, new TextEncoder().encode(JSON.stringify(Object.fromEntries(this.marks))));
  }
}
