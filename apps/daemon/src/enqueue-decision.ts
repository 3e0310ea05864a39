import type { ReconcileTrigger } from '@stow/reconciler';

/** What the queue holds when a reconcile is asked for. */
export interface QueueView {
  /** The reconcile in progress: why it runs and the commit it targets once resolved. */
  readonly current?: { readonly trigger: ReconcileTrigger; readonly targetGitRevision?: string } | undefined;
  readonly pending: boolean;
  /** The last finished run, when it converged: its target and how long ago it finished. */
  readonly lastConverged?: { readonly targetGitRevision: string; readonly finishedAgoMs: number } | undefined;
}

/** A trigger for the head a run converged to this recently is part of the same burst. */
export const BURST_WINDOW_MS = 10_000;

export interface EnqueueRequest {
  readonly trigger: ReconcileTrigger;
  /** The default branch head as seen by this request, when it could be read. */
  readonly head?: string | undefined;
}

/**
 * - `start`: nothing runs; run now.
 * - `queue`: something runs that may not reach this request's head: one reconcile after it.
 * - `coalesce`: already covered: by the pending reconcile (at most one waits); by the one in
 *   progress when it targets the same head and was not a poll (a poll skips quarantined hashes, a
 *   trigger retries them); or, when idle, by a run that converged to this very head less than
 *   BURST_WINDOW_MS ago (the tail of a burst of webhooks). A poll never waits behind anything: the
 *   next poll comes soon enough.
 */
export type EnqueueDecision = 'start' | 'queue' | 'coalesce';

export function decideEnqueue(queue: QueueView, request: EnqueueRequest): EnqueueDecision {
  const { current, lastConverged } = queue;
  if (!current) {
    if (queue.pending) return 'coalesce';
    const justConverged =
      request.trigger !== 'poll' &&
      lastConverged !== undefined &&
      lastConverged.targetGitRevision === request.head &&
      lastConverged.finishedAgoMs < BURST_WINDOW_MS;
    return justConverged ? 'coalesce' : 'start';
  }
  if (queue.pending || request.trigger === 'poll') return 'coalesce';
  const sameHead = request.head !== undefined && current.targetGitRevision === request.head;
  // Here the request is not a poll: it retries what a poll in progress may skip as quarantined.
  const retriesQuarantine = current.trigger === 'poll';
  return sameHead && !retriesQuarantine ? 'coalesce' : 'queue';
}

const PRIORITY: Record<ReconcileTrigger, number> = { poll: 0, start: 1, manual: 2, trigger: 3 };

/** Two coalesced requests run as the stronger one: a trigger retries a quarantined hash, a poll does not. */
export function strongerTrigger(a: ReconcileTrigger, b: ReconcileTrigger): ReconcileTrigger {
  return PRIORITY[b] > PRIORITY[a] ? b : a;
}
