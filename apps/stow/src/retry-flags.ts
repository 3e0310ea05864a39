import { type CommandIo, UsageError } from './command.js';

/** `--attempts N` and `--max-delay SECONDS` of the commands that ask daemons (stow trigger, stow history). */
export const RETRY_FLAGS = {
  attempts: { type: 'string' },
  'max-delay': { type: 'string' },
} as const;

export const RETRY_HELP = `  --attempts N          attempts per daemon, first try included (default 6)
  --max-delay SECONDS   longest wait between attempts (default 30)`;

/** The retry policy the flags ask for (unset flags keep the client's defaults). */
export function retryPolicy(values: { attempts?: string | undefined; 'max-delay'?: string | undefined }): {
  attempts?: number;
  maxDelayMs?: number;
} {
  const retry: { attempts?: number; maxDelayMs?: number } = {};
  if (values.attempts !== undefined) {
    if (!/^\d+$/.test(values.attempts) || Number(values.attempts) < 1 || Number(values.attempts) > 100) {
      throw new UsageError(`--attempts ${JSON.stringify(values.attempts)} is not a number from 1 to 100`);
    }
    retry.attempts = Number(values.attempts);
  }
  if (values['max-delay'] !== undefined) {
    const seconds = Number(values['max-delay']);
    if (!/^\d+(\.\d+)?$/.test(values['max-delay']) || seconds > 3600) {
      throw new UsageError(
        `--max-delay ${JSON.stringify(values['max-delay'])} is not a number of seconds (0 to 3600)`,
      );
    }
    retry.maxDelayMs = seconds * 1000;
  }
  return retry;
}

/** The line printed before waiting for another attempt. */
export function retryNote(io: CommandIo) {
  return ({ attempt, delayMs, reason }: { attempt: number; delayMs: number; reason: string }) =>
    io.stderr.write(
      `  attempt ${attempt} failed (${reason}); retrying in ${delayMs < 1000 ? `${delayMs} ms` : `${(delayMs / 1000).toFixed(1)} s`}\n`,
    );
}
