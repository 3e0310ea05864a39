export type SuggestImageErrorCode =
  /** A flag or environment variable is missing or malformed (names which). */
  | 'BAD_INPUT'
  /** No usable token: none set, or only CI_JOB_TOKEN (GitLab refuses it for commits and MRs). */
  | 'TOKEN'
  /** `--digest` is not 64 hex digits (with or without `sha256:`). */
  | 'BAD_DIGEST'
  /** `--image` is not an image reference, or already carries a digest. */
  | 'BAD_IMAGE'
  /** `--assign` holds an entry that is not gitlab_user_id, id:<n> or user:<name>. */
  | 'BAD_ASSIGN'
  /** `<subfolder>/stow.yaml` does not exist on the default branch. */
  | 'MANIFEST_MISSING'
  /** stow.yaml on the default branch is not valid (the ManifestError is the cause). */
  | 'MANIFEST_INVALID'
  /** `--container` is not a container of the deployment (the message lists the known ones). */
  | 'UNKNOWN_CONTAINER'
  /** The container's image cannot be edited in place (alias, anchor, block scalar...). */
  | 'UNEDITABLE'
  /** The image is not in the local Docker engine. */
  | 'IMAGE_NOT_FOUND'
  /** The image is in Docker but no registry manifest digest could be found for it. */
  | 'NO_REGISTRY_DIGEST'
  /** The Docker engine did not answer. */
  | 'DOCKER_FAILED'
  /** A GitLab request failed (the GitlabClientError is the cause; the message names the step). */
  | 'GITLAB_FAILED';

/** The one error class of @stow/suggest-image. Messages name the flag, file or step; never a token. */
export class SuggestImageError extends Error {
  override name = 'SuggestImageError';
  readonly code: SuggestImageErrorCode;
  /** What was being done when it failed (`read stow.yaml`, `push branch`, `create merge request`...). */
  readonly step: string | undefined;

  constructor(
    code: SuggestImageErrorCode,
    message: string,
    options: { step?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.step = options.step;
  }
}
