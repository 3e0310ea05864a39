import type { JobRunRecord } from './jobs.js';
import type { PlanSummary } from './plan-summary.js';

/** The named step a reconcile failed in, as Flux names its reasons. */
export type ReconcileStep =
  | 'lock'
  | 'recover'
  | 'resolve'
  | 'fetch'
  | 'decrypt'
  | 'hash'
  | 'manifest'
  | 'observe'
  | 'plan'
  /** Pulling the target's images, before anything changes (a failure is `failed`, not a rollback). */
  | 'pull'
  | 'snapshot'
  | 'apply'
  | 'verify'
  /** A one-shot job (beforeApply or afterVerify) did not exit 0 in time. */
  | 'job'
  /** Bookkeeping after verification: drop running-config.previous, release the quarantine, GC snapshots. */
  | 'confirm'
  /** Reading or writing the quarantine of failed deployment hashes. */
  | 'quarantine'
  /** Bringing the running deployment back (drift repair) while the desired one is quarantined. */
  | 'repair'
  /** Recording the reconcile in the durable history (`.stow/history/`): a warning only, never an outcome. */
  | 'history';

/**
 * Bookkeeping that failed after the deploy was decided (a quarantine write, confirm's cleanup, GC,
 * the history): it never changes the outcome, it is reported beside it.
 */
export interface OutcomeWarning {
  readonly step: ReconcileStep;
  readonly reason: string;
}

/** What one reconcile ended in: data, not exceptions, so every caller decides the same way. */
export type ReconcileOutcome =
  /** The host runs the desired deployment, verified (changed: false when everything was noop). */
  | {
      readonly kind: 'converged';
      readonly deploymentHash: string;
      readonly gitRevision: string;
      readonly changed: boolean;
      readonly plan: PlanSummary;
      /** The jobs this reconcile ran (absent: none). */
      readonly jobs?: readonly JobRunRecord[];
      readonly warnings?: readonly OutcomeWarning[];
    }
  /** `--dry-run`: what would happen; nothing changed. */
  | { readonly kind: 'planned'; readonly plan: PlanSummary }
  /**
   * The desired deployment failed; the host is back on what it ran before, verified. A failed
   * beforeApply job (step 'job') is one too: nothing was stopped, the old containers kept their ids,
   * running-config is back on the previous snapshot and the hash is quarantined.
   */
  | {
      readonly kind: 'rolledBack';
      readonly failedDeploymentHash: string;
      readonly gitRevision: string;
      readonly step: ReconcileStep;
      readonly reason: string;
      /** undefined: this was the first deploy, and what it created was removed. */
      readonly restoredDeploymentHash: string | undefined;
      readonly plan: PlanSummary;
      readonly jobs?: readonly JobRunRecord[];
      readonly warnings?: readonly OutcomeWarning[];
    }
  /** Nothing on the host was changed. `terminal`: retrying the same input cannot help (bad input). */
  | {
      readonly kind: 'failed';
      readonly step: ReconcileStep;
      readonly terminal: boolean;
      readonly reason: string;
      readonly warnings?: readonly OutcomeWarning[];
    }
  /**
   * An automatic reconcile skipped a deployment hash that failed before (a trigger or `stow reconcile`
   * retries it) and kept the running deployment, repairing drift when there was any.
   */
  | {
      readonly kind: 'quarantined';
      readonly deploymentHash: string;
      readonly gitRevision: string;
      readonly reason: string;
      /** The running deployment was planned back (a stopped or removed container replaced) and verified. */
      readonly repaired: boolean;
      readonly warnings?: readonly OutcomeWarning[];
    }
  /**
   * The desired deployment is quarantined and the running one could not be repaired after the repair
   * began changing Docker: the host needs a person (exit 3). A repair that fails before changing
   * anything is `failed` at step `repair`.
   */
  | {
      readonly kind: 'repairFailed';
      readonly quarantinedDeploymentHash: string;
      readonly runningDeploymentHash: string;
      readonly step: ReconcileStep;
      readonly reason: string;
      readonly warnings?: readonly OutcomeWarning[];
    }
  /** The rollback failed too, or the host was changed and could not be brought back: the host needs a person. */
  | {
      readonly kind: 'rollbackFailed';
      readonly failedDeploymentHash: string | undefined;
      readonly step: ReconcileStep;
      readonly reason: string;
      readonly jobs?: readonly JobRunRecord[];
      readonly warnings?: readonly OutcomeWarning[];
    };

/** Exit codes of SPEC section 11 for each outcome. */
export function exitCodeOf(outcome: ReconcileOutcome): 0 | 1 | 2 | 3 {
  switch (outcome.kind) {
    case 'converged':
    case 'planned':
    case 'quarantined':
      return 0;
    case 'rolledBack':
      return 1;
    case 'failed':
      return 2;
    case 'rollbackFailed':
    case 'repairFailed':
      return 3;
  }
}
