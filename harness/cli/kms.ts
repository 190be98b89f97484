import { notBuilt } from './command.js';

export const kmsServeCommand = notBuilt(
  'kms serve',
  `Usage: agentsec kms serve [--port N] [--mode aws|localstack] [--state FILE]`,
  'run the AWS-KMS-compatible endpoint on 127.0.0.1',
);
