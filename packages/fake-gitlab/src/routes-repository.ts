import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { buildCommit, type CommitAction, validateActions } from './commit-actions.js';
import { gitSpawn } from './git.js';
import { ApiError, badRequest, missing, notFound, paginate, sendJson, sendText } from './http-util.js';
import {
  branchSha,
  CommitRejected,
  deleteBranch,
  isSafeRevision,
  lastCommitFor,
  listBranches,
  objectType,
  readBlob,
  readTree,
  refsContaining,
  resolveCommit,
  updateBranch,
} from './repo.js';
import type { Ctx } from './route-types.js';

const ARCHIVE_FORMATS: Record<string, 'tar.gz' | 'tar' | 'zip'> = {
  '': 'tar.gz',
  '.tar.gz': 'tar.gz',
  '.tgz': 'tar.gz',
  '.gz': 'tar.gz',
  '.tar': 'tar',
  '.zip': 'zip',
};

/** Normalises a repository path parameter; null when it leaves the tree. */
function repoPath(p: string): string | null {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..') || parts[0]?.startsWith('-')) return null;
  return parts.join('/');
}

export async function projectShow(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const defaultBranch = await state.defaultBranch();
  sendJson(ctx.res, 200, {
    id: state.projectId,
    name: state.projectPath,
    path: state.projectPath,
    path_with_namespace: state.pathWithNamespace,
    name_with_namespace: state.pathWithNamespace.replace(/\//g, ' / '),
    default_branch: defaultBranch,
    visibility: 'private',
    empty_repo: defaultBranch === null,
    archived: false,
    web_url: state.webUrl,
    http_url_to_repo: `${state.webUrl}.git`,
  });
}

export async function archive(ctx: Ctx): Promise<void> {
  const { state, req, res, url } = ctx;
  // The archive limit is checked first (check_archive_rate_limit! in lib/api/repositories.rb).
  if (state.archiveLimited(ctx.user.username)) {
    // render_api_error!(..., 429): JSON, and no Retry-After header.
    throw new ApiError(429, { error: 'This archive has been requested too many times. Try again later.' });
  }
  const format = ARCHIVE_FORMATS[(ctx.params.archive ?? 'archive').slice('archive'.length)];
  // Workhorse's hotlinking guard.
  const fetchMode = String(req.headers['sec-fetch-mode'] ?? '').toLowerCase();
  const accept = String(req.headers.accept ?? '').toLowerCase();
  if (
    ['cors', 'no-cors', 'websocket'].includes(fetchMode) ||
    /^(image|audio|video)\/|^text\/css/.test(accept)
  ) {
    throw new ApiError(406, { message: '406 Not Acceptable' });
  }
  const fileNotFound = notFound('File');
  if (!format) throw fileNotFound;
  const ref = url.searchParams.get('sha') ?? (await state.defaultBranch());
  if (!ref) throw fileNotFound;
  const sha = await resolveCommit(state.gitDir, ref);
  if (!sha) throw fileNotFound;
  const path = repoPath(url.searchParams.get('path') ?? '');
  if (path === null) throw fileNotFound;
  if (path && !(await objectType(state.gitDir, `${sha}:${path}`))) {
    // GitLab answers a path the commit does not have with an empty 200: Workhorse writes the 200
    // before Gitaly's GetArchive fails, and "we're stuck always returning a HTTP 200, even if
    // io.Copy() errors" (workhorse/internal/git/archive.go, gitlab-org/gitlab).
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${state.projectPath}-${sha}.${format}"`,
      'Content-Transfer-Encoding': 'binary',
    });
    res.end();
    return;
  }
  const prefix = `${state.projectPath}-${ref.replace(/\//g, '-')}-${sha}${path ? `-${path.replace(/\//g, '-')}` : ''}`;
  const args = ['archive', `--format=${format === 'zip' ? 'zip' : 'tar'}`, `--prefix=${prefix}/`, sha];
  if (path) args.push('--', path);

  const produce = async (out: NodeJS.WritableStream) => {
    const child = gitSpawn(state.gitDir, args);
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
    const stdout = child.stdout;
    if (!stdout) throw new Error('git archive has no stdout');
    if (format === 'tar.gz') await pipeline(stdout, createGzip({ level: state.gzipLevel }), out);
    else await pipeline(stdout, out);
    if ((await exited) !== 0) throw new Error('git archive failed');
  };

  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${prefix}.${format}"`,
    'Content-Transfer-Encoding': 'binary',
  });
  try {
    if (state.archiveCacheDir) {
      const cached = join(state.archiveCacheDir, `${prefix}.${format}`);
      const exists = await stat(cached).then(
        () => true,
        () => false,
      );
      if (!exists) {
        await mkdir(state.archiveCacheDir, { recursive: true });
        const tmp = `${cached}.${process.pid}.${Date.now()}.tmp`;
        await produce(createWriteStream(tmp));
        await rename(tmp, cached);
      }
      await pipeline(createReadStream(cached), res);
    } else {
      await produce(res);
    }
  } catch {
    res.destroy();
  }
}

export async function commitShow(ctx: Ctx): Promise<void> {
  const sha = await resolveCommit(ctx.state.gitDir, ctx.params.sha ?? '');
  if (!sha) throw notFound('Commit');
  sendJson(ctx.res, 200, await ctx.state.commitJsonFor(sha));
}

export async function commitRefs(ctx: Ctx): Promise<void> {
  const { state, url } = ctx;
  const sha = await resolveCommit(state.gitDir, ctx.params.sha ?? '');
  if (!sha) throw notFound('Commit');
  const type = url.searchParams.get('type') ?? 'all';
  if (!['branch', 'tag', 'all'].includes(type))
    throw new ApiError(400, { error: 'type does not have a valid value' });
  const refs: Array<{ type: string; name: string }> = [];
  if (type !== 'tag') {
    for (const name of await refsContaining(state.gitDir, sha, 'branch')) refs.push({ type: 'branch', name });
  }
  if (type !== 'branch') {
    for (const name of await refsContaining(state.gitDir, sha, 'tag')) refs.push({ type: 'tag', name });
  }
  const { page, headers } = paginate(refs, url, state.baseUrl);
  sendJson(ctx.res, 200, page, headers);
}

export async function commitCreate(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const body = await ctx.body();
  const branch = typeof body.branch === 'string' ? body.branch : '';
  if (!branch) throw missing('branch');
  if (typeof body.commit_message !== 'string' || !body.commit_message) throw missing('commit_message');
  const invalid = validateActions(body.actions);
  if (invalid) throw new ApiError(400, { error: invalid });
  if (body.start_branch !== undefined && body.start_sha !== undefined) {
    throw new ApiError(400, { error: 'start_branch, start_sha are mutually exclusive' });
  }
  if (!isSafeRevision(branch)) throw badRequest('Branch name is invalid');
  const force = body.force === true || body.force === 'true';
  const message = body.commit_message;
  const actions = body.actions as CommitAction[];
  const who = { name: ctx.user.name ?? ctx.user.username, email: `${ctx.user.username}@example.com` };

  const sha = await state.exclusive(async () => {
    const current = await branchSha(state.gitDir, branch);
    const empty = (await state.defaultBranch()) === null;
    let start: string | null;
    let differentBranch = false;
    // The ref `last_commit_id` is checked against: the start point, or with start_sha the default
    // branch (see fileHasChanged in commit-actions.ts).
    let lastCommitRef: string | null = null;
    if (typeof body.start_sha === 'string') {
      lastCommitRef = await state.defaultBranch();
      start = /^[0-9a-f]{40}$/.test(body.start_sha)
        ? await resolveCommit(state.gitDir, body.start_sha)
        : null;
      if (!start) throw badRequest(`Invalid start SHA: ${body.start_sha}`);
      differentBranch = true;
    } else if (typeof body.start_branch === 'string' && body.start_branch !== branch) {
      start = await branchSha(state.gitDir, body.start_branch);
      if (!start && !empty) throw badRequest('You can only create or edit files when you are on a branch');
      differentBranch = true;
    } else {
      start = current;
      if (!start && !empty) throw badRequest('You can only create or edit files when you are on a branch');
    }
    if (current && differentBranch && !force) {
      throw badRequest(
        `A branch called '${branch}' already exists. Switch to that branch in order to make changes`,
      );
    }
    try {
      const commit = await buildCommit(state.gitDir, start, actions, message, who, lastCommitRef ?? start);
      await updateBranch(state.gitDir, branch, commit, current ?? '');
      return commit;
    } catch (error) {
      if (error instanceof CommitRejected) throw badRequest(error.message);
      throw error;
    }
  });
  sendJson(ctx.res, 201, await state.commitJsonFor(sha));
}

async function fileAt(ctx: Ctx) {
  const { state, url } = ctx;
  const ref = url.searchParams.get('ref');
  if (!ref) throw missing('ref');
  const filePath = repoPath(ctx.params.file_path ?? '');
  if (!filePath) throw notFound('File');
  const sha = await resolveCommit(state.gitDir, ref);
  if (!sha) throw notFound('Commit');
  const entry = (await readTree(state.gitDir, sha)).get(filePath);
  if (!entry) throw notFound('File');
  return { ref, sha, filePath, entry };
}

export async function fileShow(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const { ref, sha, filePath, entry } = await fileAt(ctx);
  const content = await readBlob(state.gitDir, entry.sha);
  sendJson(ctx.res, 200, {
    file_name: filePath.split('/').pop(),
    file_path: filePath,
    size: content.length,
    encoding: 'base64',
    content: content.toString('base64'),
    content_sha256: createHash('sha256').update(content).digest('hex'),
    ref,
    blob_id: entry.sha,
    commit_id: sha,
    last_commit_id: await lastCommitFor(state.gitDir, sha, filePath),
    execute_filemode: entry.mode === '100755',
  });
}

export async function fileRaw(ctx: Ctx): Promise<void> {
  const { entry } = await fileAt(ctx);
  const content = await readBlob(ctx.state.gitDir, entry.sha);
  sendText(ctx.res, 200, content, 'text/plain; charset=utf-8');
}

async function branchJson(ctx: Ctx, name: string, sha: string) {
  const defaultBranch = await ctx.state.defaultBranch();
  return {
    name,
    commit: await ctx.state.commitJsonFor(sha),
    merged: false,
    protected: name === defaultBranch,
    default: name === defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `${ctx.state.webUrl}/-/tree/${name}`,
  };
}

export async function branchList(ctx: Ctx): Promise<void> {
  const search = ctx.url.searchParams.get('search');
  const all = (await listBranches(ctx.state.gitDir)).filter((b) => !search || b.name.includes(search));
  const { page, headers } = paginate(all, ctx.url, ctx.state.baseUrl);
  const out = [];
  for (const b of page) out.push(await branchJson(ctx, b.name, b.sha));
  sendJson(ctx.res, 200, out, headers);
}

export async function branchShow(ctx: Ctx): Promise<void> {
  const name = ctx.params.branch ?? '';
  const sha = await branchSha(ctx.state.gitDir, name);
  if (!sha) throw notFound('Branch');
  sendJson(ctx.res, 200, await branchJson(ctx, name, sha));
}

export async function branchCreate(ctx: Ctx): Promise<void> {
  const body = { ...Object.fromEntries(ctx.url.searchParams), ...(await ctx.body()) };
  const name = typeof body.branch === 'string' ? body.branch : '';
  if (!name) throw missing('branch');
  if (typeof body.ref !== 'string' || !body.ref) throw missing('ref');
  if (!isSafeRevision(name)) throw badRequest('Branch name is invalid');
  const ref = body.ref;
  const sha = await ctx.state.exclusive(async () => {
    if (await branchSha(ctx.state.gitDir, name)) throw badRequest('Branch already exists');
    const target = await resolveCommit(ctx.state.gitDir, ref);
    if (!target) throw badRequest('Invalid reference name');
    await updateBranch(ctx.state.gitDir, name, target, '');
    return target;
  });
  sendJson(ctx.res, 201, await branchJson(ctx, name, sha));
}

export async function branchDelete(ctx: Ctx): Promise<void> {
  const name = ctx.params.branch ?? '';
  await ctx.state.exclusive(async () => {
    if (!(await branchSha(ctx.state.gitDir, name))) throw notFound('Branch');
    if (name === (await ctx.state.defaultBranch())) throw badRequest('Cannot remove the default branch');
    await deleteBranch(ctx.state.gitDir, name);
  });
  ctx.res.writeHead(204);
  ctx.res.end();
}

/** Removes cached archives (tests that rewrite history). */
export async function clearArchiveCache(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
