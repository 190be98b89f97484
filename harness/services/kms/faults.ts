/**
 * Fault injection per operation (spec/kms.md "Faults"): the next N calls of an operation fail with
 * throttling or an internal error, every call is delayed, or every call is held at a gate until the
 * test releases it or until a set number of calls wait there together. `*` applies to every operation.
 */
export interface FaultSpec {
  /** The next N calls answer ThrottlingException (HTTP 400). */
  throttle?: number;
  /** The next N calls answer KMSInternalException (HTTP 500). */
  internal?: number;
  /** Every call waits this long before being handled. */
  delayMs?: number;
  /** Every call waits at this gate before being handled (after any delay). */
  hold?: Hold;
}

export type InjectedFault = 'throttle' | 'internal' | undefined;

/**
 * A gate for requests, so tests synchronise on events instead of on time (KMS-052). Without a
 * barrier, calls wait until `release()`; with `barrier: n`, every n-th waiting call releases the
 * n waiting together (a cyclic barrier), so n calls are provably in flight at once.
 */
// @req KMS-052
export class Hold {
  /** Calls that reached the gate so far. */
  arrived = 0;
  private waiters: (() => void)[] = [];
  private watchers: { n: number; resolve: () => void }[] = [];
  private readonly barrier: number | undefined;

  constructor(opts: { barrier?: number } = {}) {
    if (opts.barrier !== undefined && (!Number.isInteger(opts.barrier) || opts.barrier < 1)) throw new Error('a hold barrier must be a positive integer');
    this.barrier = opts.barrier;
  }

  /** Calls waiting at the gate now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves when the call may go on. */
  wait(): Promise<void> {
    this.arrived++;
    const p = new Promise<void>((r) => this.waiters.push(r));
    const due = this.watchers.filter((w) => w.n <= this.arrived);
    this.watchers = this.watchers.filter((w) => w.n > this.arrived);
    for (const w of due) w.resolve();
    if (this.barrier !== undefined && this.waiters.length >= this.barrier) this.release();
    return p;
  }

  /** Lets every waiting call go on. */
  release(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const r of ws) r();
  }

  /** Resolves once n calls have reached the gate in total. */
  whenArrived(n: number): Promise<void> {
    if (this.arrived >= n) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ n, resolve }));
  }
}

export class Faults {
  private readonly specs = new Map<string, FaultSpec>();

  set(op: string, spec: FaultSpec): void {
    for (const n of [spec.throttle, spec.internal, spec.delayMs]) {
      if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new Error(`fault counts and delays must be non-negative integers`);
    }
    this.specs.get(op)?.hold?.release();
    this.specs.set(op, { ...spec });
  }

  /** Removes faults; calls held at a removed gate go on. */
  clear(op?: string): void {
    for (const [k, s] of this.specs) {
      if (op !== undefined && k !== op) continue;
      s.hold?.release();
      this.specs.delete(k);
    }
  }

  delayFor(op: string): number {
    return Math.max(this.specs.get(op)?.delayMs ?? 0, this.specs.get('*')?.delayMs ?? 0);
  }

  /** Waits at the operation's gate, then at the `*` gate, where set. */
  async holdFor(op: string): Promise<void> {
    for (const key of [op, '*']) {
      const h = this.specs.get(key)?.hold;
      if (h) await h.wait();
    }
  }

  /** Consumes one injected failure for this call, if any is pending. */
  take(op: string): InjectedFault {
    for (const key of [op, '*']) {
      const s = this.specs.get(key);
      if (!s) continue;
      if (s.throttle) {
        s.throttle--;
        return 'throttle';
      }
      if (s.internal) {
        s.internal--;
        return 'internal';
      }
    }
    return undefined;
  }
}
