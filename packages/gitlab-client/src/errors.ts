export type GitlabClientErrorCode =
  /** 401: the token was rejected, or CI_JOB_TOKEN may not call the endpoint. */
  | 'UNAUTHORIZED'
  /** 403: the token lacks a scope or a role. */
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  /** 400/405/406/422 and other 4xx: GitLab refused the request as made. */
  | 'REJECTED'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'TIMEOUT'
  | 'NETWORK'
  /** The server's certificate was not trusted (set `ca` for a private CA). */
  | 'TLS'
  /** A bad argument given to the client or a source (not a sha, unsafe subfolder...). */
  | 'INVALID_ARGUMENT'
  /** An archive entry that may not be extracted (traversal, absolute, link, device...). */
  | 'ARCHIVE_UNSAFE'
  /** The archive exceeds the byte or file-count cap. */
  | 'ARCHIVE_TOO_LARGE'
  /** Truncated or corrupt gzip/tar data. */
  | 'ARCHIVE_CORRUPT'
  /** A local `git` command failed. */
  | 'GIT_FAILED';

/** Codes worth retrying: the same request may succeed later. */
export const TRANSIENT_CODES: ReadonlySet<GitlabClientErrorCode> = new Set([
  'RATE_LIMITED',
  'SERVER_ERROR',
  'TIMEOUT',
  'NETWORK',
]);

export interface GitlabClientErrorOptions {
  /** `GET /api/v4/projects/ops%2Fdeployments/repository/archive.tar.gz` (never a query string or token). */
  endpoint?: string;
  status?: number;
  /** Archive entry or file path the error is about. */
  entry?: string;
  /** Milliseconds the server asked to wait (Retry-After). */
  retryAfterMs?: number;
  /** How many attempts were made before giving up. */
  attempts?: number;
  cause?: unknown;
}

/** The one error class of @stow/gitlab-client. Messages name the endpoint or entry, never the token. */
export class GitlabClientError extends Error {
  override name = 'GitlabClientError';
  readonly code: GitlabClientErrorCode;
  readonly endpoint: string | undefined;
  readonly status: number | undefined;
  readonly entry: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number | undefined;

  constructor(code: GitlabClientErrorCode, message: string, options: GitlabClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.endpoint = options.endpoint;
    this.status = options.status;
    this.entry = options.entry;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
  }

  /** True when retrying the same request may succeed (429, 5xx, timeouts, connection resets). */
  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code);
  }

  toJSON() {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      endpoint: this.endpoint,
      status: this.status,
      entry: this.entry,
      attempts: this.attempts,
    };
  }
}
