/**
 * The implementations a fuzz run drives: one lane per implementation (the IUT, and the second one
 * under --against), each with its adapter process, the in-process reference for interop steps and,
 * for envelope steps, its own KMS endpoint. A lane whose adapter faulted (crash, hang, garbage) is
 * restarted before the next run, the runner's robustness rules (CONF-006).
 */
import { startReferenceAdapter } from '../adapters/in-process.js';
import { startProcessAdapter } from '../adapters/process.js';
import { AdapterFault, type Adapter, type Services } from '../conform/types.js';
import { Violation, type Lane } from './kit.js';
import { startFuzzKms, type FuzzKms } from './kms.js';

/** Longest response line accepted while fuzzing: the largest Noise message in hex and then some. */
export const FUZZ_MAX_LINE_BYTES = 1024 * 1024;

export interface LaneSpec {
  readonly label: string;
  /** The adapter command line (sh -c); absent: the reference in process. */
  readonly command?: string;
  /** An adapter in this process instead (given the lane's services), e.g. a library embedding the fuzzer. */
  readonly start?: (services: Services) => Promise<Adapter>;
}

export interface LaneOptions {
  callTimeoutMs?: number;
  /** Start a KMS endpoint for this lane (envelope steps). */
  kms: boolean;
  /** Provide the in-process reference as second party for interop steps. */
  interop: boolean;
}

/** The implementation could not be started at all (exit 2), as in `conform`. */
export class LaneStartError extends Error {
  override name = 'LaneStartError';
}

export class LaneHolder {
  private adapter: Adapter | undefined;
  private reference: Adapter | undefined;
  private kms: FuzzKms | undefined;
  private started = false;

  constructor(
    readonly spec: LaneSpec,
    private readonly opts: LaneOptions,
  ) {}

  private async startAdapter(): Promise<Adapter> {
    const services = this.kms?.services ?? {};
    if (this.spec.start) return this.spec.start(services);
    if (this.spec.command === undefined) return startReferenceAdapter({ services });
    return startProcessAdapter({ command: this.spec.command, services, maxLineBytes: FUZZ_MAX_LINE_BYTES, ...(this.opts.callTimeoutMs ? { callTimeoutMs: this.opts.callTimeoutMs } : {}) });
  }

  /** A healthy lane: (re)starts what is missing or faulted. */
  async ready(): Promise<Lane> {
    if (this.opts.kms && !this.kms) this.kms = await startFuzzKms();
    if (!this.adapter || this.adapter.healthy === false) {
      await this.adapter?.close();
      this.adapter = undefined;
      try {
        this.adapter = await this.startAdapter();
      } catch (e) {
        const why = e instanceof AdapterFault ? `${e.fault}: ${e.message}` : e instanceof Error ? e.message : String(e);
        if (!this.started) throw new LaneStartError(`${this.spec.label}: the implementation did not start: ${why}`);
        throw new Violation(`${this.spec.label}: the implementation could not be restarted after a fault: ${why}`, ['CONF-006'], 'crash');
      }
      this.kms?.clearFaults();
      this.started = true;
    }
    if (this.opts.interop && !this.reference) this.reference = await startReferenceAdapter({ services: this.kms?.services ?? {} });
    return { label: this.spec.label, iut: this.adapter, ...(this.reference ? { reference: this.reference } : {}), ...(this.kms ? { kms: this.kms } : {}) };
  }

  get hello(): Adapter['hello'] | undefined {
    return this.adapter?.hello;
  }

  stderrTail(): string {
    return this.adapter?.stderr() ?? '';
  }

  async close(): Promise<void> {
    await this.adapter?.close();
    await this.reference?.close();
    await this.kms?.close();
    this.adapter = undefined;
    this.reference = undefined;
    this.kms = undefined;
  }
}
