import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  Commits,
  Deployments,
  MergeRequests,
  Projects,
  Repositories,
  RepositoryFiles,
  Users,
} from '@gitbeaker/rest';
import { hostFromApiUrl } from './api-url.js';
import { classifyTransportError, endpointLabel } from './classify.js';
import { createDispatcher } from './dispatcher.js';
import { GitlabClientError } from './errors.js';
import { createStowRequesterFn } from './requester.js';
import { DEFAULT_RETRY, type RetryEnv, type RetryPolicy, realRetryEnv } from './retry.js';
import type {
  CommitInfo,
  Deployment,
  FileAction,
  GitlabClient,
  GitlabClientOptions,
  GitlabUser,
  MergeRequest,
  ProjectInfo,
  ProjectRef,
} from './types.js';
import { assertSha } from './validate.js';

type Raw = Record<string, unknown>;

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);

const toProject = (r: Raw): ProjectInfo => ({
  id: Number(r.id),
  path: str(r.path),
  pathWithNamespace: str(r.path_with_namespace),
  defaultBranch: typeof r.default_branch === 'string' ? r.default_branch : null,
  webUrl: str(r.web_url),
});

const toCommit = (r: Raw): CommitInfo => ({
  sha: str(r.id),
  shortSha: str(r.short_id),
  title: str(r.title),
  message: str(r.message),
  parentIds: Array.isArray(r.parent_ids) ? r.parent_ids.map(str) : [],
  committedDate: str(r.committed_date),
  webUrl: str(r.web_url),
});

const toUser = (r: Raw): GitlabUser => ({
  id: Number(r.id),
  username: str(r.username),
  name: str(r.name),
  state: str(r.state),
});

const toMergeRequest = (r: Raw): MergeRequest => ({
  id: Number(r.id),
  iid: Number(r.iid),
  state: str(r.state),
  title: str(r.title),
  description: str(r.description),
  sourceBranch: str(r.source_branch),
  targetBranch: str(r.target_branch),
  sha: typeof r.sha === 'string' ? r.sha : null,
  webUrl: str(r.web_url),
  assigneeIds: Array.isArray(r.assignees) ? (r.assignees as Raw[]).map((a) => Number(a.id)) : [],
  removeSourceBranch: r.force_remove_source_branch === true,
});

const toDeployment = (r: Raw): Deployment => ({
  id: Number(r.id),
  status: str(r.status),
  environment: str((r.environment as Raw | null | undefined)?.name),
});

const toAction = (a: FileAction) => ({
  action: a.action,
  filePath: a.filePath,
  ...(a.content === undefined
    ? {}
    : { content: Buffer.from(a.content).toString('base64'), encoding: 'base64' }),
  ...(a.previousPath === undefined ? {} : { previousPath: a.previousPath }),
  ...(a.lastCommitId === undefined ? {} : { lastCommitId: a.lastCommitId }),
  ...(a.executeFilemode === undefined ? {} : { executeFilemode: a.executeFilemode }),
});

async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof GitlabClientError && error.code === 'NOT_FOUND') return null;
    throw error;
  }
}

/** Creates a GitLab API v4 client (on @gitbeaker/rest) from an API URL and a token. No module state. */
export function createGitlabClient(options: GitlabClientOptions): GitlabClient {
  const host = hostFromApiUrl(options.apiUrl);
  const apiUrl = `${host}/api/v4`;
  if (!options.token) throw new GitlabClientError('INVALID_ARGUMENT', 'GitLab token is empty');
  const secret = options.token;
  const tokenKind = options.tokenKind ?? 'access';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
    throw new GitlabClientError('INVALID_ARGUMENT', 'retry.attempts must be a positive integer');
  }
  const retryEnv: RetryEnv = { ...realRetryEnv, ...options.retryEnv };
  const dispatcher = createDispatcher({ timeoutMs, ca: options.ca });
  const redact = (text: string) => text.split(secret).join('[REDACTED]');
  const requesterFn = createStowRequesterFn({ dispatcher, retry, retryEnv, tokenKind, redact });
  // The token is read through a function so no resource object holds it as a plain property.
  const auth = tokenKind === 'job' ? { jobToken: () => secret } : { token: () => secret };
  const config = {
    host,
    ...auth,
    requesterFn,
    queryTimeout: 0,
    rateLimits: {},
  } as unknown as ConstructorParameters<typeof Projects>[0];
  const projects = new Projects(config);
  const repositories = new Repositories(config);
  const commits = new Commits(config);
  const files = new RepositoryFiles(config);
  const mergeRequests = new MergeRequests(config);
  const users = new Users(config);
  const deployments = new Deployments(config);

  const getProject = async (project: ProjectRef) =>
    toProject((await projects.show(project)) as unknown as Raw);

  const client: GitlabClient = {
    apiUrl,
    getProject,

    async defaultBranchHead(project) {
      const info = await getProject(project);
      if (!info.defaultBranch) {
        throw new GitlabClientError(
          'NOT_FOUND',
          `project ${info.pathWithNamespace} has no default branch (empty repository)`,
        );
      }
      const commit = toCommit((await commits.show(project, info.defaultBranch)) as unknown as Raw);
      return { branch: info.defaultBranch, sha: commit.sha };
    },

    async getCommit(project, sha) {
      return toCommit((await commits.show(project, sha)) as unknown as Raw);
    },

    findCommit(project, sha) {
      return orNull(client.getCommit(project, sha));
    },

    async branchesContaining(project, sha) {
      assertSha(sha);
      const refs = (await commits.allReferences(project, sha, {
        type: 'branch',
        perPage: 100,
      })) as unknown as Raw[];
      return refs.filter((r) => r.type === 'branch').map((r) => str(r.name));
    },

    async isOnDefaultBranch(project, sha) {
      assertSha(sha);
      const info = await getProject(project);
      if (!info.defaultBranch) return false;
      const branches = await orNull(client.branchesContaining(project, sha));
      return branches?.includes(info.defaultBranch) ?? false;
    },

    async downloadArchive(project, { sha, path }) {
      assertSha(sha);
      const body = (await repositories.showArchive(project, {
        sha,
        path,
        fileType: 'tar.gz',
        asStream: true,
      })) as unknown as WebReadableStream<Uint8Array>;
      const label = endpointLabel(
        'GET',
        `${apiUrl}/projects/${encodeURIComponent(project)}/repository/archive.tar.gz`,
      );
      const source = Readable.fromWeb(body, { highWaterMark: 1024 * 1024 });
      const out = new PassThrough({ highWaterMark: 1024 * 1024 });
      // Mid-stream failures (reset, idle timeout) surface as classified, transient errors.
      source.on('error', (error) => out.destroy(classifyTransportError(error, label)));
      out.on('close', () => {
        if (!source.destroyed) source.destroy();
      });
      return source.pipe(out);
    },

    async readFile(project, filePath, ref) {
      const r = (await files.show(project, filePath, ref)) as unknown as Raw;
      return {
        path: str(r.file_path),
        ref: str(r.ref),
        content: Buffer.from(str(r.content), r.encoding === 'base64' ? 'base64' : 'utf8'),
        blobId: str(r.blob_id),
        commitId: str(r.commit_id),
        lastCommitId: str(r.last_commit_id),
        executable: r.execute_filemode === true,
      };
    },

    findFile(project, filePath, ref) {
      return orNull(client.readFile(project, filePath, ref));
    },

    async forceCommitBranch(project, request) {
      if ((request.startBranch === undefined) === (request.startSha === undefined)) {
        throw new GitlabClientError(
          'INVALID_ARGUMENT',
          'forceCommitBranch needs exactly one of startBranch or startSha',
        );
      }
      if (request.startSha !== undefined) assertSha(request.startSha, true);
      const created = await commits.create(
        project,
        request.branch,
        request.message,
        request.actions.map(toAction) as never,
        {
          ...(request.startBranch === undefined ? {} : { startBranch: request.startBranch }),
          ...(request.startSha === undefined ? {} : { startSha: request.startSha }),
          force: true,
        },
      );
      return toCommit(created as unknown as Raw);
    },

    async findOpenMergeRequest(project, sourceBranch) {
      const list = (await mergeRequests.all({
        projectId: project,
        sourceBranch,
        state: 'opened',
        perPage: 100,
      })) as unknown as Raw[];
      const found = list.find((m) => m.source_branch === sourceBranch);
      return found ? toMergeRequest(found) : null;
    },

    async createMergeRequest(project, req) {
      const created = await mergeRequests.create(project, req.sourceBranch, req.targetBranch, req.title, {
        ...(req.description === undefined ? {} : { description: req.description }),
        ...(req.assigneeIds === undefined ? {} : { assigneeIds: req.assigneeIds }),
        ...(req.removeSourceBranch === undefined ? {} : { removeSourceBranch: req.removeSourceBranch }),
      });
      return toMergeRequest(created as unknown as Raw);
    },

    async updateMergeRequest(project, iid, update) {
      const edited = await mergeRequests.edit(project, iid, {
        ...(update.title === undefined ? {} : { title: update.title }),
        ...(update.description === undefined ? {} : { description: update.description }),
        // GitLab unassigns everyone with [0]; an empty array would be dropped from the JSON body.
        ...(update.assigneeIds === undefined
          ? {}
          : { assigneeIds: update.assigneeIds.length > 0 ? update.assigneeIds : [0] }),
        ...(update.removeSourceBranch === undefined ? {} : { removeSourceBranch: update.removeSourceBranch }),
        ...(update.targetBranch === undefined ? {} : { targetBranch: update.targetBranch }),
      });
      return toMergeRequest(edited as unknown as Raw);
    },

    async getUser(id) {
      if (!Number.isInteger(id) || id <= 0) {
        throw new GitlabClientError(
          'INVALID_ARGUMENT',
          `GitLab user id must be a positive integer, got ${id}`,
        );
      }
      const user = await orNull(users.show(id));
      return user ? toUser(user as unknown as Raw) : null;
    },

    async findUserByUsername(username) {
      const list = (await users.all({ username } as never)) as unknown as Raw[];
      const match = list.find((u) => str(u.username).toLowerCase() === username.toLowerCase());
      return match ? toUser(match) : null;
    },

    async listTree(project, { ref, path, recursive }) {
      // Legacy offset pagination, followed through the Link headers by gitbeaker (every page).
      const raw = (await repositories.allRepositoryTrees(project, {
        ref,
        path,
        recursive,
        perPage: 100,
      })) as unknown as Raw[];
      return raw.map((r) => ({
        id: str(r.id),
        name: str(r.name),
        type: r.type === 'tree' ? 'tree' : r.type === 'commit' ? 'commit' : 'blob',
        path: str(r.path),
        mode: str(r.mode),
      }));
    },

    async readRawFile(project, filePath, ref, maxBytes = 1024 * 1024) {
      // As a stream: the bytes exactly as stored (a text body would be decoded and re-encoded).
      const body = (await files.showRaw(project, filePath, ref, {
        asStream: true,
      } as never)) as unknown as WebReadableStream<Uint8Array>;
      const chunks: Buffer[] = [];
      let size = 0;
      const label = endpointLabel(
        'GET',
        `${apiUrl}/projects/${encodeURIComponent(project)}/repository/files/raw`,
      );
      try {
        for await (const chunk of Readable.fromWeb(body)) {
          size += (chunk as Buffer).length;
          if (size > maxBytes) {
            throw new GitlabClientError(
              'ARCHIVE_TOO_LARGE',
              `${filePath} at ${ref} is larger than ${maxBytes} bytes`,
              {
                entry: filePath,
              },
            );
          }
          chunks.push(chunk as Buffer);
        }
      } catch (error) {
        throw classifyTransportError(error, label);
      }
      return Buffer.concat(chunks);
    },

    async setCommitStatus(project, sha, request) {
      assertSha(sha, true);
      // https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
      await commits.editStatus(project, sha, request.state, {
        name: request.name,
        ...(request.ref === undefined ? {} : { ref: request.ref }),
        ...(request.targetUrl === undefined ? {} : { targetUrl: request.targetUrl }),
        ...(request.description === undefined ? {} : { description: request.description }),
      });
    },

    async createDeployment(project, request) {
      assertSha(request.sha, true);
      // https://docs.gitlab.com/api/deployments/#create-a-deployment: every key is required.
      const created = await deployments.create(
        project,
        request.environment,
        request.sha,
        request.ref,
        request.tag ?? false,
        { status: request.status },
      );
      return toDeployment(created as unknown as Raw);
    },

    async updateDeployment(project, deploymentId, status) {
      if (!Number.isInteger(deploymentId) || deploymentId <= 0) {
        throw new GitlabClientError(
          'INVALID_ARGUMENT',
          `deployment id must be a positive integer, got ${deploymentId}`,
        );
      }
      // https://docs.gitlab.com/api/deployments/#update-a-deployment
      return toDeployment((await deployments.edit(project, deploymentId, status)) as unknown as Raw);
    },

    close: () => dispatcher.close(),
  };
  // Nothing about the client serialises its token.
  Object.defineProperty(client, 'toJSON', { value: () => ({ apiUrl, tokenKind, token: '[REDACTED]' }) });
  return client;
}
