import { jsonLinesLog, type LogFields, type LogLevel, type ReconcileLog } from '@stow/reconciler';

/**
 * The daemon's structured log: JSON lines on one stream (journald-friendly). Lines of a reconcile
 * carry its `reconcile_id`; known secrets (tokens) are replaced by [REDACTED] as a last line of defence
 * (they are never put into a message on purpose).
 */
export interface DaemonLogger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** A log whose lines carry this reconcile id. */
  forReconcile(reconcileId: string): ReconcileLog;
  /** Replaces every known secret in `text`. */
  redact(text: string): string;
}

export function jsonLinesLogger(
  write: (line: string) => void,
  options: { secrets?: readonly (string | undefined)[]; now?: () => Date } = {},
): DaemonLogger {
  const secrets = (options.secrets ?? []).filter(
    (secret): secret is string => secret !== undefined && secret.length >= 6,
  );
  const now = options.now ?? (() => new Date());
  const redact = (text: string) =>
    secrets.reduce((out, secret) => out.replaceAll(secret, '[REDACTED]'), text);
  return {
    redact,
    log(level, message, fields = {}) {
      write(`${redact(JSON.stringify({ time: now().toISOString(), level, msg: message, ...fields }))}\n`);
    },
    forReconcile: (reconcileId) => jsonLinesLog(write, { reconcileId, secrets, now }),
  };
}

/** Drops everything (tests that do not look at the log). */
export const silentLogger: DaemonLogger = {
  log() {},
  forReconcile: (reconcileId) => ({ reconcileId, log() {} }),
  redact: (text) => text,
};
