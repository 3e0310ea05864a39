import type { FailedContainerSummary, HistoryEntry, HistoryLogs } from '@stow/reconciler';
import type { CommandIo } from '../command.js';

/**
 * The history as a table, newest first: id (for --logs), time, trigger, outcome (×N for collapsed
 * noops), short commit, duration, reason; each failed container on a line of its own below.
 */
export function printHistory(body: object, io: CommandIo): void {
  const entries = ((body as { entries?: unknown }).entries ?? []) as HistoryEntry[];
  if (!Array.isArray(entries) || entries.length === 0) {
    io.stdout.write('no history yet\n');
    return;
  }
  const header = ['ID', 'TIME', 'TRIGGER', 'OUTCOME', 'COMMIT', 'DURATION', 'REASON'];
  const rows = entries.map((entry) =>
    [
      entry.id,
      time(entry.started_at),
      entry.trigger,
      entry.count > 1 ? `${entry.outcome} ×${entry.count}` : entry.outcome,
      entry.git_revision?.slice(0, 8) ?? '-',
      // A collapsed run of noops spans hours of polls: its first-to-last is no duration.
      entry.count > 1 ? '-' : duration(entry.started_at, entry.finished_at),
      entry.reason ?? '',
    ].map(printable),
  );
  const widths = header.map((name, column) =>
    Math.max(name.length, ...rows.map((row) => [...(row[column] ?? '')].length)),
  );
  const line = (cells: string[]) =>
    `${cells
      .map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column] ?? 0)))
      .join('  ')
      .trimEnd()}\n`;
  io.stdout.write(line(header));
  entries.forEach((entry, index) => {
    io.stdout.write(line(rows[index] ?? []));
    for (const failed of entry.failed_containers ?? []) {
      io.stdout.write(`${' '.repeat((widths[0] ?? 0) + 2)}failed: ${printable(failedLine(failed))}\n`);
    }
  });
}

/** Each failed container's exit code, OOM flag, health-probe outputs and log lines. */
export function printLogs(body: object, io: CommandIo): void {
  const logs = body as HistoryLogs;
  const containers = Array.isArray(logs.containers) ? logs.containers : [];
  const out: string[] = [
    `history entry ${printable(String(logs.id))}: ${containers.length} failed container${containers.length === 1 ? '' : 's'}`,
  ];
  for (const c of containers) {
    out.push(
      '',
      `${printable(c.name)}: ${exitCode(c.name, c.exit_code)}, ${c.oom_killed ? 'OOM killed' : 'not OOM killed'}`,
      `  health-probe outputs (last ${c.health_outputs.length}):`,
      ...(c.health_outputs.length
        ? c.health_outputs.map((o: string) => `    ${printable(o)}`)
        : ['    (none)']),
      `  log lines (last ${c.log_lines.length}):`,
      ...(c.log_lines.length ? c.log_lines.map((l: string) => `    ${printable(l)}`) : ['    (none)']),
    );
  }
  io.stdout.write(`${out.join('\n')}\n`);
}

function failedLine(failed: FailedContainerSummary): string {
  const facts = [exitCode(failed.name, failed.exit_code)];
  if (failed.oom_killed) facts.push('OOM killed');
  if (failed.health) facts.push(failed.health);
  facts.push(failed.has_logs ? 'logs captured' : 'no logs');
  return `${failed.name} (${facts.join(', ')})`;
}

/** A container without an exit code had not exited when it was recorded (unhealthy, say); a job was killed. */
const exitCode = (name: string, code: number | null) => {
  if (code !== null) return `exit code ${code}`;
  return name.startsWith('job:') ? 'no exit code: killed at its timeout' : 'running when recorded';
};

/** `2026-01-02T03:04:05.000Z` -> `2026-01-02 03:04:05Z` (UTC, like the daemon's log). */
function time(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

function duration(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

const pad = (cell: string, width: number) => cell + ' '.repeat(Math.max(0, width - [...cell].length));

/**
 * Log lines and reasons are the application's words: control characters (a terminal escape
 * sequence in a container's log, a newline faking another entry) are shown as `\xNN`, never sent
 * to the terminal.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
