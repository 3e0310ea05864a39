import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { FakeGitlabError } from './errors.js';

/** Environment for every git call: no user or system config, fixed identity unless overridden. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Fake GitLab',
    GIT_AUTHOR_EMAIL: 'fake-gitlab@example.com',
    GIT_COMMITTER_NAME: 'Fake GitLab',
    GIT_COMMITTER_EMAIL: 'fake-gitlab@example.com',
    ...extra,
  };
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export interface GitRunOptions {
  input?: Buffer | string;
  env?: Record<string, string>;
  /** Accept a non-zero exit (returned in `code`) instead of throwing. */
  allowFailure?: boolean;
}

/** Runs `git --git-dir=<gitDir> ...args` without a shell. */
export function git(gitDir: string, args: string[], options: GitRunOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [`--git-dir=${gitDir}`, ...args],
      { env: gitEnv(options.env), encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const result = { stdout, stderr: stderr.toString('utf8'), code };
        if (error && (!options.allowFailure || typeof error.code !== 'number')) {
          reject(
            new FakeGitlabError('GIT_FAILED', `git ${args[0]} failed: ${result.stderr.trim()}`, {
              cause: error,
            }),
          );
          return;
        }
        resolve(result);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** git with text output, trimmed. */
export async function gitText(gitDir: string, args: string[], options: GitRunOptions = {}): Promise<string> {
  return (await git(gitDir, args, options)).stdout.toString('utf8').trim();
}

/** Spawns git with its stdout as a stream (archives). */
export function gitSpawn(gitDir: string, args: string[]): ChildProcess {
  return spawn('git', [`--git-dir=${gitDir}`, ...args], {
    env: gitEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Creates a bare repository whose HEAD points at `defaultBranch`. */
export async function initBareRepo(dir: string, defaultBranch = 'main'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      'git',
      ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, '--', dir],
      { env: gitEnv() },
      (error, _stdout, stderr) => {
        if (error) reject(new FakeGitlabError('GIT_FAILED', `git init failed: ${stderr}`, { cause: error }));
        else resolve();
      },
    );
  });
}
