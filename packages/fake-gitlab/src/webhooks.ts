import http from 'node:http';
import https from 'node:https';

/**
 * Webhook requests as GitLab sends them: the event name in `X-Gitlab-Event`, the secret token in
 * `X-Gitlab-Token`, a JSON body shaped as documented in
 * https://docs.gitlab.com/user/project/integrations/webhook_events/ (push events: `before`, `after`,
 * `ref`, `checkout_sha`, `project.default_branch`; a deleted branch has `after` all zeros and
 * `checkout_sha: null`; tag events are `Tag Push Hook` with `refs/tags/...`; merge request events
 * carry `object_attributes` with `action` open/update/merge/close...). Only the fields a receiver
 * may read are filled; the rest of GitLab's payload is left out.
 */
export interface WebhookRequest {
  readonly event: 'Push Hook' | 'Tag Push Hook' | 'Merge Request Hook' | 'Pipeline Hook' | (string & {});
  readonly body: Record<string, unknown>;
}

/** The project a hook is about (a FakeGitlab gives its own: `projectId`, `project`, `url`). */
export interface HookProject {
  readonly id: number;
  readonly pathWithNamespace: string;
  readonly defaultBranch: string;
  readonly webUrl: string;
}

export const ZERO_SHA = '0'.repeat(40);

const user = { user_id: 1, user_name: 'Stow Bot', user_username: 'stow-bot', user_email: '[REDACTED]' };

function projectJson(project: HookProject) {
  const name = project.pathWithNamespace.split('/').pop() ?? project.pathWithNamespace;
  return {
    id: project.id,
    name,
    web_url: project.webUrl,
    path_with_namespace: project.pathWithNamespace,
    default_branch: project.defaultBranch,
    git_http_url: `${project.webUrl}.git`,
  };
}

function pushBody(
  kind: 'push' | 'tag_push',
  project: HookProject,
  ref: string,
  before: string,
  after: string,
): Record<string, unknown> {
  const deleted = after === ZERO_SHA;
  return {
    object_kind: kind,
    event_name: kind,
    before,
    after,
    ref,
    ref_protected: false,
    checkout_sha: deleted ? null : after,
    ...user,
    project_id: project.id,
    project: projectJson(project),
    commits: deleted ? [] : [{ id: after, message: 'commit', title: 'commit' }],
    total_commits_count: deleted ? 0 : 1,
  };
}

/** A push of `after` to `branch` (created when `before` is all zeros). */
export function pushHook(
  project: HookProject,
  options: { branch: string; after: string; before?: string },
): WebhookRequest {
  return {
    event: 'Push Hook',
    body: pushBody(
      'push',
      project,
      `refs/heads/${options.branch}`,
      options.before ?? ZERO_SHA,
      options.after,
    ),
  };
}

/** The deletion of `branch`: a push event whose `after` is all zeros. */
export function branchDeletionHook(
  project: HookProject,
  options: { branch: string; before: string },
): WebhookRequest {
  return {
    event: 'Push Hook',
    body: pushBody('push', project, `refs/heads/${options.branch}`, options.before, ZERO_SHA),
  };
}

/** A new tag pointing at `sha`. */
export function tagPushHook(project: HookProject, options: { tag: string; sha: string }): WebhookRequest {
  return {
    event: 'Tag Push Hook',
    body: pushBody('tag_push', project, `refs/tags/${options.tag}`, ZERO_SHA, options.sha),
  };
}

/** A merge request opened, updated, merged or closed. */
export function mergeRequestHook(
  project: HookProject,
  options: {
    iid: number;
    sourceBranch: string;
    targetBranch?: string;
    action: 'open' | 'update' | 'merge' | 'close' | 'reopen';
    lastCommit: string;
    mergeCommit?: string;
  },
): WebhookRequest {
  const state = { merge: 'merged', close: 'closed' }[options.action as 'merge' | 'close'] ?? 'opened';
  return {
    event: 'Merge Request Hook',
    body: {
      object_kind: 'merge_request',
      event_type: 'merge_request',
      user: { id: user.user_id, name: user.user_name, username: user.user_username },
      project: projectJson(project),
      object_attributes: {
        iid: options.iid,
        source_branch: options.sourceBranch,
        target_branch: options.targetBranch ?? project.defaultBranch,
        state,
        action: options.action,
        last_commit: { id: options.lastCommit },
        merge_commit_sha: options.mergeCommit ?? null,
      },
    },
  };
}

/**
 * POSTs a hook to `url` as GitLab does (JSON, `X-Gitlab-Event`, `X-Gitlab-Token` when given; `ca`
 * to trust an HTTPS receiver's certificate). Resolves with the status and body it answered.
 */
export function sendWebhook(
  url: string,
  hook: WebhookRequest,
  options: { token?: string; ca?: string | Buffer; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const body = JSON.stringify(hook.body);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Gitlab-Event': hook.event,
    'User-Agent': 'GitLab/17.0.0',
  };
  if (options.token !== undefined) headers['X-Gitlab-Token'] = options.token;
  const request = target.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers,
        agent: false,
        timeout: options.timeoutMs ?? 10_000, // GitLab.com gives a hook 10 s
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`webhook to ${target.origin} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
