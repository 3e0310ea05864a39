import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Secret } from '@stow/manifest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonCore } from './daemon-core.js';
import { jsonLinesLogger } from './logger.js';
import { createNotifier } from './notifier.js';
import { captureLog, FakeBackend, hash, sha } from './test-support/fake-backend.js';

const GOOD = sha('1');
const BAD = sha('2');
const FIXED = sha('3');
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

  function daemon(stateFile: string, targets: Array<{ path: string; format: 'json' | 'slack' }>) {
    const log = captureLog();
    const urls = targets.map((t) => `${hooks.base}${t.path}`);
    // As runDaemon does: the decrypted values the reconciler knows and the webhook URLs are secrets.
    const logger = jsonLinesLogger(log.write, { secrets: [PLANTED, ...urls] });
    const backend = new FakeBackend(
      {
        [GOOD]: { deploymentHash: hash('a') },
        [BAD]: { deploymentHash: hash('b') },
        [FIXED]: { deploymentHash: hash('c') },
      },
      GOOD,
    );
    const notifier = createNotifier({
      targets: targets.map((t, i) => ({
        url: new Secret(urls[i] ?? ''),
        format: t.format,
        events: ['rolledBack', 'rollbackFailed', 'recovered', 'jobFailed'],
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
