/**
 * Fault injection per operation (spec/kms.md "Faults"): the next N calls of an operation fail with
 * throttling or an internal error, or every call is delayed (a timeout for a client with a shorter
 * request timeout). `*` applies to every operation.
 */
export interface FaultSpec {
  /** The next N calls answer ThrottlingException (HTTP 400). */
  throttle?: number;
  /** The next N calls answer KMSInternalException (HTTP 500). */
  internal?: number;
  /** Every call waits this long before being handled. */
  delayMs?: number;
}

export type InjectedFault = 'throttle' | 'internal' | undefined;

export class Faults {
  private readonly specs = new Map<string, FaultSpec>();

  set(op: string, spec: FaultSpec): void {
    for (const n of [spec.throttle, spec.internal, spec.delayMs]) {
      if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new Error(`fault counts and delays must be non-negative integers`);
    }
    this.specs.set(op, { ...spec });
  }

  clear(op?: string): void {
    if (op === undefined) this.specs.clear();
    else this.specs.delete(op);
  }

  delayFor(op: string): number {
    return Math.max(this.specs.get(op)?.delayMs ?? 0, this.specs.get('*')?.delayMs ?? 0);
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
