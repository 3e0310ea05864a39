import { existsSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from './support/scenario.js';
import { type WebDeploymentOptions, webDeployment } from './support/stow-yaml.js';

const s = new Scenario();
const files = (options: WebDeploymentOptions = {}) => ({
  'stow.yaml': webDeployment(s, { verify: '{ stableSeconds: 3, timeoutSeconds: 12 }', ...options }),
  'config/web.env': 'GREETING=hello\n',
  'config/site.txt': 'site\n',
});

let goodHash = '';
let goodIds: Record<string, string> = {};

async function ids() {
  return Object.fromEntries([...(await s.managed())].map(([name, c]) => [name, c.Id]));
}

async function expectBackOnGood() {
  expect(readlinkSync(path.join(s.stateDir, 'running-config'))).toBe(`.stow/snapshots/${goodHash}`);
  expect(existsSync(path.join(s.stateDir, 'running-config.previous'))).toBe(false);
  for (const [name, container] of await s.managed()) {
    expect(container.State, name).toBe('running');
    expect(container.Labels['stow.hash'], name).toBe(`v1:${goodHash}`);
  }
  expect([...(await s.managed()).keys()].sort()).toEqual([s.name('web'), s.name('worker')].sort());
}

beforeAll(async () => {
  await s.start();
  await s.repo.commit(files());
  const outcome = await s.reconcile();
  if (outcome.kind !== 'converged') throw new Error(`good deploy failed: ${JSON.stringify(outcome)}`);
  goodHash = outcome.deploymentHash;
  goodIds = await ids();
});
afterAll(async () => {
  await s.cleanup();
});

describe('automatic rollback on the real engine', () => {
  it.each<[string, WebDeploymentOptions, RegExp]>([
    ['becomes unhealthy', { webImage: 'health-fail' }, /unhealthy/],
    [
      'crash-loops under a restart policy',
      { webImage: 'crash', restart: 'on-failure' },
      /restart|exited|crash/,
    ],
    [
      'dies a few seconds after looking healthy',
      { webImage: 'dies-later', env: { DIE_AFTER: '2' } },
      /exited|restart|missing/,
    ],
  ])('rolls back a revision whose container %s, exit 1, hash quarantined', async (_name, options, reason) => {
    const sha = await s.repo.commit(files(options));
    const outcome = await s.reconcile({ trigger: 'trigger' });
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      step: 'verify',
      gitRevision: sha,
      restoredDeploymentHash: goodHash,
    });
    if (outcome.kind !== 'rolledBack') throw new Error('unreachable');
    expect(outcome.reason).toMatch(reason);
    await expectBackOnGood();
    // A poll does not try the failed hash again: the host keeps the good deployment.
    expect(await s.reconcile({ trigger: 'poll' })).toMatchObject({
      kind: 'quarantined',
      deploymentHash: outcome.failedDeploymentHash,
    });
    await expectBackOnGood();
  });

  it('aborts before stopping anything when an image digest does not exist in the registry', async () => {
    const before = await ids();
    const missing = `${s.host.registry}/stow-test/http-ok:404@sha256:${'0'.repeat(64)}`;
    await s.repo.commit(files({ webImageRef: missing }));
    const outcome = await s.reconcile({ trigger: 'trigger' });
    // Pulled before running-config switches: nothing was rolled out, so nothing to roll back (exit 2).
    expect(outcome).toMatchObject({ kind: 'failed', step: 'pull' });
    if (outcome.kind === 'failed') expect(outcome.reason).toMatch(/pull|manifest|not found|unknown/i);
    expect(await ids()).toEqual(before);
    await expectBackOnGood();
  });

  it('keeps the original containers through all of it', async () => {
    // Every failed revision above was rolled back by re-planning to the good hash: the containers
    // that were never touched (abort before stop) still have their ids; replaced ones run the good hash.
    await s.repo.commit(files());
    const outcome = await s.reconcile({ trigger: 'trigger' });
    expect(outcome).toMatchObject({ kind: 'converged', deploymentHash: goodHash });
    expect(Object.keys(await ids()).sort()).toEqual(Object.keys(goodIds).sort());
  });
});
