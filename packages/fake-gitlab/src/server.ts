import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, authorize, checkJobTokenScope } from './auth.js';
import { buildCommit, type CommitAction } from './commit-actions.js';
import { FakeGitlabError } from './errors.js';
import { initBareRepo } from './git.js';
import { ApiError, readBody, sendJson } from './http-util.js';
import { branchSha, readTree, updateBranch } from './repo.js';
import { matchRoute } from './routes.js';
import { mergeMergeRequest } from './routes-merge-requests.js';
import {
  type ActiveFault,
  type CommitStatusRecord,
  type DeploymentRecord,
  type EnvironmentRecord,
  FakeState,
  type MergeRequestRecord,
} from './state.js';
import type {
  ArchiveLimit,
  FakeGitlabOptions,
  FakeUser,
  FaultSpec,
  RecordedRequest,
  SeedFiles,
} from './types.js';
import type { HookProject } from './webhooks.js';

export interface FakeGitlab {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT/api/v4 (what `gitlabBase` / CI_API_V4_URL hold). */
  readonly apiUrl: string;
  readonly projectId: number;
  readonly project: string;
  /** Path of the backing bare repository. */
  readonly repo: string;
  /** Every request answered so far (never the token). */
  readonly requests: RecordedRequest[];
  readonly mergeRequests: readonly MergeRequestRecord[];
  /** Commit statuses posted so far, oldest first. */
  readonly commitStatuses: readonly CommitStatusRecord[];
  /** Deployments created through the API, oldest first, and their environments. */
  readonly deployments: readonly DeploymentRecord[];
  readonly environments: readonly EnvironmentRecord[];
  /** Commits files (null deletes) on top of `branch` (or `from`) and moves the branch; returns the sha. */
  commitFiles(
    branch: string,
    files: SeedFiles,
    options?: { message?: string; from?: string },
  ): Promise<string>;
  branchHead(branch: string): Promise<string | null>;
  /** Merges an open MR with a merge commit, deleting the source branch when asked; returns the merge sha. */
  merge(iid: number, options?: { removeSourceBranch?: boolean }): Promise<string>;
  /**
   * Changes a user as an admin would: block or unblock (`state`), or give or take away access to
   * the project (`member`). Throws for an unknown username.
   */
  updateUser(username: string, change: Pick<FakeUser, 'state' | 'member'>): void;
  /** Replaces the job-token allowlist (projects, beside this one, whose CI_JOB_TOKEN may call it). */
  setJobTokenAllowlist(projects: readonly string[]): void;
  /** The project as a webhook payload describes it (for the builders in webhooks.ts). */
  readonly hookProject: HookProject;
  /** Switches GitLab.com's archive limit on (429 without Retry-After past it) or off (null). */
  setArchiveLimit(limit: ArchiveLimit | null): void;
  /** The next `times` (default 1) requests matching misbehave as specified. */
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_USERS: FakeUser[] = [{ id: 1, username: 'stow-bot', name: 'Stow Bot', state: 'active' }];

function takeFault(state: FakeState, method: string, path: string): ActiveFault | null {
  const fault = state.faults.find(
    (f) =>
      f.remaining > 0 &&
      (!f.method || f.method.toUpperCase() === method) &&
      (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path))),
  );
  if (!fault) return null;
  fault.remaining -= 1;
  return fault;
}

/**
 * Ends the body cleanly after `limit` bytes: everything is collected and the first `limit` bytes
 * are sent with a proper end, so the client sees a complete 200 that is simply short. Workhorse
 * writes the 200 before streaming Gitaly's archive and cannot take it back when Gitaly fails
 * (workhorse/internal/git/archive.go in gitlab-org/gitlab).
 */
function endAfter(res: ServerResponse, limit: number): void {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  };
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk);
    const callback = [chunk, ...rest].find((r) => typeof r === 'function');
    return end(Buffer.concat(chunks).subarray(0, limit), ...(callback ? [callback] : []));
  }) as typeof res.end;
}

/** Cuts the connection once `limit` body bytes were written. */
function truncateAfter(res: ServerResponse, limit: number): void {
  let written = 0;
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const cut = (chunk: unknown): boolean => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    const room = limit - written;
    if (room <= 0) {
      res.socket?.destroy();
      return false;
    }
    written += Math.min(room, buf.length);
    if (buf.length >= room) {
      write(buf.subarray(0, room));
      // Let the partial chunk leave before the socket dies.
      setTimeout(() => res.socket?.destroy(), 20);
      return false;
    }
    return write(buf);
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk === undefined || chunk === null) return write(chunk, ...rest);
    return cut(chunk);
  }) as typeof res.write;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && typeof chunk !== 'function') {
      if (!cut(chunk)) return res;
      return end(...rest.filter((r) => typeof r === 'function'));
    }
    return end(chunk, ...rest);
  }) as typeof res.end;
}

async function handle(state: FakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  const auth = authenticate(state, req);
  const prefix = '/api/v4/';
  const rawPath = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : null;
  const record: RecordedRequest = {
    method,
    path: rawPath ?? url.pathname,
    query: Object.fromEntries(url.searchParams),
    auth: auth.kind === 'anonymous' ? null : auth.via,
    secFetchMode: req.headers['sec-fetch-mode'] as string | undefined,
    status: 0,
  };
  state.requests.push(record);
  res.on('finish', () => {
    record.status = res.statusCode;
  });

  const fault = rawPath === null ? null : takeFault(state, method, rawPath);
  if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault?.reset) {
    req.socket.destroy();
    return;
  }
  if (fault?.status) {
    const headers: Record<string, string> = {};
    if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
    const body =
      fault.body ?? (fault.status === 429 ? 'Retry later\n' : { message: `${fault.status} Fault Injected` });
    if (typeof body === 'string') {
      res.writeHead(fault.status, { 'Content-Type': 'text/plain', ...headers });
      res.end(body);
    } else sendJson(res, fault.status, body, headers);
    return;
  }
  if (fault?.truncateAfterBytes !== undefined) truncateAfter(res, fault.truncateAfterBytes);
  if (fault?.endAfterBytes !== undefined) endAfter(res, fault.endAfterBytes);

  try {
    if (rawPath === null) throw new ApiError(404, { error: '404 Not Found' });
    const match = matchRoute(method, rawPath.split('/'));
    if (!match) throw new ApiError(404, { error: '404 Not Found' });
    if ('methodMismatch' in match) throw new ApiError(405, { error: '405 Not Allowed' });
    const { route, params } = match;
    const denied = authorize(route, auth);
    if (denied) throw denied;
    if (route.project) {
      const id = params.id ?? '';
      const known =
        id === String(state.projectId) || id.toLowerCase() === state.pathWithNamespace.toLowerCase();
      if (!known) throw new ApiError(404, { message: '404 Project Not Found' });
      const outOfScope = checkJobTokenScope(state, auth);
      if (outOfScope) throw outOfScope;
    }
    const username = auth.kind === 'token' ? auth.token.username : undefined;
    const user = state.users.find((u) => u.username === username) ?? state.users[0] ?? DEFAULT_USERS[0];
    let body: Promise<Record<string, unknown>> | undefined;
    await route.handler({
      state,
      req,
      res,
      url,
      params,
      user: user as FakeUser,
      body: () => {
        body ??= readBody(req);
        return body;
      },
    });
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ApiError) sendJson(res, error.status, error.body, error.headers);
    else sendJson(res, 500, { message: '500 Internal Server Error' });
  }
}

function toActions(files: SeedFiles, tree: Set<string>): CommitAction[] {
  return Object.entries(files).map(([file_path, spec]): CommitAction => {
    if (spec === null) return { action: 'delete', file_path };
    const { content, executable } =
      typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec, executable: false } : spec;
    return {
      action: tree.has(file_path) ? 'update' : 'create',
      file_path,
      content: Buffer.from(content).toString('base64'),
      encoding: 'base64',
      execute_filemode: executable === true,
    };
  });
}

/** Starts a fake GitLab API v4 on 127.0.0.1 (port 0 by default) for one project backed by `options.repo`. */
export async function createFakeGitlab(options: FakeGitlabOptions): Promise<FakeGitlab> {
  const project = options.project ?? 'ops/deployments';
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(project)) {
    throw new FakeGitlabError('BAD_CONFIG', `project must look like group/name, got "${project}"`);
  }
  if (!existsSync(options.repo)) await initBareRepo(options.repo, options.defaultBranch ?? 'main');
  const state = new FakeState(
    options.repo,
    options.projectId ?? 1,
    project,
    options.tokens ?? [],
    // Copies: updateUser changes this fake's users, never the caller's objects.
    (options.users ?? DEFAULT_USERS).map((u) => ({ ...u })),
    options.gzipLevel ?? 6,
    options.archiveCacheDir,
    options.jobTokenAllowlist,
  );
  const setArchiveLimit = (limit: ArchiveLimit | null) => {
    if (limit && !(Number.isInteger(limit.perMinute) && limit.perMinute >= 1)) {
      throw new FakeGitlabError(
        'BAD_CONFIG',
        `archiveLimit.perMinute must be a positive integer, got ${limit.perMinute}`,
      );
    }
    state.archiveLimit = limit ? { perMinute: limit.perMinute, windowMs: limit.windowMs ?? 60_000 } : null;
  };
  setArchiveLimit(options.archiveLimit ?? null);
  const server: Server = createServer((req, res) => {
    handle(state, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  state.baseUrl = url;

  return {
    url,
    apiUrl: `${url}/api/v4`,
    projectId: state.projectId,
    project,
    repo: options.repo,
    requests: state.requests,
    mergeRequests: state.mergeRequests,
    commitStatuses: state.commitStatuses,
    deployments: state.deployments,
    environments: state.environments,
    async commitFiles(branch, files, opts = {}) {
      return state.exclusive(async () => {
        const current = await branchSha(state.gitDir, branch);
        const start = opts.from ? await branchSha(state.gitDir, opts.from) : current;
        if (opts.from && !start) throw new FakeGitlabError('BAD_CONFIG', `no branch ${opts.from}`);
        const tree = new Set((await readTree(state.gitDir, start)).keys());
        const who = { name: 'Seed', email: 'seed@example.com' };
        const sha = await buildCommit(
          state.gitDir,
          start,
          toActions(files, tree),
          opts.message ?? `Update ${branch}`,
          who,
        );
        await updateBranch(state.gitDir, branch, sha);
        return sha;
      });
    },
    hookProject: {
      id: state.projectId,
      pathWithNamespace: project,
      defaultBranch: options.defaultBranch ?? 'main',
      webUrl: state.webUrl,
    },
    setArchiveLimit,
    branchHead: (branch) => branchSha(state.gitDir, branch),
    async merge(iid, opts = {}) {
      const mr = await mergeMergeRequest(state, iid, opts);
      return mr.mergeCommitSha ?? '';
    },
    updateUser(username, change) {
      const user = state.users.find((u) => u.username === username);
      if (!user) throw new FakeGitlabError('BAD_CONFIG', `no user ${username}`);
      Object.assign(user, change);
    },
    setJobTokenAllowlist(projects) {
      state.jobTokenAllowlist.clear();
      for (const p of projects) state.jobTokenAllowlist.add(p.toLowerCase());
    },
    injectFault(fault) {
      state.faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      state.faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
