import { ApiError, badRequest, missing, notFound, paginate, sendJson } from './http-util.js';
import { refsContaining, resolveCommit } from './repo.js';
import type { Ctx } from './route-types.js';
import type { CommitStatusRecord } from './state.js';

/**
 * External commit statuses, as GitLab's Commits API documents them
 * (https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit) and lib/api/commit_statuses.rb
 * implements them (https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/commit_statuses.rb), with
 * the answers of spec/requests/api/commit_statuses_spec.rb:
 * - `state` is required: pending, running, success, failed, canceled or skipped (else 400);
 * - `name` (or `context`) defaults to `default`; `ref` defaults to the first branch containing the
 *   commit (none: 404 References for commit Not Found); an unknown sha is 404 Commit Not Found;
 * - `target_url` must be http(s): 400 `{"message":{"target_url":["is blocked: Only allowed schemes are http, https"]}}`;
 * - a status of the same name and ref that is still pending or running is moved through its state
 *   machine; moving it to the state it holds is 400 "Cannot transition status via :run from
 *   :running"; once finished (success, failed, ...) a new post creates a new status (a retry);
 * - posting needs a token with scope `api` (403 insufficient_scope otherwise, see auth.ts).
 */
const STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] as const;
type State = (typeof STATES)[number];
/** The state machine's event for each state (Ci::HasStatus): `failed` is reached by `drop`. */
const EVENT: Record<State, string> = {
  pending: 'enqueue',
  running: 'run',
  success: 'success',
  failed: 'drop',
  canceled: 'cancel',
  skipped: 'skip',
};
/** Transitions out of the two open states; everything else about an open status is refused. */
const ALLOWED: Record<'pending' | 'running', readonly State[]> = {
  pending: ['running', 'success', 'failed', 'canceled', 'skipped'],
  running: ['success', 'failed', 'canceled'],
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export async function statusCreate(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const body = await ctx.body();
  if (body.state === undefined) throw missing('state');
  const wanted = String(body.state) as State;
  if (!STATES.includes(wanted)) throw new ApiError(400, { error: 'state does not have a valid value' });
  const sha = await resolveCommit(state.gitDir, ctx.params.sha ?? '');
  if (!sha) throw notFound('Commit');
  const targetUrl = text(body.target_url);
  if (targetUrl !== undefined && !/^https?:\/\/[^\s/]/i.test(targetUrl)) {
    throw badRequest({ target_url: ['is blocked: Only allowed schemes are http, https'] });
  }
  const ref = text(body.ref) ?? (await refsContaining(state.gitDir, sha, 'branch'))[0];
  if (!ref) throw notFound('References for commit');
  const name = text(body.name) ?? text(body.context) ?? 'default';
  const now = new Date().toISOString();
  const open = state.commitStatuses.find(
    (s) =>
      s.sha === sha && s.name === name && s.ref === ref && (s.status === 'pending' || s.status === 'running'),
  );
  if (open && !ALLOWED[open.status as 'pending' | 'running'].includes(wanted)) {
    throw badRequest(
      `Cannot transition status via :${EVENT[wanted]} from :${open.status} (Reason(s): Status cannot transition via "${EVENT[wanted]}")`,
    );
  }
  const status: CommitStatusRecord = open ?? {
    id: state.nextId(),
    sha,
    ref,
    name,
    status: wanted,
    targetUrl: null,
    description: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    authorId: ctx.user.id,
  };
  status.status = wanted;
  if (targetUrl !== undefined) status.targetUrl = targetUrl;
  if (text(body.description) !== undefined) status.description = text(body.description) ?? null;
  if (wanted === 'running') status.startedAt ??= now;
  if (!['pending', 'running'].includes(wanted)) status.finishedAt = now;
  if (!open) state.commitStatuses.push(status);
  sendJson(ctx.res, 201, state.commitStatusJson(status));
}

/**
 * `GET /projects/:id/repository/commits/:sha/statuses`: the latest status per name (every status
 * with `all=true`), filtered by `ref` and `name`; an unknown commit is 404 Commit Not Found.
 * https://docs.gitlab.com/api/commits/#list-the-statuses-of-a-commit
 */
export async function statusList(ctx: Ctx): Promise<void> {
  const { state, url } = ctx;
  const sha = await resolveCommit(state.gitDir, ctx.params.sha ?? '');
  if (!sha) throw notFound('Commit');
  const q = url.searchParams;
  let list = state.commitStatuses.filter((s) => s.sha === sha);
  if (q.get('ref')) list = list.filter((s) => s.ref === q.get('ref'));
  if (q.get('name')) list = list.filter((s) => s.name === q.get('name'));
  if (q.get('all') !== 'true' && q.get('all') !== '1') {
    list = list.filter((s) => !list.some((t) => t.name === s.name && t.ref === s.ref && t.id > s.id));
  }
  const { page, headers } = paginate(list, url, state.baseUrl);
  sendJson(
    ctx.res,
    200,
    page.map((s) => state.commitStatusJson(s)),
    headers,
  );
}
