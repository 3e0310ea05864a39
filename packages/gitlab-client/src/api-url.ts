import { GitlabClientError } from './errors.js';

// Its own module (export `@stow/gitlab-client/api-url`): the daemon's status page links commits
// with it, and must not load gitbeaker for that.

/** `https://git.example.com/api/v4/` -> `https://git.example.com` (gitbeaker appends /api/v4 itself). */
export function hostFromApiUrl(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new GitlabClientError('INVALID_ARGUMENT', `GitLab API URL "${apiUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GitlabClientError('INVALID_ARGUMENT', `GitLab API URL "${apiUrl}" must be http(s)`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/api/v4')) {
    throw new GitlabClientError('INVALID_ARGUMENT', `GitLab API URL "${apiUrl}" must end with /api/v4`);
  }
  return `${url.origin}${path.slice(0, -'/api/v4'.length)}`;
}
