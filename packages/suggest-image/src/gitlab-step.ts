import { GitlabClientError } from '@stow/gitlab-client';
import { SuggestImageError } from './errors.js';

/** A GitlabClientError becomes GITLAB_FAILED naming the step; anything else is returned as it is. */
export function stepError(step: string, error: unknown, note = ''): unknown {
  if (!(error instanceof GitlabClientError)) return error;
  return new SuggestImageError('GITLAB_FAILED', `${step} failed: ${error.message}${note}`, {
    step,
    cause: error,
  });
}

/** Runs one GitLab step; its GitlabClientError becomes GITLAB_FAILED naming the step. */
export async function gitlabStep<T>(step: string, fn: () => Promise<T>, note = ''): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw stepError(step, error, note);
  }
}
