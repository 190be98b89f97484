/**
 * Composition of a conformance run: the runner knows no implementation; here the reference, in
 * process through its adapter, becomes the interop peer of every run and the implementation under
 * test when no other is given.
 */
import { startReferenceAdapter } from '../harness/adapters/in-process.js';
import { runConformance, type RunnerOptions, type RunResult } from '../harness/conform/runner.js';
import type { CryptoProvider } from '../reference/index.js';

export type ReferenceRunOptions = Omit<RunnerOptions, 'startPeer'> & {
  startPeer?: RunnerOptions['startPeer'];
  /** Crypto provider of the in-process reference as IUT (default: noble). */
  provider?: CryptoProvider;
};

export function withReference(opts: ReferenceRunOptions): RunnerOptions {
  const { provider, ...rest } = opts;
  const peer: RunnerOptions['startPeer'] = (services) => startReferenceAdapter({ services });
  const referenceIut = rest.impl === undefined && rest.startIut === undefined;
  return {
    ...rest,
    startPeer: rest.startPeer ?? peer,
    ...(referenceIut
      ? {
          startIut: (services) => startReferenceAdapter({ services, ...(provider ? { provider } : {}) }),
          // The in-process reference keeps no process state worth sharing: a fresh one per test
          // makes each test independent, exactly like its reproduction.
          freshIutPerTest: true,
          implLabel: 'reference (in process)',
        }
      : {}),
  };
}

export function runWithReference(opts: ReferenceRunOptions): Promise<RunResult> {
  return runConformance(withReference(opts));
}
