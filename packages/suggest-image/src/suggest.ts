import {
  type GitlabClient,
  GitlabClientError,
  type MergeRequest,
  normalizeSubfolder,
} from '@stow/gitlab-client';
import { parseImageReference } from '@stow/manifest';
import { type AssignAttempt, type Assignment, parseAssignList, resolveAssignee } from './assign.js';
import { keptAssignment, settleAssignee } from './assign-mr.js';
import { changelogBetween } from './changelog.js';
import { type DockerImages, resolveRegistryDigest } from './docker-digest.js';
import { SuggestImageError } from './errors.js';
import { gitlabStep, stepError } from './gitlab-step.js';
import { normaliseDigest, parseImageFlag } from './image-input.js';
import { type ChangePlan, planChange } from './plan-change.js';
import { renderDescription } from './render.js';

type ChangeToMake = Extract<ChangePlan, { kind: 'change' }>;

/** The GitLab operations suggest-image uses (a GitlabClient fits). */
export type SuggestGitlab = Pick<
  GitlabClient,
  | 'defaultBranchHead'
  | 'findFile'
  | 'findCommit'
  | 'forceCommitBranch'
  | 'findOpenMergeRequest'
  | 'createMergeRequest'
  | 'updateMergeRequest'
  | 'getUser'
  | 'findUserByUsername'
>;

export interface SuggestImageOptions {
  /** `group/name` or numeric id of the deployment repository. */
  readonly project: string;
  /** The deployment folder holding stow.yaml, e.g. `deploy-host.example.com`. */
  readonly subfolder: string;
  /** `repository[:tag]` of the new image (no digest). */
  readonly image: string;
  readonly container: string;
  /** Registry manifest digest, 64 hex with or without `sha256:`; omitted: asked from Docker. */
  readonly digest?: string | undefined;
  /** `--assign` list: `gitlab_user_id,id:146,user:name`. */
  readonly assign?: string | undefined;
  /** The changelog's markdown and its file name (for the section heading). */
  readonly changelog?: { readonly text: string; readonly file: string } | undefined;
  /** Environment for `gitlab_user_id` (GITLAB_USER_ID). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface SuggestImageDeps {
  readonly gitlab: SuggestGitlab;
  /** Needed only when `digest` is omitted. */
  readonly docker?: DockerImages | undefined;
}

export type SuggestImageResult =
  | {
      readonly kind: 'already-pinned';
      readonly image: string;
      readonly defaultBranch: string;
      readonly defaultSha: string;
    }
  | {
      readonly kind: 'suggested';
      readonly branch: string;
      /** The suggest branch's commit, and whether this run moved the branch to it. */
      readonly commit: { readonly sha: string; readonly moved: boolean };
      readonly mergeRequest: {
        readonly iid: number;
        readonly webUrl: string;
        readonly action: 'created' | 'updated' | 'unchanged';
      };
      readonly assignment: Assignment;
      readonly oldImage: string;
      readonly newImage: string;
      readonly title: string;
    };

/** `suggest/<subfolder>/<container>` */
export function suggestBranchName(subfolder: string, container: string): string {
  return `suggest/${subfolder}/${container}`;
}

/**
 * Pins `container`'s image in `<subfolder>/stow.yaml` through a merge request (SPEC section 12).
 * Everything is read, validated and computed before the first write; the writes are then
 * (1) the suggest branch, force-updated to ONE commit on the default branch head, unless it already
 * holds exactly this change on that head, and (2) the merge request, created or refreshed only when
 * its title, description, assignee, target or remove-source-branch differ, then (3) the next
 * `--assign` attempt when GitLab dropped the assignee. A commit GitLab refuses because stow.yaml
 * changed on the default branch since it was read is planned again from the new head, once.
 * A failure between (1) and (2) leaves the branch without its MR; a rerun finds the branch already
 * right and opens the MR.
 */
export async function suggestImage(
  options: SuggestImageOptions,
  deps: SuggestImageDeps,
): Promise<SuggestImageResult> {
  const { gitlab } = deps;
  const env = options.env ?? {};
  // 1. Inputs, before any request.
  const subfolder = checkSubfolder(options.subfolder);
  const { project, container } = options;
  if (!project.trim()) throw new SuggestImageError('BAD_INPUT', '--project is empty');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(container)) {
    throw new SuggestImageError(
      'BAD_INPUT',
      `--container ${JSON.stringify(container)} is not a container name`,
    );
  }
  const imageRef = parseImageFlag(options.image);
  const attempts: AssignAttempt[] = options.assign ? parseAssignList(options.assign) : [];
  let digest: string;
  if (options.digest !== undefined) {
    digest = normaliseDigest(options.digest);
  } else {
    if (!deps.docker)
      throw new SuggestImageError('BAD_INPUT', '--digest is missing and no Docker engine was given');
    digest = await resolveRegistryDigest(deps.docker, options.image.trim(), imageRef.repository);
  }
  const newImage = `${imageRef.repository}${imageRef.tag ? `:${imageRef.tag}` : ''}@${digest}`;
  const branch = suggestBranchName(subfolder, container);
  const request = {
    project,
    subfolder,
    container,
    newImage,
    newRepository: imageRef.repository,
    digest,
    branch,
  };

  // 2. Read the default branch, its stow.yaml and the suggest branch; compute the change (no write).
  let plan = await planChange(gitlab, request);
  if (plan.kind === 'already-pinned') return alreadyPinned(plan);
  const assignCtx = { project, attempts, gitlab, env };
  const wanted = await resolveAssignee(attempts, gitlab, env);

  // 3. Write the branch, unless it already holds exactly this change on the head. GitLab refuses
  // the commit with 400 when stow.yaml changed on the default branch since it was read (the
  // `last_commit_id` lock): read again and retry once.
  const writeBranch = async (p: ChangeToMake) =>
    p.branchUpToDate
      ? { sha: p.branchUpToDate.sha, moved: false }
      : { sha: (await pushBranch(gitlab, request, p)).sha, moved: true };
  let commit: { sha: string; moved: boolean };
  try {
    commit = await writeBranch(plan);
  } catch (error) {
    if (!fileChangedSinceRead(error)) throw stepError(`push branch ${branch}`, error);
    plan = await planChange(gitlab, request);
    if (plan.kind === 'already-pinned') return alreadyPinned(plan);
    const reread = plan;
    commit = await gitlabStep(`push branch ${branch}`, () => writeBranch(reread));
  }

  // 4. Create or refresh the merge request, then make sure the assignee stuck.
  const change = plan;
  const description = renderDescription({
    container,
    subfolder,
    oldImage: change.oldImage,
    newImage,
    digest,
    daemonBaseUrl: change.manifest.deployment.daemonBaseUrl,
    suggestSha: commit.sha,
    changelog: options.changelog
      ? changelogBetween(options.changelog.text, {
          oldTag: parseImageReference(change.oldImage)?.tag,
          newTag: imageRef.tag,
        }).text
      : undefined,
    changelogFile: options.changelog?.file,
  });
  const existing = change.openMergeRequest;
  const kept = existing ? await keptAssignment(assignCtx, wanted, existing.assigneeIds) : null;
  const assignment = kept ?? wanted;
  const assigneeIds = assignment.user && !kept ? [assignment.user.id] : undefined;
  const texts = { title: change.title, description, targetBranch: change.head.branch };
  const { mr, action } = await gitlabStep(
    `${existing ? 'update' : 'create'} the merge request for ${branch}`,
    () => upsertMergeRequest(gitlab, project, branch, existing, { ...texts, assigneeIds }),
    commit.moved && !existing
      ? ` (branch ${branch} was pushed at ${commit.sha.slice(0, 12)} but has no merge request yet; rerun to finish)`
      : '',
  );
  const settled = await settleAssignee(assignCtx, mr, assignment);
  return {
    kind: 'suggested',
    branch,
    commit,
    mergeRequest: {
      iid: settled.mr.iid,
      webUrl: settled.mr.webUrl,
      action: action === 'unchanged' && settled.updated ? 'updated' : action,
    },
    assignment: settled.assignment,
    oldImage: change.oldImage,
    newImage,
    title: change.title,
  };
}

const alreadyPinned = (plan: {
  image: string;
  head: { branch: string; sha: string };
}): SuggestImageResult => ({
  kind: 'already-pinned',
  image: plan.image,
  defaultBranch: plan.head.branch,
  defaultSha: plan.head.sha,
});

/** Force-updates the suggest branch to ONE commit on the default head, locked on stow.yaml's last commit. */
function pushBranch(gitlab: SuggestGitlab, request: { project: string; branch: string }, plan: ChangeToMake) {
  return gitlab.forceCommitBranch(request.project, {
    branch: request.branch,
    message: plan.message,
    startSha: plan.head.sha,
    actions: [
      { action: 'update', filePath: plan.filePath, content: plan.newText, lastCommitId: plan.lastCommitId },
    ],
  });
}

/**
 * GitLab's answer to a commit whose `last_commit_id` is stale: 400 "The file has changed since you
 * started editing it: <path>" (Files::MultiService; the single-file API says "You are attempting to
 * update a file that has changed since you started editing it.").
 */
function fileChangedSinceRead(error: unknown): boolean {
  return (
    error instanceof GitlabClientError &&
    error.status === 400 &&
    /has changed since you started editing it/.test(error.message)
  );
}

interface MergeRequestTexts {
  readonly title: string;
  readonly description: string;
  readonly targetBranch: string;
  /** undefined: leave the assignees as they are. */
  readonly assigneeIds: readonly number[] | undefined;
}

/** Creates the merge request, or refreshes the open one only where it differs. */
async function upsertMergeRequest(
  gitlab: SuggestGitlab,
  project: string,
  branch: string,
  open: MergeRequest | null,
  want: MergeRequestTexts,
): Promise<{ mr: MergeRequest; action: 'created' | 'updated' | 'unchanged' }> {
  const assigneeIds = want.assigneeIds ? [...want.assigneeIds] : undefined;
  const refresh = async (mr: MergeRequest) => {
    const update = {
      ...(mr.title === want.title ? {} : { title: want.title }),
      ...(mr.description === want.description ? {} : { description: want.description }),
      ...(mr.targetBranch === want.targetBranch ? {} : { targetBranch: want.targetBranch }),
      ...(mr.removeSourceBranch ? {} : { removeSourceBranch: true }),
      ...(assigneeIds && !sameIds(mr.assigneeIds, assigneeIds) ? { assigneeIds } : {}),
    };
    if (Object.keys(update).length === 0) return { mr, action: 'unchanged' as const };
    return { mr: await gitlab.updateMergeRequest(project, mr.iid, update), action: 'updated' as const };
  };
  if (open) return refresh(open);
  try {
    const mr = await gitlab.createMergeRequest(project, {
      sourceBranch: branch,
      targetBranch: want.targetBranch,
      title: want.title,
      description: want.description,
      removeSourceBranch: true,
      ...(assigneeIds ? { assigneeIds } : {}),
    });
    return { mr, action: 'created' };
  } catch (error) {
    // Someone opened it between our look-up and now: refresh that one instead.
    if (error instanceof GitlabClientError && error.code === 'CONFLICT') {
      const raced = await gitlab.findOpenMergeRequest(project, branch);
      if (raced) return refresh(raced);
    }
    throw error;
  }
}

const sameIds = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && [...a].sort().every((id, i) => id === [...b].sort()[i]);

function checkSubfolder(subfolder: string): string {
  try {
    const normal = normalizeSubfolder(subfolder);
    if (normal === '') throw new Error('empty');
    return normal;
  } catch (cause) {
    throw new SuggestImageError(
      'BAD_INPUT',
      `--subfolder ${JSON.stringify(subfolder)} is not a folder path inside the repository`,
      {
        cause,
      },
    );
  }
}
