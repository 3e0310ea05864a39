import type { Readable } from 'node:stream';
import type { RetryPolicy } from './retry.js';

/** A project by numeric id or `group/name` path. */
export type ProjectRef = string | number;

export interface GitlabClientOptions {
  /** API URL as in `gitlabBase` / `CI_API_V4_URL`, e.g. https://git.example.com/api/v4. */
  apiUrl: string;
  token: string;
  /** `access`: personal/project/group access token (default); `job`: CI_JOB_TOKEN. */
  tokenKind?: 'access' | 'job';
  /** PEM CA certificate(s) for a private CA, trusted in addition to the default roots. */
  ca?: string | Buffer;
  retry?: Partial<RetryPolicy>;
  /** Idle timeout (no byte received) for connects, headers and bodies; default 30 s. */
  timeoutMs?: number;
  /** Injectable sleep/random/clock for retries (tests). */
  retryEnv?: Partial<{ sleep(ms: number): Promise<void>; random(): number; now(): number }>;
}

export interface ProjectInfo {
  id: number;
  path: string;
  pathWithNamespace: string;
  /** null for an empty repository. */
  defaultBranch: string | null;
  webUrl: string;
}

export interface BranchHead {
  branch: string;
  sha: string;
}

export interface CommitInfo {
  sha: string;
  shortSha: string;
  title: string;
  message: string;
  parentIds: string[];
  committedDate: string;
  webUrl: string;
}

export interface RepositoryFile {
  path: string;
  ref: string;
  content: Buffer;
  blobId: string;
  /** The commit `ref` resolved to. */
  commitId: string;
  /** The last commit that touched this file (use as `lastCommitId` for an optimistic lock). */
  lastCommitId: string;
  executable: boolean;
}

export interface FileAction {
  action: 'create' | 'update' | 'delete' | 'move' | 'chmod';
  filePath: string;
  content?: string | Buffer;
  previousPath?: string;
  lastCommitId?: string;
  executeFilemode?: boolean;
}

export interface ForceCommitRequest {
  branch: string;
  message: string;
  actions: FileAction[];
  /** Start point: a branch (usually the default branch) or a commit sha; exactly one. */
  startBranch?: string;
  startSha?: string;
}

export interface MergeRequest {
  id: number;
  iid: number;
  state: string;
  title: string;
  description: string;
  sourceBranch: string;
  targetBranch: string;
  sha: string | null;
  webUrl: string;
  assigneeIds: number[];
  removeSourceBranch: boolean;
}

export interface MergeRequestCreate {
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description?: string;
  assigneeIds?: number[];
  removeSourceBranch?: boolean;
}

export interface MergeRequestUpdate {
  title?: string;
  description?: string;
  assigneeIds?: number[];
  removeSourceBranch?: boolean;
  targetBranch?: string;
}

export interface GitlabUser {
  id: number;
  username: string;
  name: string;
  /** `active`, `blocked`, `deactivated`... */
  state: string;
}

/** One entry of `GET /projects/:id/repository/tree`: `id` is the git object id (a blob's sha). */
export interface TreeEntry {
  id: string;
  name: string;
  type: 'blob' | 'tree' | 'commit';
  /** Full path in the repository. */
  path: string;
  mode: string;
}

/** States a commit status can be set to (https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit). */
export type CommitStatusState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';

export interface CommitStatusRequest {
  state: CommitStatusState;
  /** The status' label (GitLab's `name`, default `default`): one per reporting system. */
  name: string;
  /** The branch the status belongs to (default: the first branch containing the commit). */
  ref?: string;
  /** http(s) only; GitLab refuses other schemes. */
  targetUrl?: string;
  description?: string;
}

/** Statuses of a deployment made without CI (https://docs.gitlab.com/api/deployments/#create-a-deployment). */
export type DeploymentStatus = 'running' | 'success' | 'failed' | 'canceled';

export interface DeploymentRequest {
  /** The environment's name; GitLab creates it on the first deployment. */
  environment: string;
  sha: string;
  /** The branch (or tag) deployed. */
  ref: string;
  tag?: boolean;
  status: DeploymentStatus;
}

export interface Deployment {
  id: number;
  status: string;
  environment: string;
}

export interface GitlabClient {
  readonly apiUrl: string;
  getProject(project: ProjectRef): Promise<ProjectInfo>;
  /** The default branch and its head commit; NOT_FOUND for an empty repository. */
  defaultBranchHead(project: ProjectRef): Promise<BranchHead>;
  /** A commit by sha (or ref); NOT_FOUND when missing. */
  getCommit(project: ProjectRef, sha: string): Promise<CommitInfo>;
  /** Like getCommit but null when the commit does not exist. */
  findCommit(project: ProjectRef, sha: string): Promise<CommitInfo | null>;
  /** Names of the branches containing a commit (every page). */
  branchesContaining(project: ProjectRef, sha: string): Promise<string[]>;
  /** True when the commit is contained in the default branch; false for unknown commits. */
  isOnDefaultBranch(project: ProjectRef, sha: string): Promise<boolean>;
  /** The tar.gz archive of one subfolder at a commit, streamed (its top directory is GitLab's prefix). */
  downloadArchive(project: ProjectRef, options: { sha: string; path: string }): Promise<Readable>;
  /** A file at a ref with its blob and last commit; NOT_FOUND when missing. */
  readFile(project: ProjectRef, filePath: string, ref: string): Promise<RepositoryFile>;
  findFile(project: ProjectRef, filePath: string, ref: string): Promise<RepositoryFile | null>;
  /** Rewrites `branch` to ONE new commit on top of the start point (POST commits, force: true). */
  forceCommitBranch(project: ProjectRef, request: ForceCommitRequest): Promise<CommitInfo>;
  findOpenMergeRequest(project: ProjectRef, sourceBranch: string): Promise<MergeRequest | null>;
  createMergeRequest(project: ProjectRef, request: MergeRequestCreate): Promise<MergeRequest>;
  updateMergeRequest(project: ProjectRef, iid: number, update: MergeRequestUpdate): Promise<MergeRequest>;
  getUser(id: number): Promise<GitlabUser | null>;
  findUserByUsername(username: string): Promise<GitlabUser | null>;
  /**
   * Every entry under `path` at `ref` (recursive: blobs and trees), all pages; an empty list when
   * the commit has no such path; NOT_FOUND when the ref does not exist.
   */
  listTree(
    project: ProjectRef,
    options: { ref: string; path: string; recursive: boolean },
  ): Promise<TreeEntry[]>;
  /** The exact bytes of a file at `ref` (raw endpoint), refused past `maxBytes` (default 1 MiB). */
  readRawFile(project: ProjectRef, filePath: string, ref: string, maxBytes?: number): Promise<Buffer>;
  /**
   * Sets the status `name` of a commit (POST /projects/:id/statuses/:sha; scope `api`). Setting the
   * state the status already holds is a 400 "Cannot transition status" from GitLab: REJECTED.
   */
  setCommitStatus(project: ProjectRef, sha: string, request: CommitStatusRequest): Promise<void>;
  /** Records a deployment without CI (POST /projects/:id/deployments; scope `api`). */
  createDeployment(project: ProjectRef, request: DeploymentRequest): Promise<Deployment>;
  /** Moves a deployment to a new status (PUT /projects/:id/deployments/:deployment_id; scope `api`). */
  updateDeployment(project: ProjectRef, deploymentId: number, status: DeploymentStatus): Promise<Deployment>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
