import type { JobOutcome } from './jobs.js';
import type { ReconcileOutcome, ReconcileStep } from './outcome.js';
import type { PlanSummary } from './plan-summary.js';
import type { ReconcileTrigger } from './reconcile-context.js';

/**
 * One reconcile as the durable history keeps it (`<stateDir>/.stow/history/`), in the wire shape of
 * `GET /history` (snake_case, as the rest of the daemon's JSON). Consecutive noop reconciles
 * (converged, nothing changed) on the same deployment hash collapse into one entry whose `count`
 * grows, and so do consecutive automatic runs that keep the same quarantined hash out without a
 * repair; everything else (applied, failed, rolled back, repaired, recovered) is an entry of its own.
 */
export interface HistoryEntry {
  /** The reconcile id (12 hex characters; the id in the JSON log's `reconcile_id`); for a collapsed entry, the first's. */
  readonly id: string;
  readonly trigger: ReconcileTrigger;
  /** ISO 8601; for a collapsed entry, the first of the run. */
  readonly started_at: string;
  /** ISO 8601; for a collapsed entry, the last of the run. */
  readonly finished_at: string;
  readonly outcome: ReconcileOutcome['kind'];
  /** How many reconciles this entry stands for: 1, or more for a collapsed entry. */
  readonly count: number;
  /** The commit reconciled (for a collapsed entry, the last one's); null when the reconcile failed before it was known. */
  readonly git_revision: string | null;
  /** The deployment hash reconciled (the failed one for a rollback); null when not known. */
  readonly deployment_hash: string | null;
  /** The step a failure happened in; null on success. */
  readonly step: ReconcileStep | null;
  /** Why it failed or what it did, in words, with every decrypted secret value redacted; null on success. */
  readonly reason: string | null;
  readonly actions: PlanSummary['actions'];
  readonly jobs: ReadonlyArray<{
    readonly job: string;
    readonly when: 'beforeApply' | 'afterVerify';
    readonly outcome: JobOutcome;
    readonly exit_code: number | null;
    readonly duration_ms: number;
  }>;
  /** Containers and jobs that failed, recorded before they were removed. */
  readonly failed_containers: readonly FailedContainerSummary[];
}

/** What `GET /history` says of a failed container or job; its logs are served apart, with the token. */
export interface FailedContainerSummary {
  /** The container name, or `job:<name>` for a job. */
  readonly name: string;
  readonly exit_code: number | null;
  readonly oom_killed: boolean;
  /** The health state when it was recorded; null without a healthcheck. */
  readonly health: 'healthy' | 'unhealthy' | 'starting' | null;
  /** Whether forensics (log lines, health outputs) were captured for it. */
  readonly has_logs: boolean;
}

/**
 * The forensics of one failed container or job (`GET /history/<id>/logs`), captured before it was
 * removed. Every decrypted secret value of the deployment (4 characters or longer) is replaced by
 * `[REDACTED]` before it is stored.
 */
export interface FailedContainerLogs {
  readonly name: string;
  readonly exit_code: number | null;
  readonly oom_killed: boolean;
  /** Its last 50 log lines (stdout and stderr, in order). */
  readonly log_lines: readonly string[];
  /** The outputs of its last 5 health probes, oldest first. */
  readonly health_outputs: readonly string[];
}

/** The body of `GET /history/<id>/logs`. */
export interface HistoryLogs {
  readonly id: string;
  readonly containers: readonly FailedContainerLogs[];
}

/** Bounds of the history (the numbers; a store may take smaller ones in tests). */
export const HISTORY_MAX_ENTRIES = 1000;
export const FORENSIC_LOG_LINES = 50;
export const FORENSIC_HEALTH_OUTPUTS = 5;
