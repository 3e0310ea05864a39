import type { GitCommit } from './repo.js';
import { branchSha, headBranch, readCommit } from './repo.js';
import type { FakeToken, FakeUser, FaultSpec, RecordedRequest } from './types.js';

export interface MergeRequestRecord {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  sourceBranch: string;
  targetBranch: string;
  authorId: number;
  assigneeIds: number[];
  labels: string[];
  squash: boolean;
  removeSourceBranch: boolean;
  createdAt: string;
  updatedAt: string;
  mergedAt: string | null;
  closedAt: string | null;
  mergeCommitSha: string | null;
  /** Source head when merged or closed (open MRs read the branch). */
  frozenSha: string | null;
}

/** An external commit status (`POST /projects/:id/statuses/:sha`). */
export interface CommitStatusRecord {
  id: number;
  sha: string;
  ref: string;
  name: string;
  status: 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';
  targetUrl: string | null;
  description: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  authorId: number;
}

/** A deployment created through the API (no CI job: `deployable` is null). */
export interface DeploymentRecord {
  id: number;
  iid: number;
  environmentId: number;
  sha: string;
  ref: string;
  tag: boolean;
  status: 'running' | 'success' | 'failed' | 'canceled';
  userId: number;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentRecord {
  id: number;
  name: string;
  slug: string;
  createdAt: string;
  updatedAt: string;
}

export interface ActiveFault extends FaultSpec {
  remaining: number;
}

/** Everything the fake server keeps in memory beside the git repository. */
export class FakeState {
  readonly mergeRequests: MergeRequestRecord[] = [];
  readonly faults: ActiveFault[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly commitStatuses: CommitStatusRecord[] = [];
  readonly deployments: DeploymentRecord[] = [];
  readonly environments: EnvironmentRecord[] = [];
  /** Projects whose job tokens may call this one, beside itself (GitLab's job-token allowlist). */
  readonly jobTokenAllowlist: Set<string>;
  baseUrl = '';
  /**
   * GitLab's archive limit (project_repositories_archive: 5 a minute per user and project, in
   * lib/gitlab/application_rate_limiter.rb; https://docs.gitlab.com/api/repositories/#get-file-archive
   * "rate limited to 5 requests per minute" on GitLab.com). null: off, as on a self-managed default.
   */
  archiveLimit: { perMinute: number; windowMs: number } | null = null;
  /** Per user: when the current window opened (the first request counted) and how many it holds. */
  private readonly archiveWindows = new Map<string, { start: number; count: number }>();
  private nextMrId = 1000;
  private nextRecordId = 5000;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly gitDir: string,
    readonly projectId: number,
    readonly pathWithNamespace: string,
    readonly tokens: FakeToken[],
    readonly users: FakeUser[],
    readonly gzipLevel: number,
    readonly archiveCacheDir: string | undefined,
    jobTokenAllowlist: readonly string[] = [],
  ) {
    this.jobTokenAllowlist = new Set(jobTokenAllowlist.map((p) => p.toLowerCase()));
  }

  /** Whether `user` can read this private project (GitLab's `read_merge_request` on it). */
  canRead(user: FakeUser): boolean {
    return user.member !== false;
  }

  /** Whether a job token of `sourceProject` may call this project. */
  jobTokenAllowed(sourceProject: string): boolean {
    const source = sourceProject.toLowerCase();
    return source === this.pathWithNamespace.toLowerCase() || this.jobTokenAllowlist.has(source);
  }

  get projectPath(): string {
    return this.pathWithNamespace.split('/').pop() ?? this.pathWithNamespace;
  }

  get webUrl(): string {
    return `${this.baseUrl}/${this.pathWithNamespace}`;
  }

  /**
   * Counts one archive request of `username`; true when it is over the limit. Like the rate
   * limiter's INCR + EXPIRE, the window opens with its first request and every request counts.
   */
  archiveLimited(username: string, now = Date.now()): boolean {
    const limit = this.archiveLimit;
    if (!limit) return false;
    let window = this.archiveWindows.get(username);
    if (!window || now - window.start >= limit.windowMs) {
      window = { start: now, count: 0 };
      this.archiveWindows.set(username, window);
    }
    window.count += 1;
    return window.count > limit.perMinute;
  }

  /** Serialises writes (commits, branch moves, merges) like GitLab's per-ref locking. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  allocateMergeRequestId(): { id: number; iid: number } {
    this.nextMrId += 1;
    return { id: this.nextMrId, iid: this.mergeRequests.length + 1 };
  }

  /** Ids of commit statuses, deployments and environments. */
  nextId(): number {
    this.nextRecordId += 1;
    return this.nextRecordId;
  }

  environmentOf(deployment: DeploymentRecord): EnvironmentRecord | undefined {
    return this.environments.find((e) => e.id === deployment.environmentId);
  }

  #userJsonById(id: number) {
    const user = this.users.find((u) => u.id === id);
    return user ? this.userJson(user) : null;
  }

  commitStatusJson(s: CommitStatusRecord) {
    return {
      id: s.id,
      sha: s.sha,
      ref: s.ref,
      status: s.status,
      name: s.name,
      target_url: s.targetUrl,
      description: s.description,
      created_at: s.createdAt,
      started_at: s.startedAt,
      finished_at: s.finishedAt,
      allow_failure: false,
      coverage: null,
      author: this.#userJsonById(s.authorId),
    };
  }

  environmentJson(e: EnvironmentRecord) {
    return {
      id: e.id,
      name: e.name,
      slug: e.slug,
      external_url: null,
      state: 'available',
      tier: 'other',
      created_at: e.createdAt,
      updated_at: e.updatedAt,
    };
  }

  deploymentJson(d: DeploymentRecord) {
    const environment = this.environmentOf(d);
    return {
      id: d.id,
      iid: d.iid,
      ref: d.ref,
      sha: d.sha,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      status: d.status,
      user: this.#userJsonById(d.userId),
      environment: environment ? { id: environment.id, name: environment.name, external_url: null } : null,
      deployable: null,
    };
  }

  /** The default branch, or null while the repository is empty (GitLab's `default_branch: null`). */
  async defaultBranch(): Promise<string | null> {
    const head = await headBranch(this.gitDir);
    return (await branchSha(this.gitDir, head)) ? head : null;
  }

  userJson(user: FakeUser) {
    return {
      id: user.id,
      username: user.username,
      name: user.name ?? user.username,
      state: user.state ?? 'active',
      locked: user.state === 'blocked',
      avatar_url: null,
      web_url: `${this.baseUrl}/${user.username}`,
    };
  }

  commitJson(c: GitCommit) {
    return {
      id: c.sha,
      short_id: c.sha.slice(0, 8),
      created_at: c.committedDate,
      parent_ids: c.parents,
      title: c.message.split('\n')[0] ?? '',
      message: c.message,
      author_name: c.authorName,
      author_email: c.authorEmail,
      authored_date: c.authoredDate,
      committer_name: c.committerName,
      committer_email: c.committerEmail,
      committed_date: c.committedDate,
      trailers: {},
      extended_trailers: {},
      web_url: `${this.webUrl}/-/commit/${c.sha}`,
    };
  }

  async commitJsonFor(sha: string) {
    return this.commitJson(await readCommit(this.gitDir, sha));
  }

  async mergeRequestJson(mr: MergeRequestRecord) {
    const sha = mr.state === 'opened' ? await branchSha(this.gitDir, mr.sourceBranch) : mr.frozenSha;
    const user = (id: number) => this.users.find((u) => u.id === id);
    const assignees = mr.assigneeIds.map(user).filter((u): u is FakeUser => u !== undefined);
    const author = user(mr.authorId);
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: this.projectId,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      created_at: mr.createdAt,
      updated_at: mr.updatedAt,
      merged_at: mr.mergedAt,
      closed_at: mr.closedAt,
      target_branch: mr.targetBranch,
      source_branch: mr.sourceBranch,
      source_project_id: this.projectId,
      target_project_id: this.projectId,
      author: author ? this.userJson(author) : null,
      assignee: assignees[0] ? this.userJson(assignees[0]) : null,
      assignees: assignees.map((u) => this.userJson(u)),
      labels: mr.labels,
      draft: false,
      work_in_progress: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: mr.state === 'opened' ? 'mergeable' : 'not_open',
      sha,
      merge_commit_sha: mr.mergeCommitSha,
      squash: mr.squash,
      force_remove_source_branch: mr.removeSourceBranch,
      references: { short: `!${mr.iid}`, full: `${this.pathWithNamespace}!${mr.iid}` },
      web_url: `${this.webUrl}/-/merge_requests/${mr.iid}`,
    };
  }
}
