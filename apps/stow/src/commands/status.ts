import https from 'node:https';
import { type Command, type CommandIo, UsageError } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { parseFlags, requirePositionals } from '../parse-flags.js';
import { privateCa } from '../private-ca.js';

interface StatusAnswer {
  head_hash: string | null;
  state: string;
  expected_deployment_hash: string | null;
  running_deployment_hash: string | null;
  running_git_revision: string | null;
  reconcile: {
    id: string;
    trigger: string;
    state: string;
    started_at: string;
    finished_at: string | null;
    outcome: string | null;
    reason: string | null;
    target_git_revision: string | null;
  } | null;
  error?: string;
}

export const statusCommand: Command = {
  name: 'status',
  summary: "ask a daemon for a commit's convergence state (running, reconciling, queued, different, error)",
  help: `Usage: stow status --url URL [--head-hash SHA] [--json]

Asks the daemon at URL (daemonBaseUrl, e.g. https://deploy-host.example.com:17403) for the state of
a commit on its host: running, reconciling, queued, different, error, or unknown (no such commit).
Without --head-hash: the state of the default branch head.

Options:
  --url URL          the daemon's base URL (https)
  --head-hash SHA    the commit (7 to 40 hex digits)
  --json             print the daemon's JSON answer as it came
  -h, --help         show this help

Environment:
  STOW_CACERT        PEM file of a private CA that signed the daemon's certificate

Exit codes: 0 the daemon answered (whatever the state); 2 usage error, or the daemon could not be
reached or gave no status.
`,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, {
      url: { type: 'string' },
      'head-hash': { type: 'string' },
      json: { type: 'boolean' },
    });
    requirePositionals(positionals, []);
    if (values.url === undefined) throw new UsageError('missing --url URL');
    let base: URL;
    try {
      base = new URL(values.url);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(values.url)} is not a URL`);
    }
    if (base.protocol !== 'https:') throw new UsageError(`--url ${values.url}: the daemon serves https only`);
    const sha = values['head-hash'];
    if (sha !== undefined && !/^[0-9a-fA-F]{7,40}$/.test(sha)) {
      throw new UsageError(`--head-hash ${JSON.stringify(sha)} is not a commit sha (7 to 40 hex digits)`);
    }
    const url = new URL('status', base.href.endsWith('/') ? base : `${base.href}/`);
    if (sha !== undefined) url.searchParams.set('head_hash', sha.toLowerCase());
    const ca = await privateCa(io);
    let answer: { statusCode: number; body: string };
    try {
      answer = await getJson(url, ca);
    } catch (error) {
      io.stderr.write(
        `stow status: cannot reach ${url.origin}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return ExitCode.badInput;
    }
    let parsed: StatusAnswer;
    try {
      parsed = JSON.parse(answer.body) as StatusAnswer;
    } catch {
      parsed = { state: '' } as StatusAnswer;
    }
    if (typeof parsed.state !== 'string' || parsed.state === '') {
      const detail = (parsed as { error?: unknown }).error;
      io.stderr.write(
        `stow status: ${url.origin} answered ${answer.statusCode}${typeof detail === 'string' ? `: ${detail}` : ' without a status'}\n`,
      );
      return ExitCode.badInput;
    }
    if (values.json) io.stdout.write(`${JSON.stringify(parsed, null, 2)}\n`);
    else printHuman(parsed, io);
    return ExitCode.success;
  },
};

function getJson(url: URL, ca: Buffer | undefined): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { headers: { accept: 'application/json' }, timeout: 15_000, ...(ca ? { ca } : {}) },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 1_000_000) request.destroy(new Error('answer too large'));
        });
        response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out after 15 s')));
    request.on('error', reject);
  });
}

function printHuman(status: StatusAnswer, io: CommandIo): void {
  const rows: [string, string][] = [
    ['commit', status.head_hash ?? '(default branch head unknown)'],
    ['state', status.state],
  ];
  if (status.error) rows.push(['error', status.error]);
  rows.push(['expected', status.expected_deployment_hash ? `v1:${status.expected_deployment_hash}` : '-']);
  rows.push([
    'running',
    status.running_deployment_hash
      ? `v1:${status.running_deployment_hash} at ${status.running_git_revision ?? '?'}`
      : 'nothing',
  ]);
  const r = status.reconcile;
  if (r) {
    const result =
      r.state === 'running' ? 'running' : `${r.outcome ?? '?'}${r.reason ? `: ${r.reason}` : ''}`;
    rows.push(['reconcile', `${r.id} (${r.trigger}) ${result}`]);
    rows.push(['started', r.started_at]);
    if (r.finished_at) rows.push(['finished', r.finished_at]);
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  io.stdout.write(rows.map(([name, value]) => `${name.padEnd(width)}  ${value}\n`).join(''));
}
