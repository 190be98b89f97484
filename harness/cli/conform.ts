import { notBuilt } from './command.js';

export const conformCommand = notBuilt(
  'conform',
  `Usage: agentsec conform [--impl "<cmd>"] [--suite a,b] [--seed N] [--expect FILE] [--report DIR] [--quick] [--only ID]`,
  'run the conformance suites against the reference or an adapter',
);
