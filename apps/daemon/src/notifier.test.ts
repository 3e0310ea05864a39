import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_NOTIFY_EVENTS, type NotifyEvent, Secret } from '@stow/manifest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonCore } from './daemon-core.js';
import { jsonLinesLogger } from './logger.js';
import { createNotifier } from './notifier.js';
import { notifyEventsOf } from './notify-event.js';
import { captureLog, FakeBackend, hash, sha } from './test-support/fake-backend.js';

const GOOD = sha('1');
const BAD = sha('2');
const FIXED = sha('3');
const SLOW = sha('4');
const PLANTED = 'decrypted-db-password-7431';

/** A local webhook receiver: records bodies per path; `/hang` never answers. */
async function receiver() {
  const bodies: Record<string, unknown[]> = {};
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      if (req.url === '/hang') return; // holds the request open
      const key = req.url ?? '';
      bodies[key] = [...(bodies[key] ?? []), JSON.parse(text)];
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { bodies, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('notifications on outcome changes', () => {
  let dir: string;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stow-notify-'));
    hooks = await receiver();
  });
  afterAll(async () => {
    await hooks.close();
    await rm(dir, { recursive: true, force: true });
  });

  function daemon(
    stateFile: string,
    targets: Array<{ path: string; format: 'json' | 'slack'; events?: NotifyEvent[] }>,
  ) {
    const log = captureLog();
    const urls = targets.map((t) => `${hooks.base}${t.path}`);
    // As runDaemon does: the decrypted values the reconciler knows and the webhook URLs are secrets.
    const logger = jsonLinesLogger(log.write, { secrets: [PLANTED, ...urls] });
    const backend = new FakeBackend(
      {
        [GOOD]: { deploymentHash: hash('a') },
        [BAD]: { deploymentHash: hash('b') },
        [FIXED]: { deploymentHash: hash('c') },
        [SLOW]: { deploymentHash: hash('d') },
      },
      GOOD,
    );
    const notifier = createNotifier({
      targets: targets.map((t, i) => ({
        url: new Secret(urls[i] ?? ''),
        format: t.format,
        events: t.events ?? [...DEFAULT_NOTIFY_EVENTS],
      })),
      stateFile,
      host: 'host-a',
      listenUrl: () => 'https://host-a.example:17403',
      logger,
      timeoutMs: 300,
      attempts: 2,
      backoffMs: 10,
    });
    const core = new DaemonCore({ backend, logger, observer: notifier.observer });
    const reconcile = async (head: string) => {
      backend.head = head;
      await core.requestReconcile('trigger');
      await core.idle();
      return core.reconcileReport()?.outcome;
    };
    return { backend, notifier, reconcile, log };
  }

  it('sends one notification per change of outcome (json and slack), never twice, not after a restart', async () => {
    const stateFile = path.join(dir, 'a', 'notifications.json');
    const targets = [
      { path: '/json', format: 'json' as const },
      { path: '/slack', format: 'slack' as const },
    ];
    const first = daemon(stateFile, targets);
    await first.notifier.load();
    expect(await first.reconcile(GOOD)).toBe('converged'); // a deploy with no failure before: not an event
    first.backend.failing.set(hash('b'), `verification failed: web logged ${PLANTED}`);
    expect(await first.reconcile(BAD)).toBe('rolledBack');
    expect(await first.reconcile(BAD)).toBe('rolledBack'); // the same outcome again: no notification
    await first.notifier.idle();
    expect(hooks.bodies['/json']).toHaveLength(1);
    expect(hooks.bodies['/json']?.[0]).toMatchObject({
      event: 'rolledBack',
      outcome: 'rolledBack',
      host: 'host-a',
      deployment: 'web',
      deployment_hash: hash('b'),
      commit: BAD,
      reason: 'verification failed: web logged [REDACTED]',
      status_url: `https://host-a.example:17403/status?head_hash=${BAD}`,
    });
    const slack = hooks.bodies['/slack']?.[0] as { text: string };
    expect(Object.keys(slack)).toEqual(['text']);
    expect(slack.text).toContain('rolled back');
    expect(slack.text).toContain(`<https://host-a.example:17403/status?head_hash=${BAD}|Status page>`);

    // A restart: the same rollback is not sent again; the recovery after it is.
    const second = daemon(stateFile, targets);
    await second.notifier.load();
    second.backend.failing.set(hash('b'), 'verification failed again');
    expect(await second.reconcile(BAD)).toBe('rolledBack');
    expect(await second.reconcile(FIXED)).toBe('converged');
    await second.notifier.idle();
    expect(hooks.bodies['/json']?.map((b) => (b as { event: string }).event)).toEqual([
      'rolledBack',
      'recovered',
    ]);
    expect(hooks.bodies['/slack']).toHaveLength(2);

    const everything = JSON.stringify(hooks.bodies) + first.log.text() + second.log.text();
    expect(everything).not.toContain(PLANTED);
    expect(first.log.text() + second.log.text()).not.toContain(hooks.base);
  });

  it('jobFailed: sent once per deployment hash when a job failed or timed out; a receiver without it gets rolledBack', async () => {
    const { notifier, reconcile, backend, log } = daemon(path.join(dir, 'jobs', 'notifications.json'), [
      { path: '/jobs', format: 'json' }, // the default events, jobFailed among them
      { path: '/rollbacks', format: 'json', events: ['rolledBack'] },
      { path: '/jobs-slack', format: 'slack', events: ['jobFailed'] },
    ]);
    await notifier.load();
    expect(await reconcile(GOOD)).toBe('converged');
    const migrate = { job: 'migrate', when: 'beforeApply' as const, durationMs: 900 };
    backend.jobRuns.set(hash('b'), [{ ...migrate, outcome: 'failed', exitCode: 1 }]);
    backend.failing.set(hash('b'), `job migrate exited with code 1; last log line: ${PLANTED}`);
    expect(await reconcile(BAD)).toBe('rolledBack');
    expect(await reconcile(BAD)).toBe('rolledBack'); // the same failure again: nothing new
    backend.jobRuns.set(hash('d'), [
      { ...migrate, outcome: 'succeeded', exitCode: 0 },
      { job: 'smoke', when: 'afterVerify', outcome: 'timedOut', exitCode: undefined, durationMs: 30_000 },
    ]);
    backend.failing.set(hash('d'), 'job smoke did not finish within 30 s and was killed');
    expect(await reconcile(SLOW)).toBe('rolledBack');
    expect(await reconcile(FIXED)).toBe('converged');
    await notifier.idle();
    const events = (at: string) => hooks.bodies[at]?.map((b) => (b as { event: string }).event);
    expect(events('/jobs')).toEqual(['jobFailed', 'jobFailed', 'recovered']);
    expect(events('/rollbacks')).toEqual(['rolledBack', 'rolledBack']);
    expect(hooks.bodies['/jobs']?.[0]).toMatchObject({
      event: 'jobFailed',
      outcome: 'rolledBack',
      deployment_hash: hash('b'),
      commit: BAD,
      reason: 'job migrate exited with code 1; last log line: [REDACTED]',
      summary: expect.stringContaining('a job failed; the deploy was rolled back'),
    });
    expect(hooks.bodies['/jobs']?.[1]).toMatchObject({ event: 'jobFailed', deployment_hash: hash('d') });
    expect(hooks.bodies['/jobs-slack']).toHaveLength(2);
    expect(hooks.bodies['/jobs-slack']?.[1]).toEqual({
      text: expect.stringContaining('job smoke did not finish'),
    });
    expect(JSON.stringify(hooks.bodies) + log.text()).not.toContain(PLANTED);
  });

  it('a receiver that never answers holds back no reconcile; it is logged without its URL', async () => {
    const { notifier, reconcile, backend, log } = daemon(path.join(dir, 'b', 'notifications.json'), [
      { path: '/hang', format: 'json' },
    ]);
    await notifier.load();
    backend.failing.set(hash('b'), 'broken');
    expect(await reconcile(BAD)).toBe('rolledBack');
    // The reconcile finished while the notification is still being tried; so does the next one.
    expect(await reconcile(FIXED)).toBe('converged');
    await notifier.idle();
    const warning = log.lines.find((line) => line.includes('did not take'));
    expect(warning).toContain('notify receiver 1 (json)');
    expect(warning).toContain('timed out');
    expect(log.text()).not.toContain('/hang');
  });

  it('starts afresh from an unreadable state file, saying so', async () => {
    const stateFile = path.join(dir, 'c', 'notifications.json');
    const { notifier, log } = daemon(stateFile, []);
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(path.dirname(stateFile), { recursive: true });
    await writeFile(stateFile, '{not json');
    await notifier.load();
    expect(log.text()).toContain('unreadable; starting with no notifications remembered');
  });
});

describe('the events of an outcome', () => {
  const plan = {
    git_revision: BAD,
    deployment: 'web',
    manifest_hash: hash('m'),
    config_hash: hash('c'),
    secrets_hash: hash('s'),
    deployment_hash: hash('b'),
    actions: [],
    jobs: [],
  };
  const run = (outcome: 'succeeded' | 'failed' | 'timedOut') => ({
    job: 'migrate',
    when: 'beforeApply' as const,
    outcome,
    exitCode: outcome === 'timedOut' ? undefined : outcome === 'failed' ? 1 : 0,
    durationMs: 1,
  });
  const rolledBack = {
    kind: 'rolledBack' as const,
    failedDeploymentHash: hash('b'),
    gitRevision: BAD,
    step: 'job' as const,
    reason: 'job migrate exited with code 1',
    restoredDeploymentHash: hash('a'),
    plan,
  };

  it.each([
    ['a rollback without jobs', rolledBack, false, ['rolledBack']],
    ['a rollback whose jobs succeeded', { ...rolledBack, jobs: [run('succeeded')] }, false, ['rolledBack']],
    [
      'a rollback after a failed job',
      { ...rolledBack, jobs: [run('failed')] },
      false,
      ['jobFailed', 'rolledBack'],
    ],
    [
      'a rollback after a timed-out job',
      { ...rolledBack, jobs: [run('timedOut')] },
      false,
      ['jobFailed', 'rolledBack'],
    ],
    [
      'a failed rollback after a failed job',
      {
        kind: 'rollbackFailed' as const,
        failedDeploymentHash: hash('b'),
        step: 'job' as const,
        reason: 'x',
        jobs: [run('failed')],
      },
      false,
      ['rollbackFailed', 'jobFailed'],
    ],
    [
      'a converge after a failure',
      {
        kind: 'converged' as const,
        deploymentHash: hash('a'),
        gitRevision: GOOD,
        changed: false,
        plan,
        jobs: [run('succeeded')],
      },
      true,
      ['recovered'],
    ],
    [
      'a noop converge',
      { kind: 'converged' as const, deploymentHash: hash('a'), gitRevision: GOOD, changed: false, plan },
      false,
      [],
    ],
    [
      'a failure before the host changed',
      { kind: 'failed' as const, step: 'fetch' as const, terminal: false, reason: 'x' },
      true,
      [],
    ],
  ] as const)('%s', (_name, outcome, failing, expected) => {
    expect(notifyEventsOf(outcome, failing)).toEqual(expected);
  });
});
