import { SuggestImageError } from './errors.js';

export interface GitlabAuth {
  /** CI_API_V4_URL, e.g. https://git.example.com/api/v4 */
  readonly apiUrl: string;
  readonly token: string;
}

/**
 * Reads `CI_API_V4_URL` and the token from the environment. `GITLAB_ACCESS_TOKEN` (a project,
 * group or personal access token with scope `api`) is required: GitLab refuses CI_JOB_TOKEN for
 * reading files through the API, committing and opening merge requests, so a job that has only
 * CI_JOB_TOKEN fails here, before any request, with a message saying what to set. The token is
 * never part of a message.
 */
export function gitlabAuthFromEnv(env: Readonly<Record<string, string | undefined>>): GitlabAuth {
  const apiUrl = env.CI_API_V4_URL?.trim();
  if (!apiUrl) {
    throw new SuggestImageError(
      'BAD_INPUT',
      'CI_API_V4_URL is not set (the GitLab API URL, e.g. https://git.example.com/api/v4; GitLab CI sets it)',
    );
  }
  const token = env.GITLAB_ACCESS_TOKEN?.trim();
  if (token) return { apiUrl, token };
  if (env.CI_JOB_TOKEN?.trim()) {
    throw new SuggestImageError(
      'TOKEN',
      'only CI_JOB_TOKEN is set, and GitLab refuses job tokens for commits and merge requests: set GITLAB_ACCESS_TOKEN to a project or group access token with the api scope (Developer role or more on the deployment project)',
    );
  }
  throw new SuggestImageError(
    'TOKEN',
    'GITLAB_ACCESS_TOKEN is not set: a project or group access token with the api scope on the deployment project',
  );
}
