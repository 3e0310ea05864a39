/** Token scopes the fake knows; `api` implies `read_api`. */
export type TokenScope = 'api' | 'read_api';

export interface FakeToken {
  token: string;
  /** `access`: personal/project/group token (PRIVATE-TOKEN or Bearer); `job`: CI_JOB_TOKEN (JOB-TOKEN). */
  kind?: 'access' | 'job';
  scopes?: TokenScope[];
  /** The user acting with this token (author of commits and MRs). Defaults to the first user. */
  username?: string;
  revoked?: boolean;
  /**
   * `job` tokens only: `path_with_namespace` of the project whose pipeline holds the token (default:
   * this fake's project). A job from another project must be on the job-token allowlist.
   */
  project?: string;
}

export interface FakeUser {
  id: number;
  username: string;
  name?: string;
  state?: 'active' | 'blocked' | 'ldap_blocked' | 'deactivated' | 'banned';
  /**
   * Whether the user can read the (private) project: a member, directly or through a group.
   * Default true. GitLab silently drops assignees who cannot read the project.
   */
  member?: boolean;
}

export interface FakeGitlabOptions {
  /** Path of the bare repository backing the project (created when missing). */
  repo: string;
  /** `path_with_namespace`, default `ops/deployments`. */
  project?: string;
  projectId?: number;
  /** Branch HEAD points at when the repository is created (default `main`). */
  defaultBranch?: string;
  tokens?: FakeToken[];
  users?: FakeUser[];
  host?: string;
  port?: number;
  /** gzip level of tar.gz archives (default 6, like GitLab). */
  gzipLevel?: number;
  /** Cache generated archives per (sha, path, format) in this directory, as GitLab does. */
  archiveCacheDir?: string;
  /**
   * Projects (`path_with_namespace`) whose CI_JOB_TOKEN may call this project, beside the project
   * itself: GitLab's job-token allowlist, enforced by default. Default: none.
   */
  jobTokenAllowlist?: string[];
  /**
   * GitLab.com's archive download limit: `perMinute` requests per user in a window of `windowMs`
   * (default 60 s), then 429 without Retry-After. Off unless given (see FakeGitlab.setArchiveLimit).
   */
  archiveLimit?: ArchiveLimit;
}

export interface ArchiveLimit {
  perMinute: number;
  windowMs?: number;
}

/** One fault: the next `times` requests matching `method` and `path` misbehave. */
export interface FaultSpec {
  method?: string;
  /** Substring of, or RegExp tested against, the path below /api/v4 (still URL-encoded). */
  path?: string | RegExp;
  times?: number;
  /** Answer with this status instead of handling the request (429, 500, 502, 503...). */
  status?: number;
  /** Retry-After header value in seconds (or an HTTP date string). */
  retryAfter?: number | string;
  /** Body for `status` (object -> JSON; string -> text/plain). */
  body?: unknown;
  /** Wait this long before answering (before headers are sent). */
  delayMs?: number;
  /** Handle normally but cut the connection after this many body bytes. */
  truncateAfterBytes?: number;
  /**
   * Handle normally but end the body cleanly after this many bytes: a 200 whose (chunked) body just
   * stops, as Workhorse answers when Gitaly fails in the middle of an archive.
   */
  endAfterBytes?: number;
  /** Destroy the connection without an answer. */
  reset?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path below /api/v4, as sent (URL-encoded). */
  path: string;
  query: Record<string, string>;
  auth: 'private-token' | 'bearer' | 'job-token' | null;
  secFetchMode: string | undefined;
  status: number;
}

export interface FileSpec {
  content: string | Buffer;
  executable?: boolean;
}

/** `null` deletes the file. */
export type SeedFiles = Record<string, string | Buffer | FileSpec | null>;
