import path from 'node:path';
import { type DaemonBackend, type RunningDaemon, silentLogger, startServer } from '@stow/daemon';
import { type DaemonConfig, parseDaemonConfig } from '@stow/manifest';
import type { HistoryEntry, HistoryLogs } from '@stow/reconciler';
import { freePort } from '@stow/test-host/net';
import { selfSignedCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../test-support/run-cli.js';

const workspace = scratch();
const TOKEN = 'history-cli-trigger-token-5ecret';
const COMMIT = 'ab'.repeat(20);
const FAILED_ID = '0a1b2c3d4e5f';

const ENTRIES: HistoryEntry[] = [
  {
    id: FAILED_ID,
    trigger: 'trigger',
    started_at: '2026-01-02T03:04:05.000Z',
    finished_at: '2026-01-02T03:04:41.000Z',
    outcome: 'rolledBack',
    count: 1,
    git_revision: COMMIT,
    deployment_hash: 'c'.repeat(64),
    step: 'verify',
    reason: 'verify: web exited with code 1',
    actions: [{ container: 'web', action: 'replace', reason: 'image changed' }],
    jobs: [],
    failed_containers: [{ name: 'web', exit_code: 1, oom_killed: true, health: 'unhealthy', has_logs: true }],
  },
  {
    id: '00000000000b',
    trigger: 'poll',
    started_at: '2026-01-01T10:00:00.000Z',
    finished_at: '2026-01-02T02:00:00.400Z',
    outcome: 'converged',
    count: 12,
    git_revision: 'cd'.repeat(20),
    deployment_hash: 'd'.repeat(64),
    step: null,
    reason: null,
    actions: [],
    jobs: [],
    failed_containers: [],
  },
  {
    id: '00000000000a',
    trigger: 'start',
    started_at: '2026-01-01T09:58:00.000Z',
    finished_at: '2026-01-01T09:59:05.000Z',
    outcome: 'converged',
    count: 1,
    git_revision: 'cd'.repeat(20),
    deployment_hash: 'd'.repeat(64),
    step: null,
    reason: null,
    actions: [{ container: 'web', action: 'replace', reason: 'new container' }],
    jobs: [],
    failed_containers: [],
  },
];

const LOGS: HistoryLogs = {
  id: FAILED_ID,
  containers: [
    {
      name: 'web',
      exit_code: 1,
      oom_killed: true,
      log_lines: ['starting', 'DATABASE_URL=[REDACTED]', 'evil \u001b[2Jclear', 'fatal: out of memory'],
      health_outputs: ['curl: (7) connection refused'],
    },
  ],
};

/** The daemon's port with a history and no repository: nothing here reconciles. */
function historyBackend(limits: number[]): DaemonBackend {
  const none = async () => {
    throw new Error('not in this test');
  };
  return {
    reconcile: none,
    resolveDeployment: none,
    defaultBranchHead: none,
    resolveCommit: async () => undefined,
    isOnDefaultBranch: async () => false,
    running: async () => undefined,
    failedDeployments: async () => [],
    async history(limit) {
      limits.push(limit);
      return ENTRIES.slice(0, limit);
    },
    historyLogs: async (id) => (id === FAILED_ID ? LOGS : undefined),
  };
}

/** A daemon.yaml as an operator writes it (loopback, a free port), with or without a triggerToken. */
async function daemonConfig(triggerToken: string | undefined): Promise<DaemonConfig> {
  const yaml = [
    'gitRepository: /nonexistent',
    'subfolder: host',
    `listen: 127.0.0.1:${await freePort()}`,
    'tlsCrt: tls.crt',
    'tlsKey: tls.key',
    ...(triggerToken ? [`triggerToken: ${triggerToken}`] : []),
  ].join('\n');
  return parseDaemonConfig(yaml, path.join(workspace.dir, 'daemon.yaml'));
}

const limits: number[] = [];
let withToken: RunningDaemon;
let withoutToken: RunningDaemon;
beforeAll(async () => {
  const tls = selfSignedCertificate(workspace.dir);
  const start = async (token: string | undefined) =>
    startServer({
      config: await daemonConfig(token),
      tls: { cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) },
      backend: historyBackend(limits),
      logger: silentLogger,
      reconcile: false,
    });
  withToken = await start(TOKEN);
  withoutToken = await start(undefined);
});
afterAll(async () => {
  await withToken?.close();
  await withoutToken?.close();
  workspace.cleanup();
});

const env = (extra: Record<string, string> = {}) => ({
  STOW_CACERT: path.join(workspace.dir, 'tls.crt'),
  ...extra,
});

describe('stow history against a daemon', () => {
  it('prints the history as a table, newest first, with the failed containers', async () => {
    const result = await runCli(['history', '--url', withToken.url], workspace.dir, env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(limits.at(-1)).toBe(50);
    expect(result.stdout).toBe(
      [
        'ID            TIME                  TRIGGER  OUTCOME        COMMIT    DURATION    REASON',
        '0a1b2c3d4e5f  2026-01-02 03:04:05Z  trigger  rolledBack     abababab  36 s        verify: web exited with code 1',
        '              failed: web (exit code 1, OOM killed, unhealthy, logs captured)',
        '00000000000b  2026-01-01 10:00:00Z  poll     converged ×12  cdcdcdcd  -',
        '00000000000a  2026-01-01 09:58:00Z  start    converged      cdcdcdcd  1 min 05 s',
        '',
      ].join('\n'),
    );
  });

  it('--json --limit N prints the answer as it came and asks for N', async () => {
    const result = await runCli(
      ['history', '--url', `${withToken.url}/`, '--json', '--limit', '2'],
      workspace.dir,
      env(),
    );
    expect(result.code).toBe(0);
    expect(limits.at(-1)).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ entries: ENTRIES.slice(0, 2) });
  });

  it('--logs ID sends STOW_TRIGGER_TOKEN and prints the forensics; control characters escaped; the token never shown', async () => {
    const result = await runCli(
      ['history', '--url', withToken.url, '--logs', FAILED_ID.toUpperCase()],
      workspace.dir,
      env({ STOW_TRIGGER_TOKEN: TOKEN }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        `history entry ${FAILED_ID}: 1 failed container`,
        '',
        'web: exit code 1, OOM killed',
        '  health-probe outputs (last 1):',
        '    curl: (7) connection refused',
        '  log lines (last 4):',
        '    starting',
        '    DATABASE_URL=[REDACTED]',
        '    evil \\x1b[2Jclear',
        '    fatal: out of memory',
        '',
      ].join('\n'),
    );
    const json = await runCli(
      ['history', '--url', withToken.url, '--logs', FAILED_ID, '--json'],
      workspace.dir,
      env({ STOW_TRIGGER_TOKEN: TOKEN }),
    );
    expect(JSON.parse(json.stdout)).toEqual(LOGS);
    expect(result.stdout + result.stderr + json.stdout + json.stderr).not.toContain(TOKEN);
  });

  it('a wrong token is 401, an unknown entry and a daemon without a token are 404: exit 2, said plainly, once', async () => {
    const wrong = await runCli(
      ['history', '--url', withToken.url, '--logs', FAILED_ID],
      workspace.dir,
      env({ STOW_TRIGGER_TOKEN: 'not-the-token' }),
    );
    expect(wrong).toMatchObject({ code: 2, stdout: '' });
    expect(wrong.stderr).toBe(
      `stow history: GET ${withToken.url}/history/${FAILED_ID}/logs: the daemon refused the logs request: HTTP 401: missing or wrong trigger token (Authorization: Bearer) (attempt 1; not retried)\n  STOW_TRIGGER_TOKEN is not the daemon's triggerToken\n`,
    );
    expect(wrong.stderr).not.toContain('not-the-token');

    const unknown = await runCli(
      ['history', '--url', withToken.url, '--logs', 'ffffffffffff'],
      workspace.dir,
      env({ STOW_TRIGGER_TOKEN: TOKEN }),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'HTTP 404: history entry ffffffffffff is unknown or has no captured logs',
    );
    expect(unknown.stderr).toContain('no captured logs for ffffffffffff');

    const tokenless = await runCli(
      ['history', '--url', withoutToken.url, '--logs', FAILED_ID],
      workspace.dir,
      env({ STOW_TRIGGER_TOKEN: TOKEN }),
    );
    expect(tokenless.code).toBe(2);
    expect(tokenless.stderr).toContain(`HTTP 404: no route GET /history/${FAILED_ID}/logs`);
    expect(tokenless.stderr).toContain('or the daemon has no triggerToken and serves no logs');
    expect(unknown.stderr + tokenless.stderr).not.toContain(TOKEN);
  });

  it('exit 2 when the certificate is not trusted or nothing listens, after the retries', async () => {
    const untrusted = await runCli(['history', '--url', withToken.url], workspace.dir, {});
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toMatch(
      /^stow history: GET https:\/\/127\.0\.0\.1:\d+\/history: the daemon's TLS certificate is not trusted .*set STOW_CACERT/,
    );
    const closed = await runCli(
      ['history', '--url', 'https://127.0.0.1:1', '--attempts', '2', '--max-delay', '0.01'],
      workspace.dir,
      env(),
    );
    expect(closed.code).toBe(2);
    expect(closed.stderr).toMatch(/attempt 1 failed \(connection failed: ECONNREFUSED/);
    expect(closed.stderr).toMatch(
      /stow history: GET https:\/\/127\.0\.0\.1:1\/history: gave up after 2 attempts; last: connection failed: ECONNREFUSED/,
    );
  });

  it.each([
    [[], 'missing --url URL'],
    [['--url', 'http://127.0.0.1:1'], '--url: daemon URL http://127.0.0.1:1/ must be https'],
    [['--url', 'not a url'], '--url: daemon URL "not a url" is not a URL'],
    [['--url', 'https://h', '--limit', '0'], '--limit "0" is not a number from 1 to 1000'],
    [['--url', 'https://h', '--limit', '1001'], '--limit "1001" is not a number from 1 to 1000'],
    [['--url', 'https://h', '--limit', 'ten'], '--limit "ten" is not a number from 1 to 1000'],
    [['--url', 'https://h', '--logs', '0a1b2c'], '--logs "0a1b2c" is not a history id (12 hex digits)'],
    [['--url', 'https://h', '--logs', FAILED_ID, '--limit', '5'], 'use --limit or --logs ID, not both'],
    [
      ['--url', 'https://h', '--logs', FAILED_ID],
      "--logs needs the daemon's triggerToken in STOW_TRIGGER_TOKEN",
    ],
    [['--url', 'https://h', '--attempts', '0'], '--attempts "0" is not a number from 1 to 100'],
    [['--url', 'https://h', 'extra'], 'unexpected argument "extra"'],
  ])('usage error for %j: exit 2, nothing asked', async (args, message) => {
    const before = limits.length;
    const result = await runCli(['history', ...args], workspace.dir, {});
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(limits.length).toBe(before);
  });
});
