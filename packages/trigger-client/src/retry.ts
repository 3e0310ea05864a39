/** Bounded exponential backoff with full jitter. `attempts` counts the first try. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_TRIGGER_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 30_000 };

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
 * Delay after failed attempt `attempt` (1-based): full jitter, `random() * min(maxDelayMs,
 * baseDelayMs * 2^(attempt-1))`, so a fleet of pipelines spreads out instead of retrying in step.
 * A server's Retry-After is honoured exactly; when it asks for more than maxDelayMs the retries end
 * (null): waiting longer than the bound would not be bounded.
 */
export function backoffDelay(
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

/** Statuses worth another attempt: 429 and every 5xx. Every other 4xx (400, 401, 404, 422...) is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
