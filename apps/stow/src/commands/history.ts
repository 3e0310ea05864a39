import { type Command, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';
import { privateCa } from '../private-ca.js';
import { RETRY_FLAGS, RETRY_HELP, retryNote, retryPolicy } from '../retry-flags.js';
import { printHistory, printLogs } from './history-print.js';

/** The daemon's bound on `?limit=` (HISTORY_MAX_ENTRIES; the reconciler is not loaded for a number). */
const MAX_LIMIT = 1000;

export const historyCommand: Command = {
  name: 'history',
  summary: "show a daemon's deploy history, or the captured logs of a failed deploy (--logs)",
  help: `Usage: stow history --url URL [--json] [--limit N] [--attempts N] [--max-delay SECONDS]
       stow history --url URL --logs ID [--json]

Asks the daemon at URL (daemonBaseUrl, e.g. https://deploy-host.example.com:17403) for its deploy
history, newest first: time, trigger, outcome (×N for N collapsed noops), short commit, duration
and reason, with the failed containers of each entry.
With --logs ID: the forensics of history entry ID (its failed containers' exit code, OOM flag,
last health-probe outputs and last log lines), which the daemon serves only with its triggerToken.

Options:
  --url URL             the daemon's base URL (https)
  --limit N             how many entries, 1 to ${MAX_LIMIT} (default 50)
  --logs ID             the history entry (12 hex digits, the ID column of the history)
  --json                print the daemon's JSON answer as it came
${RETRY_HELP}
  -h, --help            show this help

Environment:
  STOW_TRIGGER_TOKEN   the daemon's triggerToken, sent as Bearer with --logs (never printed)
  STOW_CACERT          PEM file of a private CA that signed the daemon's certificate

Connection errors, timeouts, 429 (Retry-After honoured) and 5xx are retried with exponential
backoff and full jitter, like stow trigger; 400, 401 and 404 are final.

Exit codes: 0 the daemon answered; 2 usage error, or the daemon refused (400, 401, 404) or could not
be reached.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      url: { type: 'string' },
      limit: { type: 'string' },
      logs: { type: 'string' },
      json: { type: 'boolean' },
      ...RETRY_FLAGS,
    });
    requirePositionals(positionals, []);
    if (values.url === undefined) throw new UsageError('missing --url URL');
    if (values.logs !== undefined && values.limit !== undefined) {
      throw new UsageError('use --limit or --logs ID, not both');
    }
    const id = values.logs?.toLowerCase();
    if (id !== undefined && !/^[0-9a-f]{12}$/.test(id)) {
      throw new UsageError(`--logs ${JSON.stringify(values.logs)} is not a history id (12 hex digits)`);
    }
    const limit = values.limit;
    if (
      limit !== undefined &&
      (!/^[0-9]{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT)
    ) {
      throw new UsageError(`--limit ${JSON.stringify(limit)} is not a number from 1 to ${MAX_LIMIT}`);
    }
    const token = io.env.STOW_TRIGGER_TOKEN || undefined;
    if (id !== undefined && token === undefined) {
      throw new UsageError("--logs needs the daemon's triggerToken in STOW_TRIGGER_TOKEN");
    }
    const retry = retryPolicy(values);
    const ca = await privateCa(io);
    const lib = await import('@stow/trigger-client');
    let url: URL;
    try {
      url = lib.daemonUrl(values.url, id === undefined ? 'history' : `history/${id}/logs`);
    } catch (error) {
      throw new UsageError(`--url: ${(error as Error).message}`);
    }
    if (limit !== undefined) url.searchParams.set('limit', String(Number(limit)));
    let body: unknown;
    try {
      const answer = await lib.requestDaemon({
        url,
        method: 'GET',
        refused: id === undefined ? 'the history request' : 'the logs request',
        // Only the logs need the token: the history is public, and a token is sent nowhere it is not needed.
        ...(id === undefined ? {} : { token }),
        ...(ca ? { ca } : {}),
        retry,
        // A thousand entries with their plans, or the logs of many containers: far more than a trigger answer.
        maxBodyBytes: 32 * 1024 * 1024,
        onRetry: retryNote(io),
      });
      body = answer.body;
    } catch (error) {
      if (!(error instanceof lib.TriggerError)) throw error;
      io.stderr.write(`stow history: ${error.message}${hint(error.status, id)}\n`);
      return ExitCode.badInput;
    }
    if (body === null || typeof body !== 'object') {
      io.stderr.write(`stow history: ${lib.redactUrl(url)} did not answer JSON\n`);
      return ExitCode.badInput;
    }
    if (values.json) io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    else if (id === undefined) printHistory(body, io);
    else printLogs(body, io);
    return ExitCode.success;
  },
};

/** What a refusal most likely means, for the person at the terminal. */
function hint(status: number | undefined, id: string | undefined): string {
  if (status === 401) return "\n  STOW_TRIGGER_TOKEN is not the daemon's triggerToken";
  if (status === 404 && id !== undefined) {
    return `\n  no captured logs for ${id}: the entry is unknown or has none (see has_logs in stow history), or the daemon has no triggerToken and serves no logs`;
  }
  if (status === 404) return '\n  the daemon has no /history: it is older than this stow';
  return '';
}
