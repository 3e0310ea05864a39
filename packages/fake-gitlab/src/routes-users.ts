import { notFound, paginate, sendJson } from './http-util.js';
import type { Ctx } from './route-types.js';
import type { FakeUser } from './types.js';

/**
 * States a non-admin never finds through `GET /users`: UsersFinder#base_scope uses
 * `User.without_forbidden_states` unless the caller is an admin
 * (https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/finders/users_finder.rb), and
 * `FORBIDDEN_SEARCH_STATES = %w[blocked banned ldap_blocked]`
 * (https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/models/user.rb). So `?username=` of a
 * blocked user answers `[]`, like an unknown name. The fake's tokens are never admins.
 */
const HIDDEN_FROM_SEARCH: ReadonlySet<FakeUser['state']> = new Set(['blocked', 'banned', 'ldap_blocked']);

export async function userList(ctx: Ctx): Promise<void> {
  const username = ctx.url.searchParams.get('username')?.toLowerCase();
  const users = ctx.state.users
    .filter((u) => !HIDDEN_FROM_SEARCH.has(u.state ?? 'active'))
    .filter((u) => !username || u.username.toLowerCase() === username);
  const { page, headers } = paginate(users, ctx.url, ctx.state.baseUrl);
  sendJson(
    ctx.res,
    200,
    page.map((u) => ctx.state.userJson(u)),
    headers,
  );
}

export async function userShow(ctx: Ctx): Promise<void> {
  const user = ctx.state.users.find((u) => String(u.id) === ctx.params.userId);
  if (!user) throw notFound('User');
  sendJson(ctx.res, 200, ctx.state.userJson(user));
}
