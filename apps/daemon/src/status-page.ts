import type { HistoryEntry } from '@stow/reconciler';
import type { DeploymentContainer } from './backend.js';
import type { StatusReport } from './daemon-core.js';
import { escapeHtml } from './html-escape.js';
import type { CommitLinker } from './status-page/commit-link.js';
import { containersSection } from './status-page/containers-section.js';
import { text, timeOf } from './status-page/format.js';
import type { Fetched } from './status-page/fresh-read.js';
import { lastDeploySection, timelineSection } from './status-page/history-sections.js';
import { pageStyle } from './status-page/page-style.js';
import type { StatusPageSources } from './status-page/sources.js';

const MEANING: Record<StatusReport['state'], string> = {
  running: 'The host runs the deployment of this commit.',
  reconciling: 'The daemon is applying the deployment of this commit now; this page refreshes itself.',
  queued: 'The deployment of this commit is queued behind another reconcile; this page refreshes itself.',
  different: 'The host runs a deployment from another commit.',
  error: 'The last attempt at the deployment of this commit failed.',
  pending: 'The daemon is still working out the deployment of this commit; this page refreshes itself.',
  unknown: 'The deployment repository has no such commit.',
};

/** Seconds after which a page that is still moving (reconciling, queued, pending) reloads itself. */
export const PAGE_REFRESH_SECONDS = 3;

/** The states in which the answer will change by itself soon: the page reloads itself. */
export const REFRESHING_STATES: ReadonlySet<StatusReport['state']> = new Set([
  'reconciling',
  'queued',
  'pending',
]);

/** What the page shows besides the status report: the engine's containers and the history. */
export interface StatusPageView {
  readonly containers: Fetched<readonly DeploymentContainer[]>;
  readonly history: Fetched<readonly HistoryEntry[]>;
  readonly commitLink: CommitLinker;
  /** How long the page waited for the engine (said when it gave up). */
  readonly engineTimeoutMs: number;
  /** When the page is rendered (container ages). */
  readonly now: number;
}

/** A page without engine or history (a daemon built without them). */
export const BARE_VIEW: StatusPageView = {
  containers: { kind: 'absent' },
  history: { kind: 'absent' },
  commitLink: () => undefined,
  engineTimeoutMs: 0,
  now: 0,
};

/** Reads the page's sources at once; each is bounded in time, so this is too. */
export async function loadStatusPageView(sources: StatusPageSources): Promise<StatusPageView> {
  const [containers, history] = await Promise.all([sources.containers(), sources.history()]);
  return {
    containers,
    history,
    commitLink: sources.commitLink,
    engineTimeoutMs: sources.engineTimeoutMs,
    now: sources.now(),
  };
}

/** The status as a readable page (the MR badge links here). Plain HTML and CSS; every value is escaped. */
export function renderStatusPage(report: StatusReport, view: StatusPageView = BARE_VIEW): string {
  const commit = (sha: string | null) => {
    if (!sha) return '—';
    const url = view.commitLink(sha);
    return url
      ? `<a href="${escapeHtml(url)}"><code>${escapeHtml(sha)}</code></a>`
      : `<code>${escapeHtml(sha)}</code>`;
  };
  const code = (value: string | null | undefined) => (value ? `<code>${escapeHtml(value)}</code>` : '—');
  const row = (name: string, html: string) =>
    `<tr><th scope="row">${escapeHtml(name)}</th><td>${html}</td></tr>`;
  const r = report.reconcile;
  const reconcileRows = r
    ? [
        row('id', code(r.id)),
        row('trigger', text(r.trigger)),
        row('state', text(r.state)),
        row('outcome', text(r.outcome)),
        row('reason', text(r.reason)),
        row('started', timeOf(r.started_at)),
        row('finished', timeOf(r.finished_at)),
        row('target git revision', commit(r.target_git_revision)),
        row('target deployment hash', code(r.target_deployment_hash)),
      ].join('\n')
    : '<tr><td colspan="2">No reconcile has run since the daemon started.</td></tr>';
  const title = report.head_hash
    ? `stow: ${report.head_hash.slice(0, 12)} is ${report.state}`
    : `stow: ${report.state}`;
  const refresh = REFRESHING_STATES.has(report.state)
    ? `<meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">\n`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}<title>${escapeHtml(title)}</title>
${pageStyle(report.state)}
</head>
<body>
<h1>stow status</h1>
<p>State: <span class="state" id="state">${escapeHtml(report.state)}</span></p>
<p id="meaning">${escapeHtml(MEANING[report.state])}</p>
${report.error ? `<p class="error" id="error">${escapeHtml(report.error)}</p>` : ''}
<table class="facts" id="facts">
${row('commit (head_hash)', commit(report.head_hash))}
${row('expected deployment hash', code(report.expected_deployment_hash))}
${row('running deployment hash', code(report.running_deployment_hash))}
${row('running git revision', commit(report.running_git_revision))}
</table>
${containersSection(view.containers, { now: view.now, timeoutMs: view.engineTimeoutMs })}
${lastDeploySection(view.history, view.commitLink)}
${timelineSection(view.history, view.commitLink)}
<section id="last-reconcile">
<h2>Last reconcile</h2>
<table class="facts">
${reconcileRows}
</table>
</section>
</body>
</html>
`;
}
