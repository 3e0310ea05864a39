import {
  type GitlabClient,
  GitlabClientError,
  type MergeRequest,
  normalizeSubfolder,
} from '@stow/gitlab-client';
import { ManifestError, parseImageReference, parseStowManifest } from '@stow/manifest';
import { type AssignAttempt, type Assignment, parseAssignList, resolveAssignee } from './assign.js';
import { changelogBetween } from './changelog.js';
import { type DockerImages, resolveRegistryDigest } from './docker-digest.js';
import { SuggestImageError } from './errors.js';
import { containerNames, replaceContainerImage } from './image-edit.js';
import { normaliseDigest, parseImageFlag } from './image-input.js';
import { renderDescription, renderTitle } from './render.js';

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
 * its title, description, assignee, target or remove-source-branch differ. A failure between (1)
 * and (2) leaves the branch without its MR; a rerun finds the branch already right and opens the MR.
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
  const filePath = `${subfolder}/stow.yaml`;
  const branch = suggestBranchName(subfolder, container);

  // 2. Read the default branch and its stow.yaml.
  const head = await gitlabStep('read the default branch', () => gitlab.defaultBranchHead(project));
  const file = await gitlabStep(`read ${filePath}`, () => gitlab.findFile(project, filePath, head.sha));
  if (!file) {
    throw new SuggestImageError(
      'MANIFEST_MISSING',
      `${filePath} does not exist on ${head.branch} (${head.sha.slice(0, 12)}) of ${project}; check --subfolder`,
    );
  }
  const oldText = file.content.toString('utf8');
  const where = `${filePath}@${head.branch}`;
  let manifest: ReturnType<typeof parseStowManifest>;
  try {
    manifest = parseStowManifest(oldText, where);
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new SuggestImageError('MANIFEST_INVALID', `${where} is not a valid stow.yaml: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (!(container in manifest.containers)) {
    const known = containerNames(oldText);
    throw new SuggestImageError(
      'UNKNOWN_CONTAINER',
      `${where}: no container "${container}" (known containers: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  const oldImage = manifest.containers[container]?.image ?? '';
  const oldRef = parseImageReference(oldImage);
  if (oldRef?.digest === digest && oldRef.repository === imageRef.repository) {
    return { kind: 'already-pinned', image: oldImage, defaultBranch: head.branch, defaultSha: head.sha };
  }

  // 3. Compute the new file, the texts and the assignee: still no write.
  const edit = replaceContainerImage(oldText, container, newImage, where);
  parseStowManifest(edit.text, `${filePath} (edited)`);
  const title = renderTitle(container, oldImage, newImage, digest);
  const message = `${title}\n\n${filePath}: containers.${container}.image\n${oldImage}\n-> ${newImage}\n\nOpened by stow suggest-image.`;
  const changelog = options.changelog
    ? changelogBetween(options.changelog.text, { oldTag: oldRef?.tag, newTag: imageRef.tag }).text
    : undefined;
  const assignment = await resolveAssignee(attempts, gitlab, env);
  const existingMr = await gitlabStep(`find the open merge request of ${branch}`, () =>
    gitlab.findOpenMergeRequest(project, branch),
  );
  const current = await gitlabStep(`read branch ${branch}`, () => gitlab.findCommit(project, branch));
  let upToDate = false;
  if (
    current &&
    current.parentIds.length === 1 &&
    current.parentIds[0] === head.sha &&
    current.message.trim() === message.trim()
  ) {
    const onBranch = await gitlabStep(`read ${filePath} on ${branch}`, () =>
      gitlab.findFile(project, filePath, current.sha),
    );
    upToDate = onBranch?.content.toString('utf8') === edit.text;
  }

  // 4. Write the branch (only when it does not already hold exactly this change on the head).
  let commitSha: string;
  if (upToDate && current) {
    commitSha = current.sha;
  } else {
    const commit = await gitlabStep(`push branch ${branch}`, () =>
      gitlab.forceCommitBranch(project, {
        branch,
        message,
        startSha: head.sha,
        actions: [{ action: 'update', filePath, content: edit.text, lastCommitId: file.lastCommitId }],
      }),
    );
    commitSha = commit.sha;
  }

  // 5. Create or refresh the merge request.
  const description = renderDescription({
    container,
    subfolder,
    oldImage,
    newImage,
    digest,
    daemonBaseUrl: manifest.deployment.daemonBaseUrl,
    suggestSha: commitSha,
    changelog,
    changelogFile: options.changelog?.file,
  });
  const assigneeIds = assignment.user ? [assignment.user.id] : undefined;
  const mrStep = async (): Promise<{ mr: MergeRequest; action: 'created' | 'updated' | 'unchanged' }> => {
    const open = existingMr ?? null;
    if (open) return refresh(open);
    try {
      const mr = await gitlab.createMergeRequest(project, {
        sourceBranch: branch,
        targetBranch: head.branch,
        title,
        description,
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
  };
  const refresh = async (open: MergeRequest) => {
    const update = {
      ...(open.title === title ? {} : { title }),
      ...(open.description === description ? {} : { description }),
      ...(open.targetBranch === head.branch ? {} : { targetBranch: head.branch }),
      ...(open.removeSourceBranch ? {} : { removeSourceBranch: true }),
      ...(assigneeIds && !sameIds(open.assigneeIds, assigneeIds) ? { assigneeIds } : {}),
    };
    if (Object.keys(update).length === 0) return { mr: open, action: 'unchanged' as const };
    return { mr: await gitlab.updateMergeRequest(project, open.iid, update), action: 'updated' as const };
  };
  const moved = !upToDate;
  const { mr, action } = await gitlabStep(
    `${existingMr ? 'update' : 'create'} the merge request for ${branch}`,
    mrStep,
    moved && !existingMr
      ? ` (branch ${branch} was pushed at ${commitSha.slice(0, 12)} but has no merge request yet; rerun to finish)`
      : '',
  );
  return {
    kind: 'suggested',
    branch,
    commit: { sha: commitSha, moved },
    mergeRequest: { iid: mr.iid, webUrl: mr.webUrl, action },
    assignment,
    oldImage,
    newImage,
    title,
  };
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

/** Runs one GitLab step; its GitlabClientError becomes GITLAB_FAILED naming the step. */
async function gitlabStep<T>(step: string, fn: () => Promise<T>, note = ''): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof GitlabClientError) {
      throw new SuggestImageError('GITLAB_FAILED', `${step} failed: ${error.message}${note}`, {
        step,
        cause: error,
      });
    }
    throw error;
  }
}
