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
  | 'snapshot'
  | 'apply'
  | 'verify';

/** What one reconcile ended in: data, not exceptions, so every caller decides the same way. */
export type ReconcileOutcome =
  /** The host runs the desired deployment, verified (changed: false when everything was noop). */
  | {
      readonly kind: 'converged';
      readonly deploymentHash: string;
      readonly gitRevision: string;
      readonly changed: boolean;
      readonly plan: PlanSummary;
    }
  /** `--dry-run`: what would happen; nothing changed. */
  | { readonly kind: 'planned'; readonly plan: PlanSummary }
  /** The desired deployment failed; the host is back on what it ran before, verified. */
  | {
      readonly kind: 'rolledBack';
      readonly failedDeploymentHash: string;
      readonly gitRevision: string;
      readonly step: ReconcileStep;
      readonly reason: string;
      /** undefined: this was the first deploy, and what it created was removed. */
      readonly restoredDeploymentHash: string | undefined;
      readonly plan: PlanSummary;
    }
  /** Nothing on the host was changed. `terminal`: retrying the same input cannot help (bad input). */
  | {
      readonly kind: 'failed';
      readonly step: ReconcileStep;
      readonly terminal: boolean;
      readonly reason: string;
    }
  /** The automatic reconcile skipped a deployment hash that failed before (a trigger retries it). */
  | {
      readonly kind: 'quarantined';
      readonly deploymentHash: string;
      readonly gitRevision: string;
      readonly reason: string;
    }
  /** The rollback failed too: the host needs a person. */
  | {
      readonly kind: 'rollbackFailed';
      readonly failedDeploymentHash: string | undefined;
      readonly step: ReconcileStep;
      readonly reason: string;
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
      return 3;
  }
}
