import type { GitlabClient, MergeRequest } from '@stow/gitlab-client';
import { ManifestError, parseImageReference, parseStowManifest, type StowManifest } from '@stow/manifest';
import { SuggestImageError } from './errors.js';
import { gitlabStep } from './gitlab-step.js';
import { containerNames, replaceContainerImage } from './image-edit.js';
import { renderTitle } from './render.js';

/** The GitLab reads a plan needs (a GitlabClient fits). */
export type PlanGitlab = Pick<
  GitlabClient,
  'defaultBranchHead' | 'findFile' | 'findCommit' | 'findOpenMergeRequest'
>;

export interface ChangeRequest {
  readonly project: string;
  readonly subfolder: string;
  readonly container: string;
  /** `repository[:tag]@sha256:<hex>` */
  readonly newImage: string;
  readonly newRepository: string;
  readonly digest: string;
  /** `suggest/<subfolder>/<container>` */
  readonly branch: string;
}

export type ChangePlan =
  | { readonly kind: 'already-pinned'; readonly image: string; readonly head: DefaultHead }
  | {
      readonly kind: 'change';
      readonly head: DefaultHead;
      readonly filePath: string;
      /** The commit that last changed stow.yaml on the default branch (GitLab's optimistic lock). */
      readonly lastCommitId: string;
      readonly manifest: StowManifest;
      readonly oldImage: string;
      readonly newText: string;
      readonly title: string;
      readonly message: string;
      readonly openMergeRequest: MergeRequest | null;
      /** The suggest branch already holds exactly this change on the default head. */
      readonly branchUpToDate: { readonly sha: string } | null;
    };

interface DefaultHead {
  readonly branch: string;
  readonly sha: string;
}

/**
 * Reads the default branch's stow.yaml and the suggest branch, and computes the change: no write.
 * Run again when GitLab says the file changed since it was read.
 */
export async function planChange(gitlab: PlanGitlab, request: ChangeRequest): Promise<ChangePlan> {
  const { project, subfolder, container, newImage, branch } = request;
  const filePath = `${subfolder}/stow.yaml`;
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
  const manifest = parseManifest(oldText, where);
  if (!(container in manifest.containers)) {
    const known = containerNames(oldText);
    throw new SuggestImageError(
      'UNKNOWN_CONTAINER',
      `${where}: no container "${container}" (known containers: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  const oldImage = manifest.containers[container]?.image ?? '';
  const oldRef = parseImageReference(oldImage);
  if (oldRef?.digest === request.digest && oldRef.repository === request.newRepository) {
    return { kind: 'already-pinned', image: oldImage, head };
  }

  const edit = replaceContainerImage(oldText, container, newImage, where);
  parseStowManifest(edit.text, `${filePath} (edited)`);
  const title = renderTitle(container, oldImage, newImage, request.digest);
  const message = `${title}\n\n${filePath}: containers.${container}.image\n${oldImage}\n-> ${newImage}\n\nOpened by stow suggest-image.`;
  const openMergeRequest = await gitlabStep(`find the open merge request of ${branch}`, () =>
    gitlab.findOpenMergeRequest(project, branch),
  );
  const current = await gitlabStep(`read branch ${branch}`, () => gitlab.findCommit(project, branch));
  let branchUpToDate: { sha: string } | null = null;
  if (
    current &&
    current.parentIds.length === 1 &&
    current.parentIds[0] === head.sha &&
    current.message.trim() === message.trim()
  ) {
    const onBranch = await gitlabStep(`read ${filePath} on ${branch}`, () =>
      gitlab.findFile(project, filePath, current.sha),
    );
    if (onBranch?.content.toString('utf8') === edit.text) branchUpToDate = { sha: current.sha };
  }
  return {
    kind: 'change',
    head,
    filePath,
    lastCommitId: file.lastCommitId,
    manifest,
    oldImage,
    newText: edit.text,
    title,
    message,
    openMergeRequest,
    branchUpToDate,
  };
}

function parseManifest(text: string, where: string): StowManifest {
  try {
    return parseStowManifest(text, where);
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new SuggestImageError('MANIFEST_INVALID', `${where} is not a valid stow.yaml: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
