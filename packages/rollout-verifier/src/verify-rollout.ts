import { RolloutVerifierError } from './errors.js';
import type { Evaluation, ExpectedDeployment } from './evaluate.js';
import { evaluate } from './evaluate.js';
import type { Observation } from './observation.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface VerifyProgress {
  readonly elapsedMs: number;
  readonly evaluation: Evaluation;
  /** How long the deployment has been valid without a break; undefined while invalid. */
  readonly stableForMs: number | undefined;
}

export interface VerifyOptions {
  readonly observe: () => Promise<readonly Observation[]>;
  readonly clock?: Clock;
  /** The deployment must stay valid this long without a break; 0: one valid observation suffices. */
  readonly stableMs: number;
  /** ... within this long from the start. */
  readonly timeoutMs: number;
  /** Default 1000. */
  readonly pollMs?: number;
  readonly expected: ExpectedDeployment;
  readonly onProgress?: (progress: VerifyProgress) => void;
}

export type VerifyOutcome =
  | { readonly ok: true; readonly stableSinceMs: number; readonly elapsedMs: number }
  | {
      readonly ok: false;
      /** Last reason per container that was invalid in the last invalid observation. */
      readonly reasons: Readonly<Record<string, string>>;
      /** `webapp: unhealthy; db: restarted 2 times` */
      readonly summary: string;
      readonly elapsedMs: number;
      /** Gave up before timeoutMs: a stable window could no longer fit, or a container can never be valid again. */
      readonly early: boolean;
    };

/**
 * One observation, judged. An engine that cannot be reached (dockerd restarting, a socket that
 * refuses) is an invalid observation, not a failed deployment: every container reads `not observed`
 * and the stable window starts again, until the engine answers or the timeout ends verification.
 */
async function observeAndEvaluate(
  options: VerifyOptions,
  firstIds: Record<string, string>,
): Promise<Evaluation> {
  let observations: readonly Observation[];
  try {
    observations = await options.observe();
  } catch (error) {
    const reason = `not observed (${error instanceof Error ? error.message : String(error)})`;
    const verdict = { valid: false, reason, terminal: false };
    return {
      valid: false,
      containers: Object.fromEntries(options.expected.containers.map((name) => [name, verdict])),
    };
  }
  const evaluation = evaluate(observations, options.expected, firstIds);
  for (const o of observations) if (o.exists && firstIds[o.name] === undefined) firstIds[o.name] = o.id;
  return evaluation;
}

/**
 * Polls until the whole deployment has been valid for `stableMs` without a break (SPEC section 8); the window
 * must end within `timeoutMs` of the start. Any invalid observation resets the window. Fails at `timeoutMs`, or
 * earlier when (a) while invalid, the next poll plus a full window would end after the timeout, (b) a window that
 * just started can no longer end in time (slow observations), or (c) a container can never become valid again
 * (it restarted or was replaced). The result names the last reason per container. An observation
 * that fails (engine unreachable) counts as invalid.
 */
export async function verifyRollout(options: VerifyOptions): Promise<VerifyOutcome> {
  const { stableMs, timeoutMs } = options;
  const pollMs = options.pollMs ?? 1000;
  const clock = options.clock ?? systemClock;
  if (!(stableMs >= 0) || !(timeoutMs > 0) || !(pollMs > 0) || stableMs > timeoutMs) {
    throw new RolloutVerifierError(
      'INVALID_OPTIONS',
      `verify needs 0 <= stableMs <= timeoutMs and pollMs > 0 (got stableMs ${stableMs}, timeoutMs ${timeoutMs}, pollMs ${pollMs})`,
    );
  }
  const start = clock.now();
  const firstIds: Record<string, string> = {};
  let stableSince: number | undefined;
  let reasons: Record<string, string> = {};

  const failure = (elapsedMs: number, early: boolean, extra?: string): VerifyOutcome => {
    const parts = Object.entries(reasons).map(([name, reason]) => `${name}: ${reason}`);
    if (extra) parts.push(extra);
    return { ok: false, reasons, summary: parts.join('; '), elapsedMs, early };
  };

  for (;;) {
    const evaluation = await observeAndEvaluate(options, firstIds);
    const now = clock.now();
    const elapsed = now - start;

    if (evaluation.valid) {
      stableSince ??= now;
      options.onProgress?.({ elapsedMs: elapsed, evaluation, stableForMs: now - stableSince });
      const windowEnd = stableSince + stableMs;
      if (windowEnd > start + timeoutMs) {
        // Valid, but too late: the window cannot complete within the timeout.
        return failure(
          elapsed,
          elapsed < timeoutMs,
          `valid since ${stableSince - start} ms, too late for a ${stableMs} ms stable window within ${timeoutMs} ms`,
        );
      }
      if (now >= windowEnd) return { ok: true, stableSinceMs: stableSince - start, elapsedMs: elapsed };
      // Wake up exactly when the window completes if that comes before the next poll.
      await clock.sleep(Math.min(pollMs, windowEnd - now));
      continue;
    }

    stableSince = undefined;
    reasons = Object.fromEntries(
      Object.entries(evaluation.containers)
        .filter(([, verdict]) => !verdict.valid)
        .map(([name, verdict]) => [name, verdict.reason]),
    );
    options.onProgress?.({ elapsedMs: elapsed, evaluation, stableForMs: undefined });
    if (elapsed >= timeoutMs) return failure(elapsed, false);
    const hopeless = Object.values(evaluation.containers).some((v) => v.terminal);
    if (hopeless || elapsed + pollMs + stableMs > timeoutMs) return failure(elapsed, true);
    await clock.sleep(pollMs);
  }
}
