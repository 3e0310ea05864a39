import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CommitRejected,
  commitTree,
  type Identity,
  lastCommitFor,
  readBlob,
  readTree,
  resolveCommit,
  type TreeEntry,
  writeBlob,
  writeTree,
} from './repo.js';

/** One action of `POST /projects/:id/repository/commits`, snake_case as on the wire. */
export interface CommitAction {
  action: 'create' | 'update' | 'delete' | 'move' | 'chmod';
  file_path: string;
  previous_path?: string;
  content?: string;
  encoding?: 'text' | 'base64';
  last_commit_id?: string;
  execute_filemode?: boolean;
}

const ACTIONS = new Set(['create', 'update', 'delete', 'move', 'chmod']);

/** Grape-style validation of the `actions` array; returns a message or null. */
export function validateActions(actions: unknown): string | null {
  if (!Array.isArray(actions) || actions.length === 0) return 'actions is missing';
  for (const [i, a] of actions.entries()) {
    if (!a || typeof a !== 'object') return `actions[${i}] is invalid`;
    const rec = a as Record<string, unknown>;
    if (typeof rec.action !== 'string') return `actions[${i}][action] is missing`;
    if (!ACTIONS.has(rec.action)) return `actions[${i}][action] does not have a valid value`;
    if (typeof rec.file_path !== 'string' || rec.file_path === '')
      return `actions[${i}][file_path] is missing`;
  }
  return null;
}

function cleanPath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new CommitRejected(`Invalid file path: ${p}`);
  return parts.join('/');
}

function decode(a: CommitAction): Buffer {
  const content = a.content ?? '';
  return a.encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
}

/** The commit that last changed `path` as seen from `rev`, or null (no such commit or path). */
async function lastChange(gitDir: string, rev: string, path: string): Promise<string | null> {
  const sha = await resolveCommit(gitDir, rev);
  return sha ? (await lastCommitFor(gitDir, sha, path)) || null : null;
}

/**
 * Files::BaseService#file_has_changed? (https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/services/files/base_service.rb):
 * the file "has changed" when the commit that last touched it on the start branch differs from the
 * one that last touched it as of `last_commit_id`; either missing means "not changed".
 * The start branch is `start_branch`, else `branch`; with `start_sha` it is nil
 * (lib/api/commits.rb: `attrs[:start_branch] ||= attrs[:branch_name] unless attrs[:start_sha]`),
 * and a nil ref reads the default branch: so with `start_sha` the check is against the DEFAULT
 * branch, not against the start commit. `lastCommitRef` is that ref.
 */
async function fileHasChanged(
  gitDir: string,
  lastCommitRef: string | null,
  path: string,
  lastCommitId: string,
): Promise<boolean> {
  if (!lastCommitRef) return false;
  const onBranch = await lastChange(gitDir, lastCommitRef, path);
  if (!onBranch) return false;
  const asOfCommitId = await lastChange(gitDir, lastCommitId, path);
  return asOfCommitId !== null && onBranch !== asOfCommitId;
}

/**
 * Applies GitLab's commit actions on top of `start` (null: empty repository) and writes the commit.
 * `lastCommitRef` is the ref `last_commit_id` is checked against (default: `start`).
 * Throws CommitRejected with GitLab's messages for impossible actions.
 */
export async function buildCommit(
  gitDir: string,
  start: string | null,
  actions: CommitAction[],
  message: string,
  who: Identity,
  lastCommitRef: string | null = start,
): Promise<string> {
  const tree = await readTree(gitDir, start);
  const exists = (p: string) => tree.has(p);
  for (const raw of actions) {
    const path = cleanPath(raw.file_path);
    const checkLastCommit = async (p: string) => {
      if (raw.last_commit_id && (await fileHasChanged(gitDir, lastCommitRef, p, raw.last_commit_id))) {
        // Files::MultiService#validate_file_status!
        throw new CommitRejected(`The file has changed since you started editing it: ${p}`);
      }
    };
    switch (raw.action) {
      case 'create': {
        if (exists(path)) throw new CommitRejected('A file with this name already exists');
        const mode = raw.execute_filemode ? '100755' : '100644';
        tree.set(path, { mode, sha: await writeBlob(gitDir, decode(raw)) });
        break;
      }
      case 'update': {
        const old = tree.get(path);
        if (!old) throw new CommitRejected("A file with this name doesn't exist");
        await checkLastCommit(path);
        const mode =
          raw.execute_filemode === undefined ? old.mode : raw.execute_filemode ? '100755' : '100644';
        tree.set(path, { mode, sha: await writeBlob(gitDir, decode(raw)) });
        break;
      }
      case 'delete': {
        if (!exists(path)) throw new CommitRejected("A file with this name doesn't exist");
        await checkLastCommit(path);
        tree.delete(path);
        break;
      }
      case 'move': {
        const prev = cleanPath(raw.previous_path ?? '');
        const old = tree.get(prev);
        if (!old) throw new CommitRejected("A file with this name doesn't exist");
        if (exists(path)) throw new CommitRejected('A file with this name already exists');
        await checkLastCommit(prev);
        tree.delete(prev);
        const entry: TreeEntry =
          raw.content === undefined ? old : { mode: old.mode, sha: await writeBlob(gitDir, decode(raw)) };
        tree.set(path, entry);
        break;
      }
      case 'chmod': {
        const old = tree.get(path);
        if (!old) throw new CommitRejected("A file with this name doesn't exist");
        tree.set(path, { mode: raw.execute_filemode ? '100755' : '100644', sha: old.sha });
        break;
      }
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'fake-gitlab-index-'));
  try {
    const treeSha = await writeTree(gitDir, tree, join(dir, 'index'));
    return await commitTree(gitDir, treeSha, start ? [start] : [], message, who);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a file's content at a commit (seed helpers, tests). */
export async function readFileAt(gitDir: string, sha: string, path: string): Promise<Buffer | null> {
  const entry = (await readTree(gitDir, sha)).get(cleanPath(path));
  return entry ? readBlob(gitDir, entry.sha) : null;
}
