import { bookkeeping, warn } from './bookkeeping.js';
import type { FailureForensics } from './forensics.js';
import type { HistoryEntry } from './history-entry.js';
import type { HistoryRun } from './history-store.js';
import type { ReconcileOutcome, ReconcileStep } from './outcome.js';
import type { PlanSummary } from './plan-summary.js';
import type { ReconcileContext, ReconcileRequest } from './reconcile-context.js';
import type { Redactor } from './secret-redactor.js';

/** What a reconcile has learnt by the time it ends, also when it failed before its outcome says. */
export interface RunFacts {
  /** The reconcile's clock, when it began. */
  readonly startedAt: number;
  gitRevision: string | undefined;
  deploymentHash: string | undefined;
  plan: PlanSummary | undefined;
  /** The deployment's secret values, once its snapshot is committed. */
  redact: Redactor | undefined;
  readonly forensics: FailureForensics;
}

type Recorded = Exclude<ReconcileOutcome, { kind: 'planned' }>;

/**
 * Records the outcome in the history; the caller holds the host lock (one writer). A history that
 * cannot be written, or a file in it that cannot be read, is a warning beside the outcome: the
 * outcome itself never changes.
 */
export async function recordInHistory(
  context: ReconcileContext,
  request: ReconcileRequest,
  facts: RunFacts,
  outcome: ReconcileOutcome,
): Promise<ReconcileOutcome> {
  if (outcome.kind === 'planned') return outcome;
  const run = historyRunOf(outcome, {
    ...facts,
    id: context.log.reconcileId,
    trigger: request.trigger,
    finishedAt: context.clock.now(),
  });
  let problems: readonly string[] = [];
  const warnings = await bookkeeping(context, [
    [
      'history',
      async () => {
        problems = await context.history.record(run);
      },
    ],
  ]);
  warnings.push(...problems.map((problem) => warn(context, 'history', problem)));
  return warnings.length === 0
    ? outcome
    : { ...outcome, warnings: [...(outcome.warnings ?? []), ...warnings] };
}

/** The history entry (and forensics) of one outcome, in the `GET /history` shape. */
export function historyRunOf(
  outcome: Recorded,
  facts: RunFacts & {
    readonly id: string;
    readonly trigger: HistoryEntry['trigger'];
    readonly finishedAt: number;
  },
): HistoryRun {
  const { gitRevision, deploymentHash, step, reason, collapseKey } = essentialsOf(outcome, facts);
  const plan = 'plan' in outcome ? outcome.plan : facts.plan;
  const jobs = 'jobs' in outcome ? (outcome.jobs ?? []) : [];
  const entry: HistoryEntry = {
    id: facts.id,
    trigger: facts.trigger,
    started_at: new Date(facts.startedAt).toISOString(),
    finished_at: new Date(facts.finishedAt).toISOString(),
    outcome: outcome.kind,
    count: 1,
    git_revision: gitRevision ?? null,
    deployment_hash: deploymentHash ?? null,
    step: step ?? null,
    reason: reason === undefined ? null : (facts.redact ?? ((text) => text))(reason),
    actions: plan?.actions ?? [],
    jobs: jobs.map((job) => ({
      job: job.job,
      when: job.when,
      outcome: job.outcome,
      exit_code: job.exitCode ?? null,
      duration_ms: job.durationMs,
    })),
    failed_containers: facts.forensics.captured.map((captured) => captured.summary),
  };
  return { entry, collapseKey, logs: facts.forensics.captured.flatMap((captured) => captured.logs ?? []) };
}

interface Essentials {
  readonly gitRevision: string | undefined;
  readonly deploymentHash: string | undefined;
  readonly step?: ReconcileStep;
  readonly reason?: string;
  readonly collapseKey: string | undefined;
}

function essentialsOf(outcome: Recorded, facts: RunFacts): Essentials {
  switch (outcome.kind) {
    case 'converged':
      return {
        gitRevision: outcome.gitRevision,
        deploymentHash: outcome.deploymentHash,
        // A noop changes nothing: consecutive ones on the same deployment are one entry.
        collapseKey: outcome.changed ? undefined : `converged:${outcome.deploymentHash}`,
      };
    case 'quarantined':
      return {
        gitRevision: outcome.gitRevision,
        deploymentHash: outcome.deploymentHash,
        reason: outcome.reason,
        // Each poll keeps the same failed hash out again; a repair is an event of its own.
        collapseKey: outcome.repaired ? undefined : `quarantined:${outcome.deploymentHash}`,
      };
    case 'rolledBack':
      return {
        ...failureOf(outcome),
        gitRevision: outcome.gitRevision,
        deploymentHash: outcome.failedDeploymentHash,
      };
    case 'rollbackFailed':
      return {
        ...failureOf(outcome),
        gitRevision: facts.gitRevision,
        deploymentHash: outcome.failedDeploymentHash ?? facts.deploymentHash,
      };
    case 'repairFailed':
      return {
        ...failureOf(outcome),
        gitRevision: facts.gitRevision,
        deploymentHash: outcome.quarantinedDeploymentHash,
      };
    case 'failed':
      return { ...failureOf(outcome), gitRevision: facts.gitRevision, deploymentHash: facts.deploymentHash };
  }
}

const failureOf = (outcome: { readonly step: ReconcileStep; readonly reason: string }) => ({
  step: outcome.step,
  reason: outcome.reason,
  collapseKey: undefined,
});
