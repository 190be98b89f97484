/**
 * The mutant list: the reference with one deliberate bug each, for the mutation check
 * (harness/test/mutation.test.ts) and for any other check that must show it catches bugs
 * (e.g. `agentsec fuzz`). Each entry gives a factory (`dispatcher`, `startMutantAdapter`) and the
 * command line that serves it over agentsec-adapter/1 (`mutantCommand`, usable as --impl).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CryptoProvider } from '../../../reference/crypto/provider.js';
import { startReferenceAdapter } from '../../adapters/in-process.js';
import type { Adapter, Services } from '../../conform/types.js';
import { ENVELOPE_MUTANTS } from './envelope.js';
import type { Mutant } from './mutant.js';
import { NOISE_MUTANTS } from './noise.js';
import { NOISE_EXPLICIT_MUTANTS } from './noise-explicit.js';
import { RATCHET_MUTANTS } from './ratchet.js';
import { RECORD_MUTANTS } from './records.js';
import { X3DH_MUTANTS } from './x3dh.js';

export type { Mutant, MutantArea } from './mutant.js';
export { mutantDispatcher } from './mutant.js';

export const MUTANTS: readonly Mutant[] = [...NOISE_MUTANTS, ...NOISE_EXPLICIT_MUTANTS, ...RATCHET_MUTANTS, ...X3DH_MUTANTS, ...ENVELOPE_MUTANTS, ...RECORD_MUTANTS];

export function mutant(name: string): Mutant {
  const m = MUTANTS.find((x) => x.name === name);
  if (!m) throw new Error(`no mutant "${name}" (one of ${MUTANTS.map((x) => x.name).join(', ')})`);
  return m;
}

/** A mutant as an Adapter in this process (same JSON round trip and validation as the reference's). */
export function startMutantAdapter(m: Mutant, opts: { services?: Services; provider?: CryptoProvider } = {}): Promise<Adapter> {
  return startReferenceAdapter({ ...opts, areas: m.areas() });
}

const SERVE = resolve(fileURLToPath(new URL('.', import.meta.url)), 'serve.mjs');

/** The command line serving a mutant over stdio, e.g. for `agentsec conform --impl`. */
export function mutantCommand(name: string): string {
  mutant(name);
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(SERVE)} ${name}`;
}
