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
  | 'SOURCE_UNAVAILABLE';

const STATUS_OF: Record<DaemonErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_COMMIT: 404,
  NOT_ON_DEFAULT_BRANCH: 422,
  LOCKDOWN: 500,
  TLS: 500,
  SOURCE_UNAVAILABLE: 503,
};

/** The one error class of @stow/daemon. Messages name what is wrong and where, never a secret. */
export class DaemonError extends Error {
  override name = 'DaemonError';
  readonly code: DaemonErrorCode;
  readonly statusCode: number;
  /** Offending paths (lockdown) or parameters. */
  readonly paths: readonly string[];

  constructor(code: DaemonErrorCode, message: string, options: { cause?: unknown; paths?: string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.statusCode = STATUS_OF[code];
    this.paths = options.paths ?? [];
  }
}
