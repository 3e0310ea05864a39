import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFakeGitlab, type FakeGitlab } from '@stow/fake-gitlab';
import { Secret } from '@stow/manifest';
import { selfSignedCertificate, type TestCertificate } from '@stow/test-host/tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLinesLogger } from './logger.js';
import { startServer } from './server.js';
import { testDaemonConfig } from './test-support/daemon-config.js';
import { captureLog, FakeBackend, hash } from './test-support/fake-backend.js';

const TOKEN = 'glpat-daemon-report-token';
const dir = mkdtempSync(path.join(tmpdir(), 'stow-daemon-reports-'));
let tls: TestCertificate;
let fake: FakeGitlab;
beforeAll(async () => {
  tls = selfSignedCertificate(dir);
  fake = await createFakeGitlab({
    repo: path.join(dir, 'repo.git'),
    tokens: [{ token: TOKEN, scopes: ['api'] }],
  });
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the daemon reports to GitLab and notifies, wired from daemon.yaml', () => {
  it('a rolled-back start reconcile: failed status and deployment in GitLab, one notification', async () => {
    const sha = await fake.commitFiles('main', { 'host-a/stow.yaml': 'x\n' });
    const received: unknown[] = [];
    const hook = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const backend = new FakeBackend({ [sha]: { deploymentHash: hash('f') } }, sha);
    backend.failing.set(hash('f'), 'verification failed');
    const log = captureLog();
    const config = testDaemonConfig(dir, tls, {
      subfolder: 'host-a',
      stateDir: path.join(dir, 'state'),
      source: { kind: 'gitlab', apiUrl: fake.apiUrl, project: 'ops/deployments', token: new Secret(TOKEN) },
      gitlabReports: { commitStatus: true, deployments: true },
      notify: [{ url: new Secret(hookUrl), format: 'json', events: ['rolledBack'] }],
    });
    const logger = jsonLinesLogger(log.write, { secrets: [TOKEN, hookUrl] });
    const daemon = await startServer({ config, backend, logger });
    try {
      await daemon.core.idle();
      await daemon.reportsIdle();
      expect(daemon.core.reconcileReport()?.outcome).toBe('rolledBack');
      expect(fake.commitStatuses).toMatchObject([
        { sha, name: 'stow/host-a', status: 'failed', targetUrl: `${daemon.url}/status?head_hash=${sha}` },
      ]);
      expect(fake.deployments).toMatchObject([{ sha, status: 'failed' }]);
      expect(fake.environments.map((e) => e.name)).toEqual(['host-a']);
      expect(received).toMatchObject([{ event: 'rolledBack', host: 'host-a', commit: sha }]);
    } finally {
      await daemon.close();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain(hookUrl);
  });
});
