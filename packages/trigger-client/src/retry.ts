// The backoff math is gitlab-client's (one implementation of full jitter and Retry-After for both
// clients); the trigger client only has its own policy and its own idea of a retryable answer.
import type { RetryPolicy } from '@stow/gitlab-client';

export type { RetryEnv, RetryPolicy } from '@stow/gitlab-client';
export { parseRetryAfter, realRetryEnv, retryDelay as backoffDelay } from '@stow/gitlab-client';

/** Bounded: six attempts within about a minute at most, spread by full jitter across a fleet. */
export const DEFAULT_TRIGGER_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** Statuses worth another attempt: 429 and every 5xx. Every other 4xx (400, 401, 404, 422...) is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
