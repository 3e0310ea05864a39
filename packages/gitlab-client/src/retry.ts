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

/** Runs `fn` until it succeeds, fails with a non-transient error, or the attempts are spent. */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  env: RetryEnv,
  isTransient: (error: unknown) => { transient: boolean; retryAfterMs?: number | undefined },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      const verdict = isTransient(error);
      if (!verdict.transient || attempt >= policy.attempts) throw error;
      const delay = retryDelay(attempt, policy, env.random, verdict.retryAfterMs);
      if (delay === null) throw error;
      await env.sleep(delay);
    }
  }
}
