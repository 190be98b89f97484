import type { Command } from './command.js';
import { adapterCommand } from './adapter.js';
import { benchCommand } from './bench.js';
import { conformCommand } from './conform.js';
import { directoryServeCommand } from './directory.js';
import { kmsServeCommand } from './kms.js';
import { specCheckCommand, specCoverageCommand, specExtractCommand } from './spec.js';
import { vectorsGenerateCommand, vectorsVerifyCommand } from './vectors.js';

/** The CLI contract of DESIGN.md, one file per command. */
export const commands: Command[] = [
  conformCommand,
  vectorsGenerateCommand,
  vectorsVerifyCommand,
  adapterCommand,
  benchCommand,
  specCheckCommand,
  specExtractCommand,
  specCoverageCommand,
  kmsServeCommand,
  directoryServeCommand,
];
