import { readFile } from 'node:fs/promises';
import { type CommandIo, UsageError } from './command.js';

/** The PEM of a private CA named by `STOW_CACERT` (daemons, GitLab), or undefined when unset. */
export async function privateCa(io: CommandIo): Promise<Buffer | undefined> {
  const file = io.env.STOW_CACERT;
  if (!file) return undefined;
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(
      `STOW_CACERT ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
