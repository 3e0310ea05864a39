import { type GitlabClient, GitlabClientError, type MergeRequest } from '@stow/gitlab-client';
import { type AssignAttempt, type Assignment, resolveAssignee } from './assign.js';

/** The GitLab operations assignment uses (a GitlabClient fits). */
export type AssigneeGitlab = Pick<GitlabClient, 'getUser' | 'findUserByUsername' | 'updateMergeRequest'>;

export interface AssignContext {
  readonly project: string;
  readonly attempts: readonly AssignAttempt[];
  readonly gitlab: AssigneeGitlab;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const who = (user: { id: number; username: string }) => `${user.username} (${user.id})`;

/**
 * The assignment an open merge request already satisfies, or null when it must be (re)assigned.
 * It is satisfied when it holds the wanted user, or the user of a LATER attempt: then an earlier
 * run saw GitLab drop the wanted ones (or a person chose from the list), and asking again would
 * write to the merge request on every rerun only to be dropped again.
 */
export async function keptAssignment(
  ctx: AssignContext,
  wanted: Assignment,
  assigneeIds: readonly number[],
): Promise<Assignment | null> {
  if (!wanted.user || !wanted.attempt) return null;
  if (assigneeIds.includes(wanted.user.id)) return wanted;
  if (assigneeIds.length === 0) return null;
  const reasons = [...wanted.reasons];
  let skipped: Assignment = wanted;
  while (skipped.user && skipped.attempt) {
    const next = await resolveAssignee(ctx.attempts, ctx.gitlab, ctx.env, skipped.attempt.index + 1);
    if (!next.user || !next.attempt) return null;
    reasons.push(
      `${skipped.attempt.label}: ${who(skipped.user)} not asked again: the merge request keeps ${next.attempt.label}`,
      ...next.reasons,
    );
    if (assigneeIds.includes(next.user.id)) return { ...next, reasons };
    skipped = next;
  }
  return null;
}

/**
 * Reads back the assignees GitLab kept after a merge request was created or updated. GitLab drops,
 * without an error, an assignee who cannot read the project (a pipeline user who is not a member of
 * the deployment repository): then the next attempt of `--assign` is tried, until one sticks or
 * none is left. Assignment is a courtesy: a failed update is a reason, never an error.
 */
export async function settleAssignee(
  ctx: AssignContext,
  mr: MergeRequest,
  assignment: Assignment,
): Promise<{ mr: MergeRequest; assignment: Assignment; updated: boolean }> {
  const reasons = [...assignment.reasons];
  let current = assignment;
  let updated = false;
  while (current.user && current.attempt && !mr.assigneeIds.includes(current.user.id)) {
    reasons.push(
      `${current.attempt.label}: GitLab did not assign ${who(current.user)}: they cannot read ${ctx.project} (not a member?)`,
    );
    const next = await resolveAssignee(ctx.attempts, ctx.gitlab, ctx.env, current.attempt.index + 1);
    reasons.push(...next.reasons);
    if (!next.user || !next.attempt) break;
    try {
      mr = await ctx.gitlab.updateMergeRequest(ctx.project, mr.iid, { assigneeIds: [next.user.id] });
      updated = true;
    } catch (error) {
      if (!(error instanceof GitlabClientError)) throw error;
      reasons.push(`${next.attempt.label}: assigning ${who(next.user)} failed (${error.message})`);
      break;
    }
    current = next;
  }
  const stuck = current.user !== null && mr.assigneeIds.includes(current.user.id);
  return {
    mr,
    assignment: stuck ? { ...current, reasons } : { user: null, attempt: null, reasons },
    updated,
  };
}
