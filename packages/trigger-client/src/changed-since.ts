import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { isMap, parseDocument } from 'yaml';
import { changedDeployments, deploymentDirs, ZERO_SHA } from './deployments.js';
import { TriggerError } from './errors.js';
import { type TriggerOptions, type TriggerResult, triggerDaemon } from './trigger.js';

const run = promisify(execFile);

/** What happened to one deployment directory. */
export type DirectoryOutcome =
  | { readonly dir: string; readonly kind: 'accepted'; readonly url: string; readonly result: TriggerResult }
  | { readonly dir: string; readonly kind: 'skipped'; readonly reason: string }
  | { readonly dir: string; readonly kind: 'failed'; readonly url?: string; readonly error: TriggerError };

export interface ChangedSinceReport {
  /** HEAD, the commit every daemon is asked to reconcile to. */
  readonly head: string;
  /** How the directories were chosen (`changed since <sha>`, `all: new branch`...). */
  readonly selection: string;
  readonly outcomes: readonly DirectoryOutcome[];
}

export interface ChangedSinceOptions extends Omit<TriggerOptions, 'baseUrl' | 'headHash'> {
  /** A directory inside the deployment repository checkout. */
  readonly cwd: string;
  /** CI_COMMIT_BEFORE_SHA: the branch head before the push. All zeros: every deployment. */
  readonly since: string;
  readonly gitBinary?: string;
  /** Test seam: the function that triggers one daemon (default triggerDaemon). */
  readonly trigger?: (options: TriggerOptions) => Promise<TriggerResult>;
}

/**
 * The merge pipeline's logic: in a deployment-repo checkout, find the deployment directories
 * (those with a stow.yaml) changed between `since` and HEAD, read each one's
 * `deployment.daemonBaseUrl`, and trigger each daemon with HEAD. Directories without
 * daemonBaseUrl are skipped with a reason; one daemon URL shared by several directories is
 * triggered once. When `since` is all zeros (new branch) or unknown to the checkout (shallow clone,
 * rewritten history), every deployment directory is triggered: a trigger of an unchanged host is a
 * no-op for the daemon, while missing one would leave a host behind.
 */
export async function triggerChangedSince(options: ChangedSinceOptions): Promise<ChangedSinceReport> {
  let cwd = options.cwd;
  const git = async (...args: string[]) => {
    try {
      const { stdout } = await run(options.gitBinary ?? 'git', args, {
        cwd,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (cause) {
      const stderr = String((cause as { stderr?: unknown }).stderr ?? '')
        .trim()
        .split('\n')[0];
      throw new TriggerError(
        'GIT_FAILED',
        `git ${args.join(' ')} in ${cwd} failed: ${stderr || (cause as Error).message}`,
        {
          cause,
        },
      );
    }
  };
  const since = options.since.trim();
  if (!/^[0-9a-fA-F]{7,40}$/.test(since)) {
    throw new TriggerError(
      'BAD_INPUT',
      `--changed-since ${JSON.stringify(options.since)} is not a commit sha (7 to 40 hex digits)`,
    );
  }
  const top = (await git('rev-parse', '--show-toplevel')).trim();
  // Every path below is relative to the repository root, whatever directory we were started in.
  cwd = top;
  const head = (await git('rev-parse', 'HEAD')).trim();
  const files = (await git('ls-tree', '-r', '-z', '--name-only', 'HEAD')).split('\0').filter(Boolean);
  const dirs = deploymentDirs(files);
  let selected: string[];
  let selection: string;
  if (/^0+$/.test(since) || since === ZERO_SHA) {
    selected = dirs;
    selection = 'all deployments (CI_COMMIT_BEFORE_SHA is all zeros: new branch or first push)';
  } else if (!(await commitExists(git, since))) {
    selected = dirs;
    selection = `all deployments (${since} is not in this checkout: shallow clone or rewritten history)`;
  } else {
    const changed = (await git('diff', '--name-only', '-z', '--no-renames', `${since}..HEAD`))
      .split('\0')
      .filter(Boolean);
    selected = changedDeployments(changed, dirs);
    selection = `deployments changed since ${since.slice(0, 12)}`;
  }
  const trigger = options.trigger ?? triggerDaemon;
  const outcomes: DirectoryOutcome[] = [];
  const triggered = new Map<string, DirectoryOutcome>();
  for (const dir of selected) {
    const file = dir === '.' ? 'stow.yaml' : `${dir}/stow.yaml`;
    let baseUrl: string | undefined;
    try {
      baseUrl = readDaemonBaseUrl(await readFile(path.join(top, file), 'utf8'), file);
    } catch (error) {
      const failure =
        error instanceof TriggerError
          ? error
          : new TriggerError('MANIFEST_INVALID', `${file} cannot be read: ${(error as Error).message}`, {
              cause: error,
            });
      outcomes.push({ dir, kind: 'failed', error: failure });
      continue;
    }
    if (!baseUrl) {
      outcomes.push({ dir, kind: 'skipped', reason: `${file} has no deployment.daemonBaseUrl` });
      continue;
    }
    const key = baseUrl.replace(/\/+$/, '');
    const earlier = triggered.get(key);
    if (earlier) {
      outcomes.push({ dir, kind: 'skipped', reason: `same daemon as ${earlier.dir}, already triggered` });
      continue;
    }
    let outcome: DirectoryOutcome;
    try {
      const { trigger: _t, cwd: _c, since: _s, gitBinary: _g, ...rest } = options;
      const result = await trigger({ ...rest, baseUrl, headHash: head });
      outcome = { dir, kind: 'accepted', url: result.url, result };
    } catch (error) {
      if (!(error instanceof TriggerError)) throw error;
      outcome = { dir, kind: 'failed', url: error.url ?? baseUrl, error };
    }
    triggered.set(key, outcome);
    outcomes.push(outcome);
  }
  return { head, selection, outcomes };
}

async function commitExists(git: (...args: string[]) => Promise<string>, sha: string): Promise<boolean> {
  try {
    await git('cat-file', '-e', `${sha}^{commit}`);
    return true;
  } catch {
    return false;
  }
}

/** `deployment.daemonBaseUrl` of a stow.yaml text; undefined when absent. Only that key is read. */
export function readDaemonBaseUrl(text: string, file: string): string | undefined {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new TriggerError(
      'MANIFEST_INVALID',
      `${file}: YAML syntax error: ${document.errors[0]?.message.split('\n')[0]}`,
    );
  }
  const deployment = isMap(document.contents) ? document.contents.get('deployment', true) : undefined;
  const value = isMap(deployment) ? deployment.get('daemonBaseUrl') : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TriggerError('MANIFEST_INVALID', `${file}: deployment.daemonBaseUrl is not a URL string`);
  }
  return value.trim();
}
