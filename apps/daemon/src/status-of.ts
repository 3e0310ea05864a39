/**
 * The convergence state of a commit on this host (SPEC section 10), plus `pending`: the daemon has
 * not resolved the commit's deployment yet (its resolution runs, or waits for its turn).
 */
export type ConvergenceState =
  | 'running'
  | 'reconciling'
  | 'queued'
  | 'different'
  | 'error'
  | 'pending'
  | 'unknown';

export const CONVERGENCE_STATES: readonly ConvergenceState[] = [
  'running',
  'reconciling',
  'queued',
  'different',
  'error',
  'pending',
  'unknown',
];

/** Everything the state of one commit depends on, as plain data. */
export interface StatusFacts {
  /** The deployment hash the commit describes. */
  readonly expected: string;
  /** The reconcile in progress: its target, and whether it is applying it (it needs a change). */
  readonly inProgress?: { readonly deploymentHash: string; readonly applying: boolean } | undefined;
  /** The target of the pending reconcile, when known. */
  readonly pending?: string | undefined;
  /** What the host runs. */
  readonly running?: string | undefined;
  /** Deployment hashes whose last attempt failed, with the reason. */
  readonly failed: ReadonlyMap<string, string>;
}

export interface CommitStatus {
  readonly state: Exclude<ConvergenceState, 'unknown' | 'pending'>;
  /** Why the last attempt at this deployment failed (state `error`). */
  readonly error?: string;
}

/**
 * reconciling > queued > running > error > different, as SPEC section 10 orders them, with one
 * refinement: a reconcile that targets what the host already runs changes nothing (a poll's drift
 * check), so it does not turn `running` into `reconciling` or `queued` unless it is really applying.
 */
export function statusOf(facts: StatusFacts): CommitStatus {
  const { expected, inProgress, pending, running, failed } = facts;
  const alreadyRunning = running === expected;
  if (inProgress?.deploymentHash === expected && (inProgress.applying || !alreadyRunning))
    return { state: 'reconciling' };
  if (pending === expected && !alreadyRunning) return { state: 'queued' };
  if (alreadyRunning) return { state: 'running' };
  const reason = failed.get(expected);
  if (reason !== undefined) return { state: 'error', error: reason };
  return { state: 'different' };
}
