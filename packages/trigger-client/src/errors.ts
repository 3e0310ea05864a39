export type TriggerErrorCode =
  /** The daemon URL is not an https URL, or the head hash is not a commit sha. */
  | 'BAD_INPUT'
  /** STOW_CACERT cannot be read. */
  | 'BAD_CA'
  /** The daemon answered a final 4xx (400, 401, 403, 404, 422...): retrying cannot help. */
  | 'REJECTED'
  /** Every attempt failed with a retryable error (connection, timeout, 429, 5xx). */
  | 'GAVE_UP'
  /** The working directory is not a git checkout, or git failed. */
  | 'GIT_FAILED'
  /** A deployment's stow.yaml cannot be read for its daemonBaseUrl. */
  | 'MANIFEST_INVALID';

/** The one error class of @stow/trigger-client. Messages name the URL (never a token), status and attempts. */
export class TriggerError extends Error {
  override name = 'TriggerError';
  readonly code: TriggerErrorCode;
  /** The trigger URL without credentials. */
  readonly url: string | undefined;
  /** The last HTTP status, when there was an answer. */
  readonly status: number | undefined;
  readonly attempts: number | undefined;

  constructor(
    code: TriggerErrorCode,
    message: string,
    options: { url?: string; status?: number; attempts?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.url = options.url;
    this.status = options.status;
    this.attempts = options.attempts;
  }
}
