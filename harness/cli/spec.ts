import { notBuilt } from './command.js';

export const specCheckCommand = notBuilt('spec check', 'Usage: agentsec spec check', 'typecheck, test and simulate the Quint models');
export const specExtractCommand = notBuilt('spec extract', 'Usage: agentsec spec extract', 'write spec/requirements.json from spec/*.md');
export const specCoverageCommand = notBuilt('spec coverage', 'Usage: agentsec spec coverage [--report DIR]', 'check every MUST is tested or excepted');
