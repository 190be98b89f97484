import { notBuilt } from './command.js';

export const benchCommand = notBuilt(
  'bench',
  `Usage: agentsec bench [--filter RE] [--json FILE]`,
  'benchmark hot paths against peers',
);
