import type { CommitStatusState, DeploymentStatus, GitlabClient } from '@stow/gitlab-client';
import type { GitlabReports } from '@stow/manifest';
import type { ApplyTarget, ReconcileOutcome } from '@stow/reconciler';
import { type BackgroundQueue, backgroundQueue } from './background-queue.js';
import type { CoreObserver, ReconcileRecord } from './daemon-core.js';
import type { DaemonLogger } from './logger.js';
import { statusPageUrl } from './status-url.js';

/** The calls the reporter makes (a real GitlabClient, with its own timeout and bounded retries). */
export type ReportClient = Pick<
  GitlabClient,
  'getProject' | 'setCommitStatus' | 'createDeployment' | 'updateDeployment'
>;

export interface GitlabReporterOptions {
  readonly client: ReportClient;
  readonly project: string;
  readonly subfolder: string;
  readonly reports: GitlabReports;
  /** The daemon's own URL, for the status page when stow.yaml has no deployment.daemonBaseUrl. */
  readonly listenUrl: () => string;
  readonly logger: DaemonLogger;
  /** Reports waiting beyond this are dropped with a warning (default 20). */
  readonly maxQueued?: number;
}

export interface GitlabReporter {
  readonly observer: CoreObserver;
  /** Resolves once every queued report has been sent or given up (tests, shutdown). */
  idle(): Promise<void>;
}

type Report = 'commitStatus' | 'deployments';
const REPORT_NAMES: Record<Report, string> = { commitStatus: 'commit statuses', deployments: 'deployments' };

/** What GitLab is told about one applied reconcile. */
interface Applied {
  readonly target: ApplyTarget;
  readonly statusUrl: string;
  deploymentId?: number;
}

/**
 * Tells GitLab what runs where (issue 15): a commit status `stow/<subfolder>` on the deployed
 * commit (`running` while applying, `success` once verified, `failed` otherwise) and a GitLab
 * deployment per applied reconcile in the environment `deployment.environment` or the subfolder.
 *
 * Reports run in a background queue, one at a time, after the reconcile has moved on: a slow or
 * failing GitLab delays nothing. The client bounds each call (timeout, a few retries). A token
 * GitLab refuses (401/403: no scope `api`, or a role that may not) switches that report off until
 * the daemon restarts, with one log line saying why; other failures are logged per report.
 */
export function createGitlabReporter(options: GitlabReporterOptions): GitlabReporter {
  const { client, project, logger } = options;
  const enabled: Record<Report, boolean> = { ...options.reports };
  const queue: BackgroundQueue = backgroundQueue({
    maxQueued: options.maxQueued ?? 20,
    onDrop: () => logger.log('warn', 'GitLab reports are falling behind; dropped one', {}),
  });
  const applied = new Map<string, Applied>();
  let defaultBranch: Promise<string> | undefined;
  const statusName = `stow/${options.subfolder}`;

  const ref = () => {
    defaultBranch ??= client.getProject(project).then((info) => info.defaultBranch ?? 'main');
    defaultBranch.catch(() => {
      defaultBranch = undefined;
    });
    return defaultBranch;
  };

  /** Runs one call of `report` unless it is off; a refused token turns the report off. */
  const attempt = async (report: Report, what: string, call: () => Promise<void>) => {
    if (!enabled[report]) return;
    try {
      await call();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const reason = logger.redact(error instanceof Error ? error.message : String(error));
      if (code === 'FORBIDDEN' || code === 'UNAUTHORIZED') {
        enabled[report] = false;
        logger.log(
          'warn',
          `GitLab ${REPORT_NAMES[report]} are off until the daemon restarts: GitLab refused the token`,
          {
            reason,
            hint: `the token needs scope api and at least the Developer role; or set gitlabReports.${report}: false`,
          },
        );
        return;
      }
      // Setting a status to the state it holds (a restart while applying): GitLab says so with a 400.
      if (code === 'REJECTED' && /Cannot transition status/.test(reason)) return;
      logger.log('warn', `could not report to GitLab: ${what}`, { reason });
    }
  };

  const setStatus = (entry: Applied, state: CommitStatusState, description: string) =>
    attempt('commitStatus', `commit status ${state}`, async () => {
      await client.setCommitStatus(project, entry.target.gitRevision, {
        state,
        name: statusName,
        ref: await ref(),
        targetUrl: entry.statusUrl,
        description,
      });
    });

  const deployment = (entry: Applied, status: DeploymentStatus) =>
    attempt('deployments', `deployment ${status}`, async () => {
      if (entry.deploymentId === undefined) {
        if (status !== 'running') return; // its creation failed: nothing to update
        const created = await client.createDeployment(project, {
          environment: entry.target.environment ?? options.subfolder,
          sha: entry.target.gitRevision,
          ref: await ref(),
          tag: false,
          status,
        });
        entry.deploymentId = created.id;
      } else {
        await client.updateDeployment(project, entry.deploymentId, status);
      }
    });

  return {
    idle: () => queue.idle(),
    observer: {
      reconcileApplying(record: ReconcileRecord, target: ApplyTarget) {
        if (!enabled.commitStatus && !enabled.deployments) return;
        const entry: Applied = {
          target,
          statusUrl: statusPageUrl(target.daemonBaseUrl ?? options.listenUrl(), target.gitRevision),
        };
        applied.set(record.id, entry);
        queue.push(async () => {
          await setStatus(entry, 'running', `applying deployment ${target.deploymentHash.slice(0, 12)}`);
          await deployment(entry, 'running');
        });
      },
      reconcileFinished(record: ReconcileRecord, outcome: ReconcileOutcome) {
        const entry = applied.get(record.id);
        if (!entry) return; // nothing was applied: nothing to report
        applied.delete(record.id);
        const verified = outcome.kind === 'converged';
        queue.push(async () => {
          await setStatus(entry, verified ? 'success' : 'failed', describe(outcome));
          await deployment(entry, verified ? 'success' : 'failed');
        });
      },
    },
  };
}

/** A short description (GitLab shows it beside the status); the reason stays on the status page. */
function describe(outcome: ReconcileOutcome): string {
  switch (outcome.kind) {
    case 'converged':
      return `running and verified: deployment ${outcome.deploymentHash.slice(0, 12)}`;
    case 'rolledBack':
      return `failed at ${outcome.step} and rolled back`;
    case 'rollbackFailed':
      return `failed at ${outcome.step}; the rollback failed too: the host needs attention`;
    default:
      return `failed (${outcome.kind})`;
  }
}
