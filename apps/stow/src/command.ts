import type { ExitCode } from './exit-codes.js';

/** Where a command writes; tests pass their own. */
export interface CommandIo {
  readonly stdout: { write(text: string | Uint8Array): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  /** A person at a terminal (TTY and not CI): show progress. */
  readonly interactive: boolean;
  readonly cwd: string;
}

/** One CLI command: it parses its flags, calls one library function and prints. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  run(args: readonly string[], io: CommandIo): Promise<ExitCode>;
}

/** Thrown for bad flags or arguments; the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
