/** Stable codes of the daemon's errors; the HTTP layer maps them to status codes. */
export type DaemonErrorCode =
  /** head_hash / git_hash is not 7 to 40 hex digits, or the request is malformed (400). */
  | 'BAD_REQUEST'
  /** The trigger token is missing or wrong (401). */
  | 'UNAUTHORIZED'
  /** The commit does not exist in the deployment repository (404, state `unknown`). */
  | 'UNKNOWN_COMMIT'
  /** The commit exists but is not contained in the default branch (422). */
  | 'NOT_ON_DEFAULT_BRANCH'
  /** The config directory is not locked down (the daemon refuses to start). */
  | 'LOCKDOWN'
  /** daemon.yaml has no tlsCrt/tlsKey, or they cannot be read (the daemon refuses to start). */
  | 'TLS'
  /** The desired-state source could not be reached (503). */
  | 'SOURCE_UNAVAILABLE'
  /** Commit resolution is at its bound (running and queued): try again later (503, Retry-After). */
  | 'BUSY'
  /** This client asked for too many commits not resolved yet (429, Retry-After). */
  | 'RATE_LIMITED';

const STATUS_OF: Record<DaemonErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_COMMIT: 404,
  NOT_ON_DEFAULT_BRANCH: 422,
  LOCKDOWN: 500,
  TLS: 500,
  SOURCE_UNAVAILABLE: 503,
  BUSY: 503,
  RATE_LIMITED: 429,
};

/** The one error class of @stow/daemon. Messages name what is wrong and where, never a secret. */
export class DaemonError extends Error {
  override name = 'DaemonError';
  readonly code: DaemonErrorCode;
  readonly statusCode: number;
  /** Offending paths (lockdown) or parameters. */
  readonly paths: readonly string[];

  /** Seconds the client should wait before asking again (BUSY, RATE_LIMITED): the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: DaemonErrorCode,
    message: string,
    options: { cause?: unknown; paths?: string[]; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.statusCode = STATUS_OF[code];
    this.paths = options.paths ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
