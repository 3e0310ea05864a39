import { git } from './git.js';
import { ApiError, notFound, paginate, sendJson } from './http-util.js';
import { resolveCommit } from './repo.js';
import type { Ctx } from './route-types.js';

/**
 * GET /projects/:id/repository/tree?ref=&path=&recursive=&per_page=&page= as GitLab's
 * lib/api/repositories.rb answers it (https://docs.gitlab.com/api/repositories/#list-repository-tree):
 * `[{id, name, type: "tree"|"blob", path, mode}]` where `id` is the object id (a blob's is the
 * git blob sha), recursive listings hold the trees as well as the blobs, legacy offset pagination
 * with x-total/x-next-page/Link headers (default 20, at most 100 a page). An unknown ref is
 * 404 "Tree Not Found" (`not_found!("Tree") unless tree_finder.commit_exists?`); a path the commit
 * does not have is an empty list, not an error.
 */
export async function tree(ctx: Ctx): Promise<void> {
  const { state, url } = ctx;
  const ref = url.searchParams.get('ref') ?? (await state.defaultBranch());
  const sha = ref ? await resolveCommit(state.gitDir, ref) : null;
  if (!sha) throw notFound('Tree');
  const path = (url.searchParams.get('path') ?? '').split('/').filter((p) => p !== '' && p !== '.');
  if (path.includes('..')) throw new ApiError(400, { error: 'path is invalid' });
  const prefix = path.join('/');
  const recursive = ['true', '1'].includes(url.searchParams.get('recursive') ?? '');
  const listing = await git(
    state.gitDir,
    ['ls-tree', '-z', ...(recursive ? ['-r', '-t'] : []), prefix ? `${sha}:${prefix}` : sha],
    { allowFailure: true },
  );
  const entries =
    listing.code !== 0
      ? [] // the path does not exist at this commit
      : listing.stdout
          .toString('utf8')
          .split('\0')
          .filter(Boolean)
          .map((record) => {
            const tab = record.indexOf('\t');
            const [mode = '', type = '', id = ''] = record.slice(0, tab).split(' ');
            const relative = record.slice(tab + 1);
            return {
              id,
              name: relative.split('/').pop() ?? relative,
              type: type === 'tree' ? 'tree' : 'blob',
              path: prefix ? `${prefix}/${relative}` : relative,
              mode,
            };
          });
  const { page, headers } = paginate(entries, url, state.baseUrl);
  sendJson(ctx.res, 200, page, headers);
}
