import { git, gitText } from './git.js';

/** A commit as read from git. */
export interface GitCommit {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committerName: string;
  committerEmail: string;
  committedDate: string;
  message: string;
}

export interface TreeEntry {
  mode: string;
  sha: string;
}

/** A failure that maps to a 400 answer with `{"message": ...}` (GitLab's service errors). */
export class CommitRejected extends Error {}

const SAFE_REF = /^[A-Za-z0-9._/@+-]+$/;

/** True for names that may be handed to git as a revision (never an option, never a range). */
export function isSafeRevision(rev: string): boolean {
  return (
    rev.length > 0 && rev.length < 256 && !rev.startsWith('-') && !rev.includes('..') && SAFE_REF.test(rev)
  );
}

export async function resolveCommit(gitDir: string, rev: string): Promise<string | null> {
  if (!isSafeRevision(rev)) return null;
  const r = await git(gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], {
    allowFailure: true,
  });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
}

export async function readCommit(gitDir: string, sha: string): Promise<GitCommit> {
  const out = await git(gitDir, [
    'show',
    '-s',
    '--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B',
    sha,
  ]);
  const [h, p, an, ae, ad, cn, ce, cd, ...rest] = out.stdout.toString('utf8').split('\0');
  return {
    sha: h ?? sha,
    parents: p ? p.split(' ').filter(Boolean) : [],
    authorName: an ?? '',
    authorEmail: ae ?? '',
    authoredDate: ad ?? '',
    committerName: cn ?? '',
    committerEmail: ce ?? '',
    committedDate: cd ?? '',
    message: rest.join('\0').replace(/\n$/, ''),
  };
}

export async function headBranch(gitDir: string): Promise<string> {
  return gitText(gitDir, ['symbolic-ref', '--short', 'HEAD']);
}

export async function listBranches(gitDir: string): Promise<Array<{ name: string; sha: string }>> {
  const out = await gitText(gitDir, [
    'for-each-ref',
    '--format=%(refname:short) %(objectname)',
    'refs/heads/',
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', sha = ''] = line.split(' ');
      return { name, sha };
    });
}

export async function branchSha(gitDir: string, branch: string): Promise<string | null> {
  if (!isSafeRevision(branch)) return null;
  const r = await git(gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
    allowFailure: true,
  });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
}

export async function refsContaining(gitDir: string, sha: string, kind: 'branch' | 'tag'): Promise<string[]> {
  const args =
    kind === 'branch'
      ? ['for-each-ref', '--format=%(refname:short)', `--contains=${sha}`, 'refs/heads/']
      : ['for-each-ref', '--format=%(refname:short)', `--contains=${sha}`, 'refs/tags/'];
  return (await gitText(gitDir, args)).split('\n').filter(Boolean);
}

/** The full tree of a commit as path -> entry (files only). */
export async function readTree(gitDir: string, sha: string | null): Promise<Map<string, TreeEntry>> {
  const tree = new Map<string, TreeEntry>();
  if (!sha) return tree;
  const out = await git(gitDir, ['ls-tree', '-r', '-z', '--full-tree', sha]);
  for (const rec of out.stdout.toString('utf8').split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode = '', , objSha = ''] = rec.slice(0, tab).split(' ');
    tree.set(rec.slice(tab + 1), { mode, sha: objSha });
  }
  return tree;
}

export async function objectType(gitDir: string, spec: string): Promise<string | null> {
  const r = await git(gitDir, ['cat-file', '-t', spec], { allowFailure: true });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
}

export async function readBlob(gitDir: string, blobSha: string): Promise<Buffer> {
  return (await git(gitDir, ['cat-file', 'blob', blobSha])).stdout;
}

export async function lastCommitFor(gitDir: string, sha: string, path: string): Promise<string> {
  return gitText(gitDir, ['log', '-1', '--format=%H', sha, '--', path]);
}

export async function writeBlob(gitDir: string, content: Buffer): Promise<string> {
  return gitText(gitDir, ['hash-object', '-w', '--stdin'], { input: content });
}

/** Writes a tree object for a whole path -> entry map through a throwaway index. */
export async function writeTree(
  gitDir: string,
  tree: Map<string, TreeEntry>,
  indexFile: string,
): Promise<string> {
  const env = { GIT_INDEX_FILE: indexFile };
  await git(gitDir, ['read-tree', '--empty'], { env });
  const lines = [...tree].map(([path, e]) => `${e.mode} ${e.sha}\t${path}\n`).join('');
  const r = await git(gitDir, ['update-index', '--index-info'], { env, input: lines, allowFailure: true });
  if (r.code !== 0) throw new CommitRejected(r.stderr.trim() || 'invalid tree');
  const w = await git(gitDir, ['write-tree'], { env, allowFailure: true });
  if (w.code !== 0) throw new CommitRejected(w.stderr.trim() || 'invalid tree');
  return w.stdout.toString('utf8').trim();
}

export interface Identity {
  name: string;
  email: string;
}

export async function commitTree(
  gitDir: string,
  tree: string,
  parents: string[],
  message: string,
  who: Identity,
): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  return gitText(gitDir, args, {
    input: message,
    env: {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
    },
  });
}

/** Moves a branch; `expectOld` (sha or '' for "must not exist") makes it a compare-and-swap. */
export async function updateBranch(
  gitDir: string,
  branch: string,
  sha: string,
  expectOld?: string,
): Promise<void> {
  const args = ['update-ref', `refs/heads/${branch}`, sha];
  if (expectOld !== undefined) args.push(expectOld || '0'.repeat(40));
  await git(gitDir, args);
}

export async function deleteBranch(gitDir: string, branch: string): Promise<void> {
  await git(gitDir, ['update-ref', '-d', `refs/heads/${branch}`]);
}

export async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await git(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true });
  return r.code === 0;
}

/** Three-way merge without a work tree; null when it conflicts. */
export async function mergeTrees(gitDir: string, ours: string, theirs: string): Promise<string | null> {
  const r = await git(gitDir, ['merge-tree', '--write-tree', ours, theirs], { allowFailure: true });
  if (r.code !== 0) return null;
  return r.stdout.toString('utf8').split('\n')[0]?.trim() ?? null;
}
