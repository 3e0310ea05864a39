import { BADGE_COLOURS } from './badge.js';
import type { StatusReport } from './daemon-core.js';
import { escapeHtml } from './html-escape.js';

const MEANING: Record<StatusReport['state'], string> = {
  running: 'The host runs the deployment of this commit.',
  reconciling: 'The daemon is applying the deployment of this commit now.',
  queued: 'The deployment of this commit is queued behind another reconcile.',
  different: 'The host runs a deployment from another commit.',
  error: 'The last attempt at the deployment of this commit failed.',
  pending: 'The daemon is still working out the deployment of this commit; this page refreshes itself.',
  unknown: 'The deployment repository has no such commit.',
};

/** Seconds after which a `pending` page reloads itself. */
export const PAGE_REFRESH_SECONDS = 3;

/** The status as a readable page (the MR badge links here). Every value is escaped. */
export function renderStatusPage(report: StatusReport): string {
  const e = (value: string | null | undefined) =>
    value === null || value === undefined ? '—' : escapeHtml(value);
  const row = (name: string, value: string | null | undefined, code = true) =>
    `<tr><th scope="row">${escapeHtml(name)}</th><td>${code && value ? `<code>${e(value)}</code>` : e(value)}</td></tr>`;
  const r = report.reconcile;
  const reconcileRows = r
    ? [
        row('id', r.id),
        row('trigger', r.trigger, false),
        row('state', r.state, false),
        row('outcome', r.outcome, false),
        row('reason', r.reason, false),
        row('started', r.started_at, false),
        row('finished', r.finished_at, false),
        row('target git revision', r.target_git_revision),
        row('target deployment hash', r.target_deployment_hash),
      ].join('\n')
    : '<tr><td colspan="2">No reconcile has run since the daemon started.</td></tr>';
  const title = report.head_hash
    ? `stow: ${report.head_hash.slice(0, 12)} is ${report.state}`
    : `stow: ${report.state}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${report.state === 'pending' ? `<meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">\n` : ''}<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #222; }
.state { display: inline-block; padding: .2rem .7rem; border-radius: .3rem; color: #fff; font-weight: 600; background: ${BADGE_COLOURS[report.state]}; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { width: 14rem; font-weight: 500; color: #555; }
code { font-size: .9em; word-break: break-all; }
.error { color: #b00; }
</style>
</head>
<body>
<h1>stow status</h1>
<p>State: <span class="state" id="state">${escapeHtml(report.state)}</span></p>
<p>${escapeHtml(MEANING[report.state])}</p>
${report.error ? `<p class="error" id="error">${escapeHtml(report.error)}</p>` : ''}
<table>
${row('commit (head_hash)', report.head_hash)}
${row('expected deployment hash', report.expected_deployment_hash)}
${row('running deployment hash', report.running_deployment_hash)}
${row('running git revision', report.running_git_revision)}
</table>
<h2>Last reconcile</h2>
<table>
${reconcileRows}
</table>
</body>
</html>
`;
}
