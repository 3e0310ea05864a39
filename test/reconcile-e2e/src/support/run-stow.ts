import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The workspace build of the CLI and the single-file executable. */
export const CLI = fileURLToPath(new URL('../../../../apps/stow/dist/cli.js', import.meta.url));
export const BINARY = fileURLToPath(new URL('../../../../apps/stow/dist/stow', import.meta.url));

export interface StowRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real stow process (`command ...prefix ...args`); a failing exit is a result, not a throw. */
export async function runStow(
  command: string,
  prefix: readonly string[],
  args: readonly string[],
): Promise<StowRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...prefix, ...args], {
      env: { ...process.env, CI: 'true' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
