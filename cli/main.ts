import { AgentsecError } from '../reference/errors.js';
import { PACKAGE_VERSION } from '../reference/paths.js';
import { EXIT_FAILURES, EXIT_USAGE, UsageError } from './command.js';
import { commands, type CommandEntry } from './commands.js';

const VERSION = PACKAGE_VERSION;

function topHelp(): string {
  const lines = [
    `agentsec ${VERSION} - conformance harness and reference for secure agent-to-agent channels`,
    '',
    'Usage: agentsec <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(20)} ${c.summary}`),
    '',
    'Run "agentsec <command> --help" for the options of a command.',
  ];
  return lines.join('\n') + '\n';
}

/** Finds the command for argv: two-word commands ("vectors generate") before one-word ones. */
function resolve(argv: string[]): { cmd: CommandEntry; rest: string[] } | undefined {
  const two = argv.slice(0, 2).join(' ');
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  if (byOne) return { cmd: byOne, rest: argv.slice(1) };
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  if (argv[0] === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const found = resolve(argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length > 0) {
      process.stderr.write(`agentsec ${argv[0]}: expected one of: ${group.map((c) => c.name.split(' ')[1]).join(', ')}\n`);
    } else {
      process.stderr.write(`agentsec: unknown command "${argv[0]}" (run agentsec --help)\n`);
    }
    return EXIT_USAGE;
  }
  const cmd = await found.cmd.load();
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    process.stdout.write(`${cmd.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await cmd.run(found.rest);
  } catch (e) {
    // Bad usage or a refused configuration: one line with the reason (the message names the fix), exit 2.
    if (e instanceof UsageError || e instanceof AgentsecError) {
      process.stderr.write(`agentsec ${found.cmd.name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`agentsec ${found.cmd.name}: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILURES;
  }
}
