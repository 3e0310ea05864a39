import type { HistoryEntry } from '@stow/reconciler';
import { escapeHtml } from '../html-escape.js';
import type { CommitLinker } from './commit-link.js';
import { durationOf, msBetween, shortSha, text, timeOf } from './format.js';
import type { Fetched } from './fresh-read.js';
import { type Cell, pill, reflowTable, type Tone } from './table.js';

/** How many history entries the timeline shows. */
export const TIMELINE_ENTRIES = 20;
/** How many entries the page reads: the last deploy may be older than the timeline's entries. */
export const HISTORY_READ = 50;

const OUTCOME_TONE: Record<string, Tone> = {
  converged: 'ok',
  planned: 'neutral',
  quarantined: 'warn',
  rolledBack: 'bad',
  failed: 'bad',
  repairFailed: 'bad',
  rollbackFailed: 'bad',
};

export function outcomePill(outcome: string): string {
  return pill(outcome, OUTCOME_TONE[outcome] ?? 'neutral');
}

/** A short commit, linked to its page when the source has one (GitLab); the full sha on hover. */
export function commitRef(sha: string | null, link: CommitLinker): string {
  if (!sha) return '—';
  const url = link(sha);
  const short = `<code title="${escapeHtml(sha)}">${escapeHtml(shortSha(sha))}</code>`;
  return url ? `<a href="${escapeHtml(url)}">${short}</a>` : short;
}

/**
 * Whether a reconcile changed the host: it replaced or removed a container, ran a job, or applied
 * and rolled back. Noops, drift checks and failures before the apply did not.
 */
export function appliedSomething(entry: HistoryEntry): boolean {
  return (
    entry.actions.some((a) => a.action !== 'noop') ||
    entry.jobs.length > 0 ||
    entry.outcome === 'rolledBack' ||
    entry.outcome === 'rollbackFailed'
  );
}

function durationCell(entry: HistoryEntry): string {
  const ms = msBetween(entry.started_at, entry.finished_at);
  if (entry.count > 1) return `${text(entry.count)} runs`;
  return ms === undefined ? '—' : text(durationOf(ms));
}

function reasonLine(entry: HistoryEntry): string {
  if (!entry.reason && !entry.step) return '';
  const step = entry.step ? `at ${escapeHtml(entry.step)}` : '';
  return `<div class="reason">${step}${step && entry.reason ? ': ' : ''}${entry.reason ? escapeHtml(entry.reason) : ''}</div>`;
}

/** The newest entry that applied something: its plan (actions and reasons), jobs and failed containers. */
export function lastDeploySection(history: Fetched<readonly HistoryEntry[]>, link: CommitLinker): string {
  const body = (() => {
    if (history.kind !== 'ok') return `<p class="note">${historyUnavailable(history)}</p>`;
    const entry = history.value.find(appliedSomething);
    if (!entry)
      return `<p class="note">None of the last ${history.value.length} reconciles applied anything.</p>`;
    return [
      `<p id="last-deploy-summary">${outcomePill(entry.outcome)} commit ${commitRef(entry.git_revision, link)}, ${timeOf(entry.started_at)}, took ${durationCell(entry)} (${text(entry.trigger)} reconcile <code>${text(entry.id)}</code>)</p>`,
      reasonLine(entry),
      entry.actions.length === 0
        ? '<p class="note">The plan had no container actions.</p>'
        : `<h3>Plan</h3>\n${reflowTable(
            'plan-table',
            ['Container', 'Action', 'Reason'],
            entry.actions.map((a) => [
              { label: 'Container', html: `<code>${text(a.container)}</code>` },
              { label: 'Action', html: pill(a.action, a.action === 'noop' ? 'neutral' : 'warn') },
              { label: 'Reason', html: text(a.reason) },
            ]),
          )}`,
      entry.jobs.length === 0
        ? ''
        : `<h3>Jobs</h3>\n${reflowTable(
            'jobs-table',
            ['Job', 'When', 'Outcome', 'Exit code', 'Duration'],
            entry.jobs.map((j) => [
              { label: 'Job', html: `<code>${text(j.job)}</code>` },
              { label: 'When', html: text(j.when) },
              { label: 'Outcome', html: pill(j.outcome, j.outcome === 'succeeded' ? 'ok' : 'bad') },
              { label: 'Exit code', html: text(j.exit_code) },
              { label: 'Duration', html: text(durationOf(j.duration_ms)) },
            ]),
          )}`,
      entry.failed_containers.length === 0
        ? ''
        : `<h3>Failed containers</h3>\n${reflowTable(
            'failed-table',
            ['Container', 'Exit code', 'OOM killed', 'Health', 'Logs'],
            entry.failed_containers.map((f) => [
              { label: 'Container', html: `<code>${text(f.name)}</code>` },
              { label: 'Exit code', html: text(f.exit_code) },
              { label: 'OOM killed', html: f.oom_killed ? pill('yes', 'bad') : 'no' },
              { label: 'Health', html: text(f.health) },
              {
                label: 'Logs',
                html: f.has_logs
                  ? `captured: <code>stow history --logs ${text(entry.id)}</code> (with the trigger token)`
                  : 'none captured',
              },
            ]),
          )}`,
    ]
      .filter(Boolean)
      .join('\n');
  })();
  return `<section id="last-deploy">\n<h2>Last deploy</h2>\n${body}\n</section>`;
}

/** The last TIMELINE_ENTRIES reconciles, newest first; collapsed noops show their count. */
export function timelineSection(history: Fetched<readonly HistoryEntry[]>, link: CommitLinker): string {
  const body = (() => {
    if (history.kind !== 'ok') return `<p class="note">${historyUnavailable(history)}</p>`;
    if (history.value.length === 0) return '<p class="note">No reconcile is recorded yet.</p>';
    return reflowTable(
      'timeline-table',
      ['Time', 'Commit', 'Outcome', 'Duration'],
      history.value.slice(0, TIMELINE_ENTRIES).map((entry): Cell[] => [
        {
          label: 'Time',
          html:
            entry.count > 1
              ? `${timeOf(entry.started_at)} to ${timeOf(entry.finished_at)}`
              : timeOf(entry.started_at),
        },
        { label: 'Commit', html: commitRef(entry.git_revision, link) },
        {
          label: 'Outcome',
          html: `${outcomePill(entry.outcome)}${entry.count > 1 ? ` <span class="count">×${text(entry.count)}</span>` : ''}${reasonLine(entry)}`,
        },
        { label: 'Duration', html: durationCell(entry) },
      ]),
    );
  })();
  return `<section id="timeline">\n<h2>History</h2>\n${body}\n</section>`;
}

function historyUnavailable(history: Exclude<Fetched<unknown>, { kind: 'ok' }>): string {
  switch (history.kind) {
    case 'absent':
      return 'This daemon keeps no history.';
    case 'timeout':
      return 'The history did not load in time; it shows on the next load.';
    case 'failed':
      return `The history cannot be read (${escapeHtml(history.code)}); the daemon log has the details.`;
  }
}
