// The subpath, not the package: `stow --help` loads the reconcile command module, and with it this one.
import {
  jsonLinesLog,
  type LogFields,
  type LogLevel,
  newReconcileId,
  type ReconcileLog,
  silentLog,
} from '@stow/reconciler/reconcile-log';

/**
 * How a CLI reconcile reports as it goes: readable lines on a terminal, JSON lines with
 * `--log-json`, and nothing in pipelines (`CI` set or not a TTY) where only the result matters.
 */
export function progressLog(options: {
  json: boolean;
  interactive: boolean;
  write: (text: string) => void;
  secrets: readonly string[];
}): ReconcileLog {
  if (options.json) return jsonLinesLog(options.write, { secrets: options.secrets });
  if (!options.interactive) return silentLog();
  const reconcileId = newReconcileId();
  return {
    reconcileId,
    log(level: LogLevel, message: string, fields: LogFields = {}) {
      const details = Object.entries(fields)
        .filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0))
        .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
        .join(' ');
      const mark = level === 'error' ? '✗' : level === 'warn' ? '!' : '·';
      let line = `${mark} ${message}${details ? `  ${details}` : ''}\n`;
      for (const secret of options.secrets)
        if (secret.length >= 6) line = line.replaceAll(secret, '[REDACTED]');
      options.write(line);
    },
  };
}
