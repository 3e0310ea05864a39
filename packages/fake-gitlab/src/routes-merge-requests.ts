import { ApiError, missing, notFound, paginate, sendJson } from './http-util.js';
import { branchSha, commitTree, deleteBranch, mergeTrees, updateBranch } from './repo.js';
import type { Ctx } from './route-types.js';
import type { FakeState, MergeRequestRecord } from './state.js';

function findMr(state: FakeState, iid: string | undefined): MergeRequestRecord {
  const mr = state.mergeRequests.find((m) => String(m.iid) === iid);
  if (!mr) throw notFound('Merge Request');
  return mr;
}

function assigneeIdsFrom(body: Record<string, unknown>): number[] | undefined {
  const raw = body.assignee_ids ?? (body.assignee_id === undefined ? undefined : [body.assignee_id]);
  if (raw === undefined) return undefined;
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => Number(v)).filter((n) => Number.isInteger(n) && n >= 0);
}

/**
 * The assignees GitLab keeps, or undefined when the request leaves them as they are.
 * IssuableBaseService#filter_assignees_using_checks keeps only the ids whose user can read the
 * merge request (`user_can_read?`); `[0]` unassigns everyone; when no requested id survives, the
 * key is deleted, so a create gets no assignee and an update keeps the previous ones. No error
 * says so: the caller has to read the assignees back.
 * https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/services/issuable_base_service.rb
 */
function keptAssignees(state: FakeState, requested: number[] | undefined): number[] | undefined {
  if (requested === undefined || requested.length === 0) return undefined;
  if (requested.length === 1 && requested[0] === 0) return [];
  // Merge requests allow several assignees only on paid tiers; the fake keeps them all.
  const kept = requested.filter((id) => {
    const user = state.users.find((u) => u.id === id);
    return user !== undefined && state.canRead(user);
  });
  return kept.length > 0 ? kept : undefined;
}

const truthy = (v: unknown) => v === true || v === 'true';

function labelsFrom(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(String);
  return String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * MergeRequest#validate_branches, run on every save of an open MR: the same branch as source and
 * target is 422 (UNPROCESSABLE_ERROR_KEYS, branch_conflict); another OPEN merge request with the same
 * source AND target branch is 409 "Another open merge request already exists for this source branch:
 * !<iid>" (conflict! on validate_branches). An open MR from the same source to another target is fine.
 * https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/models/merge_request.rb
 * https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/merge_requests.rb (handle_merge_request_errors!)
 */
function validateBranches(
  state: FakeState,
  mr: { sourceBranch: string; targetBranch: string; iid?: number },
): void {
  if (mr.sourceBranch === mr.targetBranch) {
    throw new ApiError(422, { message: ["You can't use same project/branch for source and target"] });
  }
  const dup = state.mergeRequests.find(
    (m) =>
      m.state === 'opened' &&
      m.sourceBranch === mr.sourceBranch &&
      m.targetBranch === mr.targetBranch &&
      m.iid !== mr.iid,
  );
  if (dup) {
    throw new ApiError(409, {
      message: [`Another open merge request already exists for this source branch: !${dup.iid}`],
    });
  }
}

export async function mergeRequestList(ctx: Ctx): Promise<void> {
  const q = ctx.url.searchParams;
  const st = q.get('state') ?? 'all';
  const iids = q.getAll('iids[]').map(Number);
  const list = ctx.state.mergeRequests
    .filter((m) => st === 'all' || m.state === st)
    .filter((m) => !q.get('source_branch') || m.sourceBranch === q.get('source_branch'))
    .filter((m) => !q.get('target_branch') || m.targetBranch === q.get('target_branch'))
    .filter((m) => iids.length === 0 || iids.includes(m.iid))
    .sort((a, b) => b.id - a.id);
  const { page, headers } = paginate(list, ctx.url, ctx.state.baseUrl);
  const out = [];
  for (const mr of page) out.push(await ctx.state.mergeRequestJson(mr));
  sendJson(ctx.res, 200, out, headers);
}

export async function mergeRequestShow(ctx: Ctx): Promise<void> {
  sendJson(ctx.res, 200, await ctx.state.mergeRequestJson(findMr(ctx.state, ctx.params.iid)));
}

export async function mergeRequestCreate(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const body = await ctx.body();
  for (const p of ['source_branch', 'target_branch', 'title']) {
    if (typeof body[p] !== 'string' || body[p] === '') throw missing(p);
  }
  const sourceBranch = body.source_branch as string;
  const targetBranch = body.target_branch as string;
  const description = typeof body.description === 'string' ? body.description : '';
  if (description.length > 1_048_576) {
    throw new ApiError(400, { message: { description: ['is too long (maximum is 1048576 characters)'] } });
  }
  const mr = await state.exclusive(async () => {
    validateBranches(state, { sourceBranch, targetBranch });
    for (const [label, b] of [
      ['Source', sourceBranch],
      ['Target', targetBranch],
    ] as const) {
      if (!(await branchSha(state.gitDir, b))) {
        throw new ApiError(422, { message: [`${label} branch "${b}" does not exist`] });
      }
    }
    const now = new Date().toISOString();
    const record: MergeRequestRecord = {
      ...state.allocateMergeRequestId(),
      title: body.title as string,
      description,
      state: 'opened',
      sourceBranch,
      targetBranch,
      authorId: ctx.user.id,
      assigneeIds: keptAssignees(state, assigneeIdsFrom(body)) ?? [],
      labels: labelsFrom(body.labels) ?? [],
      squash: truthy(body.squash),
      removeSourceBranch: truthy(body.remove_source_branch),
      createdAt: now,
      updatedAt: now,
      mergedAt: null,
      closedAt: null,
      mergeCommitSha: null,
      frozenSha: null,
    };
    state.mergeRequests.push(record);
    return record;
  });
  sendJson(ctx.res, 201, await state.mergeRequestJson(mr));
}

export async function mergeRequestEdit(ctx: Ctx): Promise<void> {
  const { state } = ctx;
  const body = await ctx.body();
  const mr = findMr(state, ctx.params.iid);
  await state.exclusive(async () => {
    const targetBranch = typeof body.target_branch === 'string' ? body.target_branch : mr.targetBranch;
    const reopening = body.state_event === 'reopen' && mr.state === 'closed';
    if (mr.state === 'opened' || reopening) {
      validateBranches(state, { sourceBranch: mr.sourceBranch, targetBranch, iid: mr.iid });
    }
    if (typeof body.title === 'string') mr.title = body.title;
    if (typeof body.description === 'string') mr.description = body.description;
    mr.targetBranch = targetBranch;
    const assignees = keptAssignees(state, assigneeIdsFrom(body));
    if (assignees) mr.assigneeIds = assignees;
    const labels = labelsFrom(body.labels);
    if (labels) mr.labels = labels;
    if (body.remove_source_branch !== undefined) mr.removeSourceBranch = truthy(body.remove_source_branch);
    if (body.squash !== undefined) mr.squash = truthy(body.squash);
    if (body.state_event === 'close' && mr.state === 'opened') {
      mr.frozenSha = await branchSha(state.gitDir, mr.sourceBranch);
      mr.state = 'closed';
      mr.closedAt = new Date().toISOString();
    } else if (reopening) {
      mr.state = 'opened';
      mr.closedAt = null;
    }
    mr.updatedAt = new Date().toISOString();
  });
  sendJson(ctx.res, 200, await state.mergeRequestJson(mr));
}

/** Merges an open MR with a merge commit (GitLab's default method); shared by the API and tests. */
export async function mergeMergeRequest(
  state: FakeState,
  iid: number,
  options: { sha?: string; removeSourceBranch?: boolean; message?: string; username?: string } = {},
): Promise<MergeRequestRecord> {
  const mr = findMr(state, String(iid));
  return state.exclusive(async () => {
    if (mr.state !== 'opened') throw new ApiError(405, { message: '405 Method Not Allowed' });
    const source = await branchSha(state.gitDir, mr.sourceBranch);
    const target = await branchSha(state.gitDir, mr.targetBranch);
    if (!source || !target) throw new ApiError(405, { message: '405 Method Not Allowed' });
    if (options.sha && options.sha !== source) {
      throw new ApiError(409, { message: 'SHA does not match HEAD of source branch' });
    }
    const tree = await mergeTrees(state.gitDir, target, source);
    if (!tree) throw new ApiError(406, { message: 'Branch cannot be merged' });
    const user = state.users.find((u) => u.username === options.username) ?? state.users[0];
    const who = { name: user?.name ?? 'Fake GitLab', email: `${user?.username ?? 'fake'}@example.com` };
    const message =
      options.message ??
      `Merge branch '${mr.sourceBranch}' into '${mr.targetBranch}'\n\n${mr.title}\n\nSee merge request ${state.pathWithNamespace}!${mr.iid}`;
    const merge = await commitTree(state.gitDir, tree, [target, source], message, who);
    await updateBranch(state.gitDir, mr.targetBranch, merge, target);
    mr.state = 'merged';
    mr.mergedAt = new Date().toISOString();
    mr.updatedAt = mr.mergedAt;
    mr.mergeCommitSha = merge;
    mr.frozenSha = source;
    if (options.removeSourceBranch ?? mr.removeSourceBranch)
      await deleteBranch(state.gitDir, mr.sourceBranch);
    return mr;
  });
}

export async function mergeRequestMerge(ctx: Ctx): Promise<void> {
  const body = await ctx.body();
  const mr = await mergeMergeRequest(ctx.state, Number(ctx.params.iid), {
    sha: typeof body.sha === 'string' ? body.sha : undefined,
    removeSourceBranch:
      body.should_remove_source_branch === undefined ? undefined : truthy(body.should_remove_source_branch),
    message: typeof body.merge_commit_message === 'string' ? body.merge_commit_message : undefined,
    username: ctx.user.username,
  });
  sendJson(ctx.res, 200, await ctx.state.mergeRequestJson(mr));
}
