import path from 'node:path';
import { type Command, type CommandIo, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';
import { privateCa } from '../private-ca.js';
import { RETRY_FLAGS, RETRY_HELP, retryNote, retryPolicy } from '../retry-flags.js';

export const triggerCommand: Command = {
  name: 'trigger',
  summary: 'ask host daemons to reconcile (POST /trigger), with bounded retries',
  help: `Usage: stow trigger --url URL --head-hash SHA [options]
       stow trigger --changed-since SHA [options]     (inside a deployment-repo checkout)

Asks a daemon to reconcile its host to the default branch (POST <url>/trigger?head_hash=<sha>).
With --changed-since: finds the deployment directories (those holding a stow.yaml) changed between
SHA and HEAD, reads each one's deployment.daemonBaseUrl and triggers it with HEAD; directories
without daemonBaseUrl are skipped with a note. An all-zero SHA (new branch) or a SHA the checkout
does not have triggers every deployment. This is what ci/stow-merge-gitlab-ci.yaml runs.

Retries: connection errors, timeouts, 429 (Retry-After honoured) and 5xx are retried with
exponential backoff and full jitter; 400, 401, 403, 404, 422 and other 4xx are final.

Options:
  --url URL             the daemon's base URL (https), e.g. https://deploy-host.example.com:17403/
  --head-hash SHA       the commit to reconcile to (must be on the default branch)
  --changed-since SHA   trigger the deployments changed since SHA (e.g. $CI_COMMIT_BEFORE_SHA)
  --token TOKEN         the daemon's triggerToken, sent as Bearer (prefer STOW_TRIGGER_TOKEN:
                        command lines are visible to other processes)
${RETRY_HELP}
  -h, --help            show this help

Environment:
  STOW_TRIGGER_TOKEN    the daemon's triggerToken (one token for every daemon triggered)
  STOW_CACERT           PEM file of a private CA that signed the daemons' certificates

Exit codes: 0 every daemon accepted (or nothing to trigger); 2 bad input, or a daemon refused the
trigger or could not be reached after the retries.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      url: { type: 'string' },
      'head-hash': { type: 'string' },
      'changed-since': { type: 'string' },
      token: { type: 'string' },
      ...RETRY_FLAGS,
    });
    requirePositionals(positionals, []);
    const changedSince = values['changed-since'];
    if (changedSince !== undefined && (values.url !== undefined || values['head-hash'] !== undefined)) {
      throw new UsageError('use either --changed-since or --url with --head-hash, not both');
    }
    if (changedSince === undefined && (values.url === undefined || values['head-hash'] === undefined)) {
      throw new UsageError(
        values.url === undefined ? 'missing --url URL (or --changed-since SHA)' : 'missing --head-hash SHA',
      );
    }
    const retry = retryPolicy(values);
    const ca = await privateCa(io);
    const token = values.token ?? io.env.STOW_TRIGGER_TOKEN ?? undefined;
    const lib = await import('@stow/trigger-client');
    const common = {
      ...(token ? { token } : {}),
      ...(ca ? { ca } : {}),
      retry,
      onRetry: retryNote(io),
    };
    if (changedSince === undefined) {
      const result = await lib.triggerDaemon({
        ...common,
        baseUrl: values.url as string,
        headHash: values['head-hash'] as string,
      });
      io.stdout.write(
        `triggered ${result.url}: HTTP ${result.status}${stateOf(result.body)} after ${plural(result.attempts)}\n`,
      );
      return ExitCode.success;
    }
    const report = await lib.triggerChangedSince({
      ...common,
      cwd: path.resolve(io.cwd),
      since: changedSince,
    });
    return printReport(report, io);
  },
};

type Report = Awaited<ReturnType<typeof import('@stow/trigger-client')['triggerChangedSince']>>;

function printReport(report: Report, io: CommandIo): ExitCode {
  io.stdout.write(`head ${report.head}: ${report.selection}\n`);
  if (report.outcomes.length === 0) io.stdout.write('no deployment directory changed: nothing to trigger\n');
  let failed = 0;
  for (const outcome of report.outcomes) {
    if (outcome.kind === 'accepted') {
      const r = outcome.result;
      io.stdout.write(
        `  ${outcome.dir}: triggered ${r.url}: HTTP ${r.status}${stateOf(r.body)} after ${plural(r.attempts)}\n`,
      );
    } else if (outcome.kind === 'skipped') {
      io.stdout.write(`  ${outcome.dir}: skipped: ${outcome.reason}\n`);
    } else {
      failed += 1;
      io.stderr.write(`stow trigger: ${outcome.dir}: ${outcome.error.message}\n`);
    }
  }
  return failed > 0 ? ExitCode.badInput : ExitCode.success;
}

const plural = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;

function stateOf(body: unknown): string {
  const state = (body as { state?: unknown } | null)?.state;
  return typeof state === 'string' ? ` (state ${state})` : '';
}
