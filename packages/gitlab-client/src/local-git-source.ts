import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { GitlabClientError } from './errors.js';
import { extractSubfolderArchive } from './extract.js';
import type { DesiredStateSource, ExtractLimits } from './source.js';
import { assertSha, normalizeSubfolder } from './validate.js';

export interface LocalGitSourceOptions {
  /** A local repository (bare or with a work tree) or a remote URL (https://, ssh://, git@host:path, file://). */
  repository: string;
  /** Default: the repository's HEAD branch (for a URL: the remote's HEAD at mirror time). */
  branch?: string;
  subfolder: string;
  /** Where a bare mirror of a remote URL is kept (required for URLs). */
  cacheDir?: string;
  limits?: ExtractLimits;
  /** The git executable (default `git` on PATH). */
  gitBinary?: string;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCP_LIKE = /^[^/\s:]+@[^/\s:]+:/;
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/+@-]+(?<![/.])$/;

export function isRemoteRepository(repository: string): boolean {
  return URL_LIKE.test(repository) || SCP_LIKE.test(repository);
}

/** The repository for messages: a URL's password is never shown. */
function displayRepository(repository: string): string {
  if (!URL_LIKE.test(repository)) return repository;
  try {
    const url = new URL(repository);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return repository.replace(/\/\/[^@/]*@/, '//***@');
  }
}

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The desired state in a git repository reached through the `git` CLI (execFile, no shell). */
export function createLocalGitSource(options: LocalGitSourceOptions): DesiredStateSource {
  const subfolder = normalizeSubfolder(options.subfolder);
  const gitBinary = options.gitBinary ?? 'git';
  const remote = isRemoteRepository(options.repository);
  const shown = displayRepository(options.repository);
  if (options.repository.startsWith('-')) {
    throw new GitlabClientError('INVALID_ARGUMENT', `repository "${shown}" may not start with "-"`);
  }
  if (options.branch !== undefined && !BRANCH.test(options.branch)) {
    throw new GitlabClientError('INVALID_ARGUMENT', `branch "${options.branch}" is not a valid branch name`);
  }
  if (remote && !options.cacheDir) {
    throw new GitlabClientError(
      'INVALID_ARGUMENT',
      `a cacheDir is needed to mirror the remote repository ${shown}`,
    );
  }
  const gitDir = remote
    ? join(
        resolve(options.cacheDir ?? '.'),
        `${createHash('sha256').update(options.repository).digest('hex').slice(0, 16)}.git`,
      )
    : resolve(options.repository);
  const redact = (text: string) =>
    shown === options.repository ? text : text.split(options.repository).join(shown);
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' };

  const run = (args: string[], where: 'repo' | 'none' = 'repo'): Promise<GitRun> =>
    new Promise((resolvePromise, reject) => {
      const full = where === 'repo' ? ['-C', gitDir, ...args] : args;
      execFile(gitBinary, full, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(
            new GitlabClientError('GIT_FAILED', `cannot run ${gitBinary}: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        resolvePromise({ code: error ? Number(error.code) : 0, stdout, stderr: redact(stderr) });
      });
    });
  const must = async (args: string[], what: string, where: 'repo' | 'none' = 'repo') => {
    const r = await run(args, where);
    if (r.code !== 0) {
      throw new GitlabClientError(
        'GIT_FAILED',
        `git ${what} failed for ${shown}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
      );
    }
    return r.stdout.trim();
  };

  // Remote URLs: one bare mirror, fetched before reading heads; fetches never run concurrently.
  let mirrorReady: Promise<void> | null = null;
  let fetching: Promise<void> | null = null;
  const ensureMirror = () => {
    if (!remote) return Promise.resolve();
    mirrorReady ??= (async () => {
      const exists = await access(join(gitDir, 'HEAD')).then(
        () => true,
        () => false,
      );
      if (exists) return;
      await mkdir(resolve(options.cacheDir ?? '.'), { recursive: true });
      await rm(gitDir, { recursive: true, force: true });
      await must(
        ['clone', '--mirror', '--quiet', '--', options.repository, gitDir],
        'clone --mirror',
        'none',
      );
    })().catch((error) => {
      mirrorReady = null;
      throw error;
    });
    return mirrorReady;
  };
  const refresh = async (): Promise<void> => {
    await ensureMirror();
    if (!remote) return;
    fetching ??= must(['fetch', '--prune', '--quiet', 'origin'], 'fetch')
      .then(() => undefined)
      .finally(() => {
        fetching = null;
      });
    return fetching;
  };

  const branchName = async (): Promise<string> => {
    if (options.branch) return options.branch;
    const r = await run(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    if (r.code !== 0)
      throw new GitlabClientError('GIT_FAILED', `${shown}: HEAD is not a branch; set the branch option`);
    return r.stdout.trim();
  };
  const lookup = async (sha: string): Promise<string | null> => {
    const r = await run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : null;
  };
  const resolveCommit = async (sha: string): Promise<string | null> => {
    assertSha(sha);
    await ensureMirror();
    const found = await lookup(sha);
    if (found || !remote) return found;
    await refresh();
    return lookup(sha);
  };

  const missing = (full: string) =>
    new GitlabClientError('NOT_FOUND', `${shown}: subfolder ${subfolder} does not exist at ${full}`, {
      entry: subfolder,
    });
  const knownCommit = async (sha: string) => {
    const full = await resolveCommit(sha);
    if (!full) throw new GitlabClientError('NOT_FOUND', `${shown}: commit ${sha} does not exist`);
    return full;
  };
  /** A blob's exact bytes (execFile's text decoding would alter non-UTF-8 content). */
  const readBlob = (spec: string): Promise<Buffer> =>
    new Promise((resolvePromise, reject) => {
      execFile(
        gitBinary,
        ['-C', gitDir, 'cat-file', 'blob', spec],
        { env, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            reject(
              new GitlabClientError(
                'NOT_FOUND',
                `${shown}: ${spec.split(':').pop()} cannot be read: ${redact(stderr.toString('utf8')).trim()}`,
              ),
            );
            return;
          }
          resolvePromise(stdout);
        },
      );
    });

  return {
    describe: () => `git ${shown} subfolder ${subfolder}${options.branch ? ` branch ${options.branch}` : ''}`,
    async listSubfolder(sha) {
      const full = await knownCommit(sha);
      const listing = await run(['ls-tree', '-r', '-z', '--end-of-options', `${full}:${subfolder}`]);
      if (listing.code !== 0) throw missing(full);
      const files = listing.stdout
        .split('\0')
        .filter(Boolean)
        .map((record) => {
          const tab = record.indexOf('\t');
          const [mode = '', , blobId = ''] = record.slice(0, tab).split(' ');
          return { path: record.slice(tab + 1), blobId, mode };
        });
      if (files.length === 0) throw missing(full);
      return files;
    },
    async readSubfolderFile(sha, path) {
      return readBlob(`${await knownCommit(sha)}:${subfolder}/${path}`);
    },
    async defaultBranchHead() {
      await refresh();
      const branch = await branchName();
      const r = await run(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
      if (r.code !== 0) throw new GitlabClientError('NOT_FOUND', `${shown}: branch ${branch} does not exist`);
      return { branch, sha: r.stdout.trim() };
    },
    resolveCommit,
    async isOnDefaultBranch(sha) {
      const full = await resolveCommit(sha);
      if (!full) return false;
      const branch = await branchName();
      const r = await run(['merge-base', '--is-ancestor', full, `refs/heads/${branch}`]);
      if (r.code === 0) return true;
      if (r.code === 1) return false;
      throw new GitlabClientError('GIT_FAILED', `git merge-base failed for ${shown}: ${r.stderr.trim()}`);
    },
    async fetchSubfolder(sha, stagingDir) {
      const full = await knownCommit(sha);
      const type = await run(['cat-file', '-t', `${full}:${subfolder}`]);
      if (type.code !== 0 || type.stdout.trim() !== 'tree') throw missing(full);
      const child = spawn(
        gitBinary,
        ['-C', gitDir, 'archive', '--format=tar', `--prefix=stow-${full}/`, full, '--', subfolder],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      // Attach a reader before anything awaits: Node discards unread child output once the child exits.
      const stdout = child.stdout.pipe(new PassThrough({ highWaterMark: 1024 * 1024 }));
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString('utf8');
      });
      const exited = new Promise<number>((done) => {
        child.on('error', () => done(-1));
        child.on('close', (code) => done(code ?? -1));
      });
      const failed = async () => {
        const code = await exited;
        return code === 0
          ? null
          : new GitlabClientError('GIT_FAILED', `git archive failed for ${shown}: ${redact(stderr).trim()}`);
      };
      try {
        const result = await extractSubfolderArchive(stdout, {
          stagingDir,
          subfolder,
          gzip: false,
          ...options.limits,
        });
        const gitError = await failed();
        if (gitError) {
          await rm(stagingDir, { recursive: true, force: true });
          throw gitError;
        }
        return result;
      } catch (error) {
        if (child.exitCode === null) child.kill();
        throw (await failed()) ?? error;
      }
    },
  };
}
