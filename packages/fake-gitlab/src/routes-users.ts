import { notFound, paginate, sendJson } from './http-util.js';
import type { Ctx } from './route-types.js';

export async function userList(ctx: Ctx): Promise<void> {
  const username = ctx.url.searchParams.get('username')?.toLowerCase();
  const users = ctx.state.users.filter((u) => !username || u.username.toLowerCase() === username);
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
