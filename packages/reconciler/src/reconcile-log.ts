import { randomBytes } from 'node:crypto';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | undefined | readonly string[]>;

/** Structured log of a reconcile. Every line carries the reconcile id; messages never carry secrets. */
export interface ReconcileLog {
  readonly reconcileId: string;
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

export function newReconcileId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * JSON lines (journald-friendly): `{"time","level","msg","reconcile_id",...fields}`. Strings that are
 * known secrets (tokens) are replaced by [REDACTED] as a last line of defence.
 */
export function jsonLinesLog(
  write: (line: string) => void,
  options: { reconcileId?: string; secrets?: readonly string[]; now?: () => Date } = {},
): ReconcileLog {
  const reconcileId = options.reconcileId ?? newReconcileId();
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  const now = options.now ?? (() => new Date());
  return {
    reconcileId,
    log(level, message, fields = {}) {
      let line = JSON.stringify({
        time: now().toISOString(),
        level,
        msg: message,
        reconcile_id: reconcileId,
        ...fields,
      });
      for (const secret of secrets) line = line.replaceAll(secret, '[REDACTED]');
      write(`${line}\n`);
    },
  };
}

/** Drops everything: for callers that only want the outcome. */
export function silentLog(reconcileId = newReconcileId()): ReconcileLog {
  return { reconcileId, log() {} };
}
