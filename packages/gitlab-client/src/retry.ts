/** Bounded exponential backoff with full jitter. `attempts` counts the first try. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 60_000 };

/** The clock and dice of retries, injectable for tests. */
export interface RetryEnv {
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
  now(): number;
}

export const realRetryEnv: RetryEnv = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

/**
 * Delay before attempt `attempt + 1` after failed attempt `attempt` (1-based): full jitter over
 * min(maxDelayMs, baseDelayMs * 2^(attempt-1)); a server's Retry-After wins when present. Returns
 * null when Retry-After asks for longer than maxDelayMs (waiting that long is not "bounded").
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs?: number,
): number | null {
  if (retryAfterMs !== undefined) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : null;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * GitLab's application rate limits count requests per window of one minute: the repository archive
 * limit is `project_repositories_archive: { threshold: 5, interval: 1.minute }` per user and project
 * (lib/gitlab/application_rate_limiter.rb; https://docs.gitlab.com/api/repositories/#get-file-archive),
 * and its 429 carries no Retry-After (`render_api_error!` in lib/api/repositories.rb). Retrying within
 * seconds only spends attempts inside the same window.
 */
export const RATE_LIMIT_WINDOW_MS = 60_000;
const WINDOW_JITTER_MS = 5_000;

/**
 * The wait after a 429 without Retry-After: one whole window from now, whether GitLab's windows are
 * aligned to the clock or open with their first request, plus jitter so that hosts sharing a token
 * do not all come back at the same instant.
 */
export function rateLimitWindowDelay(random: () => number): number {
  return RATE_LIMIT_WINDOW_MS + Math.floor(random() * WINDOW_JITTER_MS);
}

/** Whether and how to retry one failure. */
export interface RetryVerdict {
  transient: boolean;
  retryAfterMs?: number | undefined;
  /** A 429: without Retry-After, wait for GitLab's next rate-limit window (bounded by `attempts`). */
  rateLimited?: boolean;
}

/** Runs `fn` until it succeeds, fails with a non-transient error, or the attempts are spent. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  env: RetryEnv,
  isTransient: (error: unknown) => RetryVerdict,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      const verdict = isTransient(error);
      if (!verdict.transient || attempt >= policy.attempts) throw error;
      const delay =
        verdict.rateLimited && verdict.retryAfterMs === undefined
          ? rateLimitWindowDelay(env.random)
          : retryDelay(attempt, policy, env.random, verdict.retryAfterMs);
      if (delay === null) throw error;
      await env.sleep(delay);
    }
  }
}
