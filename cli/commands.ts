import type { Command } from './command.js';

/**
 * The CLI's commands. Each is loaded only when run, so that `agentsec --help` and the first output
 * line of every command do not wait for the crypto, harness and cloud SDK modules of the others.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'conform', summary: 'run the conformance suites against the reference or an adapter', load: async () => (await import('./conform.js')).conformCommand },
  { name: 'fuzz', summary: 'model-based stateful fuzzing of an implementation through its adapter', load: async () => (await import('./fuzz.js')).fuzzCommand },
  { name: 'vectors generate', summary: 'generate the project test vectors', load: async () => (await import('./vectors.js')).vectorsGenerateCommand },
  { name: 'vectors verify', summary: 'verify vector files against an implementation', load: async () => (await import('./vectors.js')).vectorsVerifyCommand },
  { name: 'report merge', summary: 'merge the reports of conform --shard runs into one', load: async () => (await import('./report.js')).reportMergeCommand },
  { name: 'adapter', summary: 'serve the reference implementation over the adapter protocol', load: async () => (await import('./adapter.js')).adapterCommand },
  { name: 'bench', summary: 'benchmark hot paths against peers', load: async () => (await import('./bench.js')).benchCommand },
  { name: 'spec check', summary: 'typecheck, test and simulate the Quint models', load: async () => (await import('./spec.js')).specCheckCommand },
  { name: 'spec extract', summary: 'write spec/requirements.json from spec/*.md', load: async () => (await import('./spec.js')).specExtractCommand },
  { name: 'spec coverage', summary: 'check every MUST is tested or excepted', load: async () => (await import('./spec.js')).specCoverageCommand },
  { name: 'kms serve', summary: 'run the AWS KMS (or Azure Key Vault, GCP Cloud KMS) compatible endpoint on 127.0.0.1', load: async () => (await import('./kms.js')).kmsServeCommand },
  { name: 'directory serve', summary: 'run a prekey directory on 127.0.0.1', load: async () => (await import('./directory.js')).directoryServeCommand },
];
