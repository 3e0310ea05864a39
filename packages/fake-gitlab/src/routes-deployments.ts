import { ApiError, badRequest, paginate, sendJson } from './http-util.js';
import type { Ctx } from './route-types.js';
import type { DeploymentRecord, EnvironmentRecord, FakeState } from './state.js';

/**
 * Deployments and environments without CI, as GitLab's Deployments API documents them
 * (https://docs.gitlab.com/api/deployments/) and lib/api/deployments.rb implements them
 * (https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/deployments.rb):
 * - POST requires `environment`, `sha`, `ref`, `tag` and `status` (one of running, success, failed,
 *   canceled); missing ones are a Grape 400 "environment is missing, ..."; the environment is found or
 *   created by name (`find_or_create_by_name`); creating needs scope `api` (403 insufficient_scope);
 * - an environment name "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and
 *   spaces, but it cannot start or end with '/'", at most 255 characters
 *   (https://gitlab.com/gitlab-org/gitlab-foss/-/issues/59520 quotes the validation);
 * - PUT /deployments/:deployment_id takes `status` (same values); an unknown id is 404 Not found;
 * - GET /deployments lists them (filters `environment`, `status`; `order_by` id, `sort` asc|desc);
 * - GET /environments lists environments (filter `name`, https://docs.gitlab.com/api/environments/).
 */
const STATUSES = ['running', 'success', 'failed', 'canceled'] as const;
const ENVIRONMENT_NAME = /^[a-zA-Z0-9_\-/${}. ]+$/;

function statusOf(value: unknown): DeploymentRecord['status'] {
  if (!STATUSES.includes(value as (typeof STATUSES)[number])) {
    throw new ApiError(400, { error: 'status does not have a valid value' });
  }
  return value as DeploymentRecord['status'];
}

function environmentProblem(name: string): string | undefined {
  if (name.length > 255) return 'is too long (maximum is 255 characters)';
  if (!ENVIRONMENT_NAME.test(name) || name.startsWith('/') || name.endsWith('/')) {
    return "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'";
  }
  return undefined;
}

function environmentFor(state: FakeState, name: string, now: string): EnvironmentRecord {
  const found = state.environments.find((e) => e.name === name);
  if (found) return found;
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 24);
  const created: EnvironmentRecord = { id: state.nextId(), name, slug, createdAt: now, updatedAt: now };
  state.environments.push(created);
  return created;
}

export async function deploymentCreate(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const body = await ctx.body();
  const absent = ['environment', 'sha', 'ref', 'tag', 'status'].filter(
    (key) => body[key] === undefined || body[key] === '',
  );
  if (absent.length > 0) throw new ApiError(400, { error: absent.map((k) => `${k} is missing`).join(', ') });
  const status = statusOf(body.status);
  const name = String(body.environment);
  const problem = environmentProblem(name);
  if (problem) throw badRequest({ name: [problem] });
  const now = new Date().toISOString();
  const environment = environmentFor(state, name, now);
  environment.updatedAt = now;
  const deployment: DeploymentRecord = {
    id: state.nextId(),
    iid: state.deployments.length + 1,
    environmentId: environment.id,
    sha: String(body.sha),
    ref: String(body.ref),
    tag: body.tag === true || body.tag === 'true',
    status,
    userId: ctx.user.id,
    createdAt: now,
    updatedAt: now,
  };
  state.deployments.push(deployment);
  sendJson(ctx.res, 201, state.deploymentJson(deployment));
}

export async function deploymentUpdate(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const deployment = state.deployments.find((d) => String(d.id) === ctx.params.deployment_id);
  if (!deployment) throw new ApiError(404, { message: '404 Not found' });
  const body = await ctx.body();
  if (body.status === undefined) throw new ApiError(400, { error: 'status is missing' });
  deployment.status = statusOf(body.status);
  deployment.updatedAt = new Date().toISOString();
  sendJson(ctx.res, 200, state.deploymentJson(deployment));
}

export async function deploymentList(ctx: Ctx): Promise<void> {
  const { state, url } = ctx;
  const q = url.searchParams;
  let list = [...state.deployments];
  const environment = q.get('environment');
  if (environment) list = list.filter((d) => state.environmentOf(d)?.name === environment);
  const status = q.get('status');
  if (status) list = list.filter((d) => d.status === status);
  if (q.get('sort') === 'desc') list.reverse();
  const { page, headers } = paginate(list, url, state.baseUrl);
  sendJson(
    ctx.res,
    200,
    page.map((d) => state.deploymentJson(d)),
    headers,
  );
}

export async function environmentList(ctx: Ctx): Promise<void> {
  const { state, url } = ctx;
  const name = url.searchParams.get('name');
  const list = state.environments.filter((e) => !name || e.name === name);
  const { page, headers } = paginate(list, url, state.baseUrl);
  sendJson(
    ctx.res,
    200,
    page.map((e) => state.environmentJson(e)),
    headers,
  );
}
