import { GitlabClientError } from './errors.js';
import { RATE_LIMIT_WINDOW_MS, type RetryEnv } from './retry.js';

/**
 * Paces one kind of request to at most `perMinute` in any 60 s: a request that would be one too many
 * waits until the oldest of the last `perMinute` leaves the window. GitLab.com answers a sixth archive
 * download in a minute with 429 (5 per user and project); pacing on our side means a commit waits
 * for its turn instead of failing. A sliding window never exceeds GitLab's fixed one, however the
 * two are aligned.
 */
export interface Pacer {
  /** Resolves when one more request may be sent now (and counts it). */
  turn(): Promise<void>;
}

export function createPacer(perMinute: number, env: Pick<RetryEnv, 'sleep' | 'now'>): Pacer {
  if (!Number.isInteger(perMinute) || perMinute < 1) {
    throw new GitlabClientError(
      'INVALID_ARGUMENT',
      `archive requests per minute must be a positive integer, got ${perMinute}`,
    );
  }
  const sent: number[] = [];
  // Turns are handed out one at a time, in order of asking.
  let queue: Promise<void> = Promise.resolve();
  const next = async () => {
    for (;;) {
      const now = env.now();
      while (sent.length > 0 && (sent[0] ?? 0) <= now - RATE_LIMIT_WINDOW_MS) sent.shift();
      if (sent.length < perMinute) {
        sent.push(now);
        return;
      }
      await env.sleep((sent[0] ?? now) + RATE_LIMIT_WINDOW_MS - now);
    }
  };
  return {
    turn() {
      const mine = queue.then(next);
      queue = mine.catch(() => undefined);
      return mine;
    },
  };
}
