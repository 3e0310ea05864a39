import type { IncomingMessage } from 'node:http';
import { ApiError } from './http-util.js';
import type { Route } from './route-types.js';
import type { FakeState } from './state.js';
import type { FakeToken } from './types.js';

export type Auth =
  | { kind: 'anonymous' }
  | { kind: 'token'; token: FakeToken; via: 'private-token' | 'bearer' | 'job-token' }
  | { kind: 'invalid'; via: 'private-token' | 'bearer' | 'job-token'; revoked: boolean };

/** Reads the credential of a request: PRIVATE-TOKEN, JOB-TOKEN or `Authorization: Bearer`. */
export function authenticate(state: FakeState, req: IncomingMessage): Auth {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  let via: 'private-token' | 'bearer' | 'job-token';
  let value: string | undefined;
  if (header('private-token') !== undefined) {
    via = 'private-token';
    value = header('private-token');
  } else if (header('job-token') !== undefined) {
    via = 'job-token';
    value = header('job-token');
  } else if (/^bearer /i.test(header('authorization') ?? '')) {
    via = 'bearer';
    value = (header('authorization') ?? '').slice(7).trim();
  } else {
    return { kind: 'anonymous' };
  }
  const token = state.tokens.find((t) => t.token === value);
  const kindMatches = token && (via === 'job-token') === ((token.kind ?? 'access') === 'job');
  if (!token || !kindMatches || token.revoked)
    return { kind: 'invalid', via, revoked: token?.revoked === true };
  return { kind: 'token', token, via };
}

/** GitLab's answer to a credential that may not call `route`, or null when it may. */
export function authorize(route: Route, auth: Auth): ApiError | null {
  if (auth.kind === 'invalid') {
    return auth.revoked
      ? new ApiError(401, {
          error: 'invalid_token',
          error_description: 'Token was revoked. You have to re-authenticate.',
        })
      : new ApiError(401, { message: '401 Unauthorized' });
  }
  if (auth.kind === 'anonymous') {
    // Private project: invisible to anonymous callers. /users is public.
    if (route.project) return new ApiError(404, { message: '404 Project Not Found' });
    return route.access === 'write' ? new ApiError(401, { message: '401 Unauthorized' }) : null;
  }
  const { token } = auth;
  if ((token.kind ?? 'access') === 'job') {
    return route.jobToken && route.access === 'read'
      ? null
      : new ApiError(401, { message: '401 Unauthorized' });
  }
  const scopes = token.scopes ?? ['api'];
  const ok =
    route.access === 'read' ? scopes.includes('api') || scopes.includes('read_api') : scopes.includes('api');
  if (ok) return null;
  return new ApiError(403, {
    error: 'insufficient_scope',
    error_description: 'The request requires higher privileges than provided by the access token.',
    scope: route.access === 'read' ? 'read_api api' : 'api',
  });
}

const lastSegment = (path: string) => path.split('/').pop() ?? path;

/**
 * A job token from a project that is not on this project's job-token allowlist cannot read it.
 * GitLab: "By default, the job token's group or project must be added to the target project's
 * allowlist" (https://docs.gitlab.com/ci/jobs/ci_job_token/#control-job-token-access-to-your-project).
 * The answer is `find_project!` -> `handle_job_token_failure!` in lib/api/helpers.rb
 * (https://gitlab.com/gitlab-org/gitlab/-/blob/master/lib/api/helpers.rb): 403 "Authentication by
 * CI/CD job token not allowed from <source path> to <target path>." Releases before that helper
 * answered 404 Project Not Found, as to any caller who cannot read a private project.
 */
export function checkJobTokenScope(state: FakeState, auth: Auth): ApiError | null {
  if (auth.kind !== 'token' || (auth.token.kind ?? 'access') !== 'job') return null;
  const source = auth.token.project ?? state.pathWithNamespace;
  if (state.jobTokenAllowed(source)) return null;
  return new ApiError(403, {
    message: `403 Forbidden - Authentication by CI/CD job token not allowed from ${lastSegment(source)} to ${state.projectPath}.`,
  });
}
