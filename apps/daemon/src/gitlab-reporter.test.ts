import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeGitlab, type FakeGitlab } from '@stow/fake-gitlab';
import { createGitlabClient, type GitlabClient } from '@stow/gitlab-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonCore } from './daemon-core.js';
import { createGitlabReporter } from './gitlab-reporter.js';
import { jsonLinesLogger } from './logger.js';
import { captureLog, FakeBackend, hash } from './test-support/fake-backend.js';

const TOKEN = 'glpat-api-token-secret-1';
const READ_TOKEN = 'glpat-read-token-secret-2';

describe('GitLab reports: commit statuses and deployments', () => {
  let dir: string;
  let fake: FakeGitlab;
  let good: string;
  let bad: string;
  const clients: GitlabClient[] = [];
  const client = (token: string) => {
    const made = createGitlabClient({ apiUrl: fake.apiUrl, token, retry: { attempts: 1 } });
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stow-reports-'));
    fake = await createFakeGitlab({
      repo: path.join(dir, 'repo.git'),
      tokens: [
        { token: TOKEN, scopes: ['api'] },
        { token: READ_TOKEN, scopes: ['read_api'] },
      ],
    });
    good = await fake.commitFiles('main', { 'host-a/stow.yaml': 'a\n' });
    bad = await fake.commitFiles('main', { 'host-a/stow.yaml': 'b\n' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A daemon core with the reporter on a FakeBackend whose commits are real commits of the fake GitLab. */
  function daemon(token: string) {
    const log = captureLog();
    const logger = jsonLinesLogger(log.write, { secrets: [TOKEN, READ_TOKEN] });
    const backend = new FakeBackend(
      { [good]: { deploymentHash: hash('a') }, [bad]: { deploymentHash: hash('b') } },
      good,
    );
    const reporter = createGitlabReporter({
      client: client(token),
      project: 'ops/deployments',
      subfolder: 'host-a',
      reports: { commitStatus: true, deployments: true },
      listenUrl: () => 'https://host-a.example:17403',
      logger,
    });
    const core = new DaemonCore({ backend, logger, observer: reporter.observer });
    const reconcile = async () => {
      await core.requestReconcile('trigger');
      await core.idle();
      await reporter.idle();
      return core.reconcileReport()?.outcome;
    };
    return { backend, reconcile, log };
  }

  it('reports a deploy (success) and a rollback (failed) on their commits, each in a deployment', async () => {
    const { backend, reconcile } = daemon(TOKEN);
    expect(await reconcile()).toBe('converged');
    expect(fake.commitStatuses.filter((s) => s.sha === good)).toMatchObject([
      {
        name: 'stow/host-a',
        ref: 'main',
        status: 'success',
        targetUrl: `https://host-a.example:17403/status?head_hash=${good}`,
      },
    ]);
    expect(fake.deployments.at(-1)).toMatchObject({ sha: good, ref: 'main', tag: false, status: 'success' });
    expect(fake.environments.map((e) => e.name)).toEqual(['host-a']);

    backend.head = bad;
    backend.failing.set(hash('b'), 'verification failed: web exited with code 1');
    backend.targetExtras = {
      environment: 'production/host-a',
      daemonBaseUrl: 'https://stow.host-a.example/',
    };
    expect(await reconcile()).toBe('rolledBack');
    expect(fake.commitStatuses.filter((s) => s.sha === bad)).toMatchObject([
      {
        name: 'stow/host-a',
        status: 'failed',
        targetUrl: `https://stow.host-a.example/status?head_hash=${bad}`,
      },
    ]);
    expect(fake.deployments.at(-1)).toMatchObject({ sha: bad, status: 'failed' });
    expect(fake.environments.map((e) => e.name)).toEqual(['host-a', 'production/host-a']);
    // A noop reconcile applies nothing and reports nothing.
    const before = fake.deployments.length;
    backend.head = good;
    backend.failing.clear();
    backend.runningDeployment = { deploymentHash: hash('a'), gitRevision: good, deploymentName: 'web' };
    expect(await reconcile()).toBe('converged');
    expect(fake.deployments.length).toBe(before);
  });

  it('logs a token without scope api once, reports nothing more, and deploys as before', async () => {
    const statuses = fake.commitStatuses.length;
    const deployments = fake.deployments.length;
    const { backend, reconcile, log } = daemon(READ_TOKEN);
    backend.head = bad;
    expect(await reconcile()).toBe('converged');
    backend.runningDeployment = undefined;
    expect(await reconcile()).toBe('converged');
    const refused = log.lines.filter((line) => line.includes('off until the daemon restarts'));
    expect(refused).toHaveLength(2); // one for commit statuses, one for deployments, across both runs
    expect(refused.join('')).toMatch(/scope api/);
    expect(log.text()).not.toContain(READ_TOKEN);
    expect(fake.commitStatuses.length).toBe(statuses);
    expect(fake.deployments.length).toBe(deployments);
  });
});
