import { notBuilt } from './command.js';

export const vectorsGenerateCommand = notBuilt('vectors generate', 'Usage: agentsec vectors generate [--out DIR] [--seed N]', 'generate the project test vectors');
export const vectorsVerifyCommand = notBuilt('vectors verify', 'Usage: agentsec vectors verify [--impl "<cmd>"] [PATH ...]', 'verify vector files against an implementation');
