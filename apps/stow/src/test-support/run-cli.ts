import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `stow <args>` in-process with captured output. */
export async function runCli(
  args: string[],
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    interactive: false,
    cwd,
  });
  return { code, stdout, stderr };
}

/** A scratch directory with helpers to write files into it. */
export function scratch() {
  const dir = mkdtempSync(path.join(tmpdir(), 'stow-cli-'));
  return {
    dir,
    async write(relative: string, contents: string) {
      const target = path.join(dir, relative);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, contents);
      return target;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
