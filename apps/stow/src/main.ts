import { type Command, type CommandIo, UsageError } from './command.js';
import { COMMANDS } from './commands/index.js';
import { ExitCode } from './exit-codes.js';
import { isInputError } from './input-errors.js';
import { STOW_VERSION } from './version.js';

/** Runs `stow <args>` and returns the exit code; everything it prints goes through `io`. */
export async function main(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [first, ...rest] = args;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : await findCommand(topic);
    io.stdout.write(command ? command.help : await overview());
    return topic !== undefined && !command ? unknownCommand(topic, io) : ExitCode.success;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`stow ${STOW_VERSION}\n`);
    return ExitCode.success;
  }
  const command = await findCommand(first);
  if (!command) return unknownCommand(first, io);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help);
    return ExitCode.success;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return report(command, error, io);
  }
}

/** Loads the named command's module, and only that one; undefined for an unknown name. */
async function findCommand(name: string): Promise<Command | undefined> {
  return COMMANDS.find((entry) => entry.name === name)?.load();
}

/** The overview loads every command module for its summary: they are cheap, their dependencies are not loaded. */
async function overview(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `stow ${STOW_VERSION}: keeps a Docker host converged to a Git repository

Usage: stow <command> [options]

Commands:
${lines.join('\n')}

Run 'stow <command> --help' for a command's options. 'stow --version' prints the version.
Exit codes: 0 success; 1 deployment failed and was rolled back; 2 usage, config or input error;
3 rollback failed (the host needs attention).
`;
}

function unknownCommand(name: string, io: CommandIo): ExitCode {
  io.stderr.write(
    `stow: unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}\n`,
  );
  return ExitCode.badInput;
}

/** Known failures become one clear line and their exit code; anything else is reported as unexpected. */
function report(command: Command, error: unknown, io: CommandIo): ExitCode {
  if (error instanceof UsageError) {
    io.stderr.write(`stow ${command.name}: ${error.message}\nRun 'stow ${command.name} --help' for usage.\n`);
    return ExitCode.badInput;
  }
  if (isInputError(error)) {
    io.stderr.write(`stow ${command.name}: ${error.message}\n`);
    return ExitCode.badInput;
  }
  const detail = io.env.STOW_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
  io.stderr.write(
    `stow ${command.name}: unexpected error: ${error instanceof Error ? error.message : String(error)}${detail}\n`,
  );
  return ExitCode.badInput;
}
