import type { NotifyEvent } from '@stow/manifest';
import type { JobRunRecord, ReconcileOutcome } from '@stow/reconciler';

/**
 * The notification events of a finished reconcile, the most specific first; empty when it changed
 * nothing worth telling. A failure is an event; a converge is `recovered` after a failure
 * (`failing`), else `converged` only when it applied something. A reconcile whose jobs include a
 * failed or timed-out run is `jobFailed` too: before `rolledBack` (the job is why it rolled back),
 * after `rollbackFailed` (a host that needs a person says so first). Each receiver is sent the first
 * of these it listens to, so one reconcile is one notification per receiver. `failed` (nothing on the
 * host changed, e.g. GitLab unreachable) and `quarantined` (a known-bad deployment skipped) are
 * states, not changes.
 */
export function notifyEventsOf(outcome: ReconcileOutcome, failing: boolean): NotifyEvent[] {
  switch (outcome.kind) {
    case 'rollbackFailed':
      return jobFailed(outcome.jobs) ? ['rollbackFailed', 'jobFailed'] : ['rollbackFailed'];
    case 'rolledBack':
      return jobFailed(outcome.jobs) ? ['jobFailed', 'rolledBack'] : ['rolledBack'];
    case 'repairFailed':
      return ['repairFailed'];
    case 'converged': {
      const events: NotifyEvent[] = jobFailed(outcome.jobs) ? ['jobFailed'] : [];
      if (failing) events.push('recovered');
      else if (outcome.changed) events.push('converged');
      return events;
    }
    default:
      return [];
  }
}

const jobFailed = (jobs: readonly JobRunRecord[] | undefined): boolean =>
  jobs?.some((run) => run.outcome === 'failed' || run.outcome === 'timedOut') ?? false;

/** Whether an event leaves the host failing (the next converge is then `recovered`). */
export const isFailureEvent = (event: NotifyEvent): boolean =>
  event === 'rolledBack' || event === 'rollbackFailed' || event === 'repairFailed' || event === 'jobFailed';

/** The facts a notification carries: never a secret (reasons went through the daemon's redaction). */
export interface NotifyFacts {
  readonly event: NotifyEvent;
  readonly outcome: ReconcileOutcome['kind'];
  /** daemon.yaml's subfolder and the machine's hostname. */
  readonly host: string;
  readonly hostname: string;
  readonly deployment: string | null;
  readonly deploymentHash: string | null;
  readonly commit: string | null;
  readonly reason: string | null;
  readonly statusUrl: string;
  readonly reconcileId: string;
  readonly time: string;
}

const WORDS: Record<NotifyEvent, string> = {
  rolledBack: 'deploy failed and was rolled back',
  rollbackFailed: 'deploy failed and the rollback failed too: the host needs attention',
  repairFailed: 'could not repair the running deployment: the host needs attention',
  recovered: 'recovered: the desired deployment runs, verified',
  jobFailed: 'a job failed',
  converged: 'deployed and verified',
};

/** stow's own JSON body (docs/notifications.md). */
export function jsonBody(facts: NotifyFacts): string {
  return JSON.stringify({
    event: facts.event,
    outcome: facts.outcome,
    host: facts.host,
    hostname: facts.hostname,
    deployment: facts.deployment,
    deployment_hash: facts.deploymentHash,
    commit: facts.commit,
    reason: facts.reason,
    status_url: facts.statusUrl,
    reconcile_id: facts.reconcileId,
    time: facts.time,
    summary: summary(facts),
  });
}

/**
 * A Slack incoming-webhook body: `{"text": ...}` (https://api.slack.com/messaging/webhooks), with
 * &, < and > escaped as Slack's formatting requires and the status page as a `<url|label>` link.
 */
export function slackBody(facts: NotifyFacts): string {
  const slackEscape = (text: string) =>
    text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  const lines = [slackEscape(summary(facts))];
  if (facts.reason) lines.push(`Reason: ${slackEscape(facts.reason)}`);
  lines.push(`<${facts.statusUrl}|Status page>`);
  return JSON.stringify({ text: lines.join('\n') });
}

function words(facts: NotifyFacts): string {
  if (facts.event !== 'jobFailed') return WORDS[facts.event];
  if (facts.outcome === 'rolledBack') return `${WORDS.jobFailed}; the deploy was rolled back`;
  if (facts.outcome === 'rollbackFailed')
    return `${WORDS.jobFailed} and the rollback failed too: the host needs attention`;
  return WORDS.jobFailed;
}

function summary(facts: NotifyFacts): string {
  const what = [
    facts.deployment && `deployment ${facts.deployment}`,
    facts.deploymentHash?.slice(0, 12),
    facts.commit && `commit ${facts.commit.slice(0, 8)}`,
  ].filter(Boolean);
  return `stow on ${facts.host} (${facts.hostname}): ${words(facts)}${what.length ? ` (${what.join(', ')})` : ''}`;
}
