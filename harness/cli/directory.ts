import { notBuilt } from './command.js';

export const directoryServeCommand = notBuilt(
  'directory serve',
  `Usage: agentsec directory serve [--port N] [--store sqlite:PATH|postgres:URL]`,
  'run a prekey directory on 127.0.0.1',
);
