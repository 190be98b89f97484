/**
 * TEST SEAM: deliberate bugs that can be switched on to show that the trace replay, the model-based
 * tests and the conformance suites catch them (the mutation check, spec/models/README.md).
 * Off unless the environment variable AGENTSEC_MUTATION_FOR_TESTING_ONLY names one of them.
 */
export const MUTATIONS = {
  /** Double Ratchet: a failed decrypt still commits the advanced receiving chain. */
  'dr-advance-on-failure': 'a failed ratchet decrypt commits the advanced state',
  /** Double Ratchet: the sending counter is not part of the persisted record (a restart reuses message keys). */
  'dr-counter-not-persisted': 'the sending message counter is not persisted across export/import',
  /** Noise: a failed transport decrypt still increments the receive nonce. */
  'noise-nonce-advance-on-failure': 'a failed Noise transport decrypt increments the nonce',
  /** Envelope: rewrap keeps the old KEK version. */
  'env-rewrap-noop': 'rewrap returns the envelope unchanged',
} as const;

export type MutationName = keyof typeof MUTATIONS;

export function mutationActiveForTestingOnly(name: MutationName): boolean {
  return process.env.AGENTSEC_MUTATION_FOR_TESTING_ONLY === name;
}
