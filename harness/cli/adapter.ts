import { notBuilt } from './command.js';

export const adapterCommand = notBuilt(
  'adapter',
  `Usage: agentsec adapter

Serves the reference over agentsec-adapter/1 on stdin/stdout.`,
  'serve the reference implementation over the adapter protocol',
);
